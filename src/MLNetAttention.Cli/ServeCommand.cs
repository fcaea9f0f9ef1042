using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Cli.Serve;
using MLNetAttention.Serving;

namespace MLNetAttention.Cli;

/// <summary>
/// <c>serve</c>: an HTTP server over an exported model (ONNX Runtime, no TorchSharp) that answers with the same JSON
/// as <c>predict --json</c>, merges concurrent requests into batches, and serves a page that colours text as you type.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model directory 'train' wrote (its model.onnx is served) or an .onnx file; a classifier or a matcher.", Required = true };
        var port = new Option<int>("--port") { Description = "The TCP port; 0 picks a free one (printed on standard error).", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "The IP address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface), ::1, :: or localhost.", DefaultValueFactory = _ => "127.0.0.1" };
        var gpu = new Option<int?>("--gpu") { Description = "Score on this CUDA device (ONNX Runtime's CUDA provider) instead of the CPU." };
        var maxBatch = new Option<int>("--max-batch") { Description = "Texts (or pairs) scored in one ONNX Runtime call at most; concurrent requests are merged up to this.", DefaultValueFactory = _ => MicroBatchOptions.DefaultMaxBatchSize };
        var maxWait = new Option<double>("--max-wait-ms") { Description = "How long a batch waits for more requests after its first, in milliseconds; 0 scores at once.", DefaultValueFactory = _ => MicroBatchOptions.DefaultMaxWait.TotalMilliseconds };
        var workers = new Option<int>("--workers") { Description = "Batches scored at the same time; above 1, each ONNX Runtime call gets its share of the cores.", DefaultValueFactory = _ => 1 };
        var maxTexts = new Option<int>("--max-texts") { Description = "Texts (or pairs) per request at most; more is refused with 400.", DefaultValueFactory = _ => 256 };
        var maxChars = new Option<int>("--max-chars") { Description = "Characters per text at most; a longer text is refused with 400.", DefaultValueFactory = _ => 10_000 };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Bytes per request body at most; a larger body is refused with 413.", DefaultValueFactory = _ => 1_048_576 };
        var command = new Command("serve",
            "Serve a model over HTTP: POST /v1/predict (classifiers) or /v1/match (matchers) answer with predict --json's predictions; " +
            "GET / is a page that colours text by weight as you type. Ctrl-C or SIGTERM stops it (exit 0) after the requests in flight.")
        {
            model, port, host, gpu, maxBatch, maxWait, workers, maxTexts, maxChars, maxBody,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync(async () =>
        {
            var address = ParseHost(parse.GetValue(host)!);
            int portValue = parse.GetValue(port);
            if (portValue is < 0 or > 65535) throw new UsageException($"--port is {portValue}; use 0 to 65535 (0 picks a free port).");
            var limits = new RequestLimits(
                Positive(parse.GetValue(maxTexts), "--max-texts"), Positive(parse.GetValue(maxChars), "--max-chars"), Positive(parse.GetValue(maxBody), "--max-body-bytes"));
            double waitMs = parse.GetValue(maxWait);
            if (!(waitMs is >= 0 and <= 1000)) throw new UsageException($"--max-wait-ms is {waitMs}; use 0 to 1000.");
            var batching = new MicroBatchOptions
            {
                MaxBatchSize = Positive(parse.GetValue(maxBatch), "--max-batch"),
                MaxWait = TimeSpan.FromMilliseconds(waitMs),
                MaxConcurrentBatches = Positive(parse.GetValue(workers), "--workers"),
            };
            ServedModel served;
            using (var sessionOptions = SessionOptionsFor(parse.GetValue(gpu), batching.MaxConcurrentBatches))
                served = ServedModel.Load(parse.GetValue(model)!, sessionOptions, batching);
            await using (served)
                return await RunAsync(served, new ServeSettings(address, portValue, limits), cancellation);
        }));
        return command;
    }

    private static async Task<int> RunAsync(ServedModel model, ServeSettings settings, CancellationToken cancellation)
    {
        await using var app = ServeApp.Build(model, settings);
        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException e)
        {
            return CommandRunner.Fail($"cannot listen on {settings.Address}:{settings.Port}: {e.Message} Pick another --port (0 picks a free one).", ExitCodes.Usage);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        var info = model.Info;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serving {Path.GetFileName(model.Path)}: a {(model.IsMatcher ? $"{info.MatcherKind?.ToString().ToLowerInvariant()} matcher (POST {ServeApp.MatchPath})" : $"classifier of {string.Join(", ", info.Labels)} (POST {ServeApp.PredictPath})")}, " +
            $"{info.Heads} head{(info.Heads == 1 ? "" : "s")}; batches of up to {model.Batching.MaxBatchSize}, waiting up to {model.Batching.MaxWait.TotalMilliseconds} ms"));
        foreach (string url in app.Urls) Console.Error.WriteLine($"listening on {url}");

        // Until Ctrl-C or SIGTERM (System.CommandLine cancels the token), or the host stops by itself.
        var stopping = new TaskCompletionSource();
        using (cancellation.Register(() => stopping.TrySetResult()))
        using (app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult()))
            await stopping.Task;
        Console.Error.WriteLine("stopping: finishing the requests in flight");
        // Kestrel stops taking connections and waits (up to ShutdownTimeout) for the requests in flight; then the batcher
        // scores what is still queued as the model is disposed.
        await app.StopAsync(CancellationToken.None);
        Console.Error.WriteLine("stopped");
        return ExitCodes.Success;
    }

    private static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return IPAddress.Loopback;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address)) return address;
        throw new UsageException($"--host '{host}' is not an IP address; use 127.0.0.1 (this machine only), 0.0.0.0 (every IPv4 interface), ::1, :: or localhost.");
    }

    private static T Positive<T>(T value, string name) where T : System.Numerics.INumber<T> =>
        value >= T.One ? value : throw new UsageException($"{name} is {value}; it must be at least 1.");

    private static SessionOptions SessionOptionsFor(int? gpu, int workers)
    {
        var options = new SessionOptions();
        // Several batches at once share the cores rather than each starting a thread per core.
        if (workers > 1) options.IntraOpNumThreads = Math.Max(1, Environment.ProcessorCount / workers);
        if (gpu is not { } device) return options;
        if (device < 0)
        {
            options.Dispose();
            throw new UsageException($"--gpu is {device}; a CUDA device number is 0 or more.");
        }
        try
        {
            options.AppendExecutionProvider_CUDA(device);
            return options;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            options.Dispose();
            throw new ExternalToolException($"--gpu {device}: ONNX Runtime cannot start its CUDA provider on that device ({e.Message}). " +
                "The CUDA and cuDNN libraries ONNX Runtime's GPU build loads, or the device, are missing; leave out --gpu to score on the CPU.");
        }
    }
}
