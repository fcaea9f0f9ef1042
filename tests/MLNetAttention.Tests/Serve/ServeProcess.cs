using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Cli;

namespace MLNetAttention.Tests.Serve;

/// <summary>
/// A real <c>mlnet-attention serve</c> process on a free port (<c>--port 0</c>, read back from standard error), and an
/// HttpClient for it. Dispose kills it if it is still running.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    // As in InterruptTests: python resets SIGINT to its default before exec-ing the tool, so Ctrl-C reaches it as in a terminal.
    private const string ResetSigint = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])";

    private readonly StringBuilder _error;

    private ServeProcess(Process process, Uri baseAddress, StringBuilder error)
    {
        _error = error;
        Process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Process Process { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>What the server wrote on standard error so far.</summary>
    public string Error
    {
        get
        {
            lock (_error) return _error.ToString();
        }
    }

    /// <summary>Starts <c>serve --model <paramref name="model"/> --port 0</c> with <paramref name="options"/> and waits until it listens.</summary>
    public static ServeProcess Start(string model, params string[] options)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-c", ResetSigint, "dotnet", CliTests.Tool(), "serve", "--model", model, "--port", "0" }.Concat(options))
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        var process = Process.Start(start)!;
        var error = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("serve ended before listening"));
                return;
            }
            lock (error) error.AppendLine(e.Data);
            if (e.Data.StartsWith("listening on ", StringComparison.Ordinal))
                listening.TrySetResult(new Uri(e.Data["listening on ".Length..].Trim()));
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            if (!listening.Task.Wait(TimeSpan.FromMinutes(2))) Assert.Fail("serve did not start listening within 2 minutes");
        }
        catch (AggregateException)
        {
            process.WaitForExit(10_000);
            lock (error) Assert.Fail($"serve did not start (exit code {(process.HasExited ? process.ExitCode : -1)}): {error}");
        }
        return new ServeProcess(process, listening.Task.Result, error);
    }

    /// <summary>Sends <paramref name="signal"/> (INT or TERM) and returns the exit code.</summary>
    public int Stop(string signal)
    {
        using (var kill = Process.Start("kill", [$"-{signal}", Process.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            kill.WaitForExit();
            Assert.AreEqual(0, kill.ExitCode, $"kill -{signal} failed");
        }
        Assert.IsTrue(Process.WaitForExit(TimeSpan.FromMinutes(1)), $"serve did not stop after SIG{signal}");
        Process.WaitForExit();
        return Process.ExitCode;
    }

    public async Task<(int Status, JsonElement Body, string ContentType)> PostAsync(string path, string json)
    {
        using var response = await Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return await ReadAsync(response);
    }

    public async Task<(int Status, JsonElement Body, string ContentType)> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        return await ReadAsync(response);
    }

    public static async Task<(int Status, JsonElement Body, string ContentType)> ReadAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        string type = response.Content.Headers.ContentType?.MediaType ?? "";
        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(text);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"{(int)response.StatusCode} with a body that is not JSON: {text}");
            throw;
        }
        return ((int)response.StatusCode, body, type);
    }

    public void Dispose()
    {
        Client.Dispose();
        try
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        Process.Dispose();
    }
}

/// <summary>The models the serve tests use, made once per test run.</summary>
internal static class ServeModels
{
    private static readonly Lazy<string> CrossMatcherFile = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), "mlna-serve-tests", Guid.NewGuid().ToString("N"), "cross.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var matcher = Visualization.PairViewTests.TinyMatcher(MatcherKind.Cross);
        OnnxExporter.Export(matcher, path);
        return path;
    });

    private static readonly Lazy<string> MultiHeadFile = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), "mlna-serve-tests", Guid.NewGuid().ToString("N"), "multihead.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var classifier = Onnx.OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead);
        OnnxExporter.Export(classifier, path);
        return path;
    });

    /// <summary>The small poetry classifier directory that the CLI tests train (it holds model.onnx).</summary>
    public static string Classifier => CliTests.TrainedModel();

    /// <summary>A tiny cross-attention matcher exported to an .onnx file (it has an alignment output).</summary>
    public static string CrossMatcher => CrossMatcherFile.Value;

    /// <summary>An untrained multi-head classifier exported to an .onnx file.</summary>
    public static string MultiHead => MultiHeadFile.Value;

    /// <summary>Held-out poems of the bundled sample.</summary>
    public static string[] Poems(int count) => MLNetAttention.Data.BundledSamples.ReadTexts("poetry-dynasty.test").Take(count).Select(e => e.Text).ToArray();
}
