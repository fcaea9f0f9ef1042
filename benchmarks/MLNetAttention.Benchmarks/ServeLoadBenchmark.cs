using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Onnx;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Load on <c>mlnet-attention serve</c> over loopback: C clients post real texts (the bundled test samples) for D seconds
/// and report requests/s, texts/s, latency percentiles, errors, whether every answer equals in-process ONNX Runtime
/// scoring, and the server's resident memory at the start, middle and end.
/// </summary>
internal static class ServeLoadBenchmark
{
    private const double Tolerance = 1e-6;

    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "The model directory or .onnx file: the server to start serves it, and answers are checked against it in process." };
        var url = new Option<string?>("--url") { Description = "Load a server that is already running at this address instead of starting one (answers are checked when --model is given too)." };
        var pid = new Option<int?>("--pid") { Description = "With --url: the server's process id, to read its memory." };
        var tool = new Option<string?>("--tool") { Description = "The mlnet-attention.dll to start (default: the one built in this repository, same configuration)." };
        var serverArgs = new Option<string?>("--server-args") { Description = "Extra options for the started server, space-separated, such as \"--max-wait-ms 1 --max-batch 32\"." };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients, each with one request in flight.", DefaultValueFactory = _ => 32 };
        var seconds = new Option<double>("--seconds") { Description = "How long the load runs.", DefaultValueFactory = _ => 60 };
        var perRequest = new Option<int>("--texts-per-request") { Description = "Texts (or pairs) per request.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Also print the figures as one JSON line (last line of the output)." };
        var command = new Command("serve-load", "Requests/s, texts/s, latency p50/p95/p99, errors, answers against in-process scoring, and server memory under C clients for D seconds.")
        {
            model, url, pid, tool, serverArgs, clients, seconds, perRequest, json,
        };
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(model), parse.GetValue(url), parse.GetValue(pid), parse.GetValue(tool),
            (parse.GetValue(serverArgs) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), parse.GetValue(clients), parse.GetValue(seconds), parse.GetValue(perRequest), parse.GetValue(json), cancellation));
        return command;
    }

    /// <summary>What one request sends and what it must get back.</summary>
    private sealed record Probe(string Body, object?[] Expected);

    private static async Task<int> RunAsync(string? modelPath, string? url, int? pid, string? toolPath, string[] serverArgs, int clients, double seconds,
        int perRequest, bool asJson, CancellationToken cancellation)
    {
        if (modelPath is null && url is null)
        {
            Console.Error.WriteLine("error: pass --model (a server is started on it) or --url (a running server).");
            return 1;
        }
        if (clients < 1 || seconds <= 0 || perRequest < 1)
        {
            Console.Error.WriteLine("error: --clients, --seconds and --texts-per-request must be positive.");
            return 1;
        }
        Console.WriteLine($"# {Environment.ProcessorCount} cores; load average before: {LoadAverage()}");
        string? onnxPath = modelPath is null ? null : Directory.Exists(modelPath) ? Path.Combine(modelPath, "model.onnx") : modelPath;
        bool isMatcher;
        if (onnxPath is not null) isMatcher = OnnxModelInfo.Read(onnxPath).Kind == OnnxModelInfo.MatcherKindName;
        else
        {
            using var probe = new HttpClient();
            using var info = JsonDocument.Parse(await probe.GetStringAsync(new Uri(new Uri(url!), "/v1/model"), cancellation));
            isMatcher = info.RootElement.GetProperty("kind").GetString() == "matcher";
        }
        var probes = Probes(onnxPath, isMatcher, perRequest);
        string endpoint = isMatcher ? "/v1/match" : "/v1/predict";

        Process? server = null;
        try
        {
            Uri baseAddress;
            if (url is null)
            {
                (server, baseAddress) = StartServer(toolPath ?? DefaultTool(), modelPath!, serverArgs);
                pid = server.Id;
                // Ctrl-C ends this process at once: take the server along rather than leave it running.
                var started = server;
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    try
                    {
                        if (!started.HasExited) started.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                    }
                };
            }
            else baseAddress = new Uri(url);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
            using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

            // Warm up (ONNX Runtime's first run allocates) before the clock and the first memory reading.
            for (int i = 0; i < 3; i++) await Send(http, endpoint, probes[i % probes.Length], cancellation);
            double? rssStart = Rss(pid), rssMiddle = null;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# {clients} clients for {seconds:0.#} s, {perRequest} {(isMatcher ? "pair" : "text")}(s) per request, {probes.Length} distinct requests, {baseAddress}{(pid is null ? "" : $" (pid {pid})")}"));

            var clock = Stopwatch.StartNew();
            var deadline = TimeSpan.FromSeconds(seconds);
            var middle = Task.Run(async () =>
            {
                await Task.Delay(deadline / 2, cancellation);
                rssMiddle = Rss(pid);
            }, cancellation);
            var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
            {
                var result = new ClientResult();
                for (long n = 0; clock.Elapsed < deadline && !cancellation.IsCancellationRequested; n++)
                {
                    var probe = probes[(int)((client * 7919L + n * 31L) % probes.Length)];
                    long started = Stopwatch.GetTimestamp();
                    var (ok, answer) = await Send(http, endpoint, probe, cancellation);
                    result.Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (!ok)
                    {
                        result.Errors++;
                        result.FirstError ??= answer;
                        continue;
                    }
                    result.Texts += probe.Expected.Length;
                    if (probe.Expected.Length == 0 || probe.Expected[0] is null) continue;
                    result.Checked++;
                    if (Differs(probe, answer) is { } difference)
                    {
                        result.Mismatches++;
                        result.FirstMismatch ??= difference;
                    }
                }
                return result;
            }, cancellation)));
            double elapsed = clock.Elapsed.TotalSeconds;
            await middle;
            double? rssEnd = Rss(pid);

            var latencies = results.SelectMany(r => r.Latencies).Order().ToArray();
            long requests = latencies.Length, texts = results.Sum(r => r.Texts), errors = results.Sum(r => r.Errors);
            long checkedCount = results.Sum(r => r.Checked), mismatches = results.Sum(r => r.Mismatches);
            double Percentile(double p) => latencies.Length == 0 ? double.NaN : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)];
            string Mb(double? kb) => kb is { } v ? (v / 1024).ToString("0", CultureInfo.InvariantCulture) : "n/a";
            string identical = onnxPath is null ? "not checked (no --model)" : mismatches == 0 ? $"yes ({checkedCount} answers checked)" : $"NO: {mismatches} of {checkedCount} differ";

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests      {requests} in {elapsed:0.0} s: {requests / elapsed:0.0}/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"texts         {texts}: {texts / elapsed:0.0}/s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency ms    p50 {Percentile(0.50):0.00}  p95 {Percentile(0.95):0.00}  p99 {Percentile(0.99):0.00}  max {(latencies.Length == 0 ? double.NaN : latencies[^1]):0.00}"));
            Console.WriteLine($"errors        {errors}{(results.FirstOrDefault(r => r.FirstError is not null)?.FirstError is { } first ? $" (first: {first})" : "")}");
            Console.WriteLine($"identical     {identical}{(results.FirstOrDefault(r => r.FirstMismatch is not null)?.FirstMismatch is { } firstMismatch ? $" (first: {firstMismatch})" : "")}");
            Console.WriteLine($"server RSS MB start {Mb(rssStart)}  middle {Mb(rssMiddle)}  end {Mb(rssEnd)}");
            if (asJson)
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    clients, seconds = elapsed, textsPerRequest = perRequest, requests, texts, errors, @checked = checkedCount, mismatches,
                    requestsPerSecond = requests / elapsed, textsPerSecond = texts / elapsed,
                    p50Ms = Percentile(0.50), p95Ms = Percentile(0.95), p99Ms = Percentile(0.99),
                    rssStartMb = rssStart / 1024, rssMiddleMb = rssMiddle / 1024, rssEndMb = rssEnd / 1024,
                }));
            return errors == 0 && mismatches == 0 ? 0 : 1;
        }
        finally
        {
            if (server is not null) Stop(server);
        }
    }

    private sealed class ClientResult
    {
        public List<double> Latencies { get; } = [];
        public long Texts { get; set; }
        public long Errors { get; set; }
        public long Checked { get; set; }
        public long Mismatches { get; set; }
        public string? FirstError { get; set; }
        public string? FirstMismatch { get; set; }
    }

    /// <summary>Requests of <paramref name="perRequest"/> real texts (or pairs) each, with the in-process predictions when the model is at hand.</summary>
    private static Probe[] Probes(string? onnxPath, bool isMatcher, int perRequest)
    {
        if (isMatcher)
        {
            var pairs = BundledSamples.ReadPairs("couplet-match.test").Select(p => (p.Text1, p.Text2)).Take(1000).ToArray();
            object?[] expected = new object?[pairs.Length];
            if (onnxPath is not null)
            {
                using var matcher = AttentionOnnxMatcher.Load(onnxPath);
                expected = matcher.Predict(pairs).Cast<object?>().ToArray();
            }
            return pairs.Chunk(perRequest).Select((chunk, i) => new Probe(
                JsonSerializer.Serialize(new { pairs = chunk.Select(p => new { text1 = p.Text1, text2 = p.Text2 }) }),
                expected.Skip(i * perRequest).Take(chunk.Length).ToArray())).ToArray();
        }
        var texts = BundledSamples.ReadTexts("poetry-dynasty.test").Select(e => e.Text).ToArray();
        object?[] predictions = new object?[texts.Length];
        if (onnxPath is not null)
        {
            using var model = AttentionOnnxModel.Load(onnxPath);
            predictions = model.Predict(texts).Cast<object?>().ToArray();
        }
        return texts.Chunk(perRequest).Select((chunk, i) => new Probe(JsonSerializer.Serialize(new { texts = chunk }),
            predictions.Skip(i * perRequest).Take(chunk.Length).ToArray())).ToArray();
    }

    private static async Task<(bool Ok, string Answer)> Send(HttpClient http, string endpoint, Probe probe, CancellationToken cancellation)
    {
        try
        {
            using var content = new StringContent(probe.Body, Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(endpoint, content, cancellation);
            string body = await response.Content.ReadAsStringAsync(cancellation);
            return response.IsSuccessStatusCode ? (true, body) : (false, $"{(int)response.StatusCode}: {body}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return (false, e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>Null when the answer equals the in-process predictions (labels; probabilities and weights within 1e-6), else what differs.</summary>
    private static string? Differs(Probe probe, string answer)
    {
        using var document = JsonDocument.Parse(answer);
        var predictions = document.RootElement.GetProperty("predictions");
        if (predictions.GetArrayLength() != probe.Expected.Length) return $"{predictions.GetArrayLength()} predictions for {probe.Expected.Length} inputs";
        for (int i = 0; i < probe.Expected.Length; i++)
        {
            var got = predictions[i];
            string? difference = probe.Expected[i] switch
            {
                ClassPrediction want => DiffersClass(want, got),
                MatchPrediction want => DiffersMatch(want, got),
                _ => null,
            };
            if (difference is not null) return difference;
        }
        return null;
    }

    private static string? DiffersClass(ClassPrediction want, JsonElement got)
    {
        if (got.GetProperty("text").GetString() != want.Text) return "an answer for another text";
        if (got.GetProperty("label").GetString() != want.Label) return $"label {got.GetProperty("label")} instead of {want.Label}";
        var probabilities = got.GetProperty("probabilities");
        for (int c = 0; c < want.Labels.Count; c++)
            if (Math.Abs(probabilities.GetProperty(want.Labels[c]).GetDouble() - want.Probabilities[c]) > Tolerance) return $"probability of {want.Labels[c]}";
        return DiffersTokens(got.GetProperty("tokens"), want.Tokens, want.Heads);
    }

    private static string? DiffersMatch(MatchPrediction want, JsonElement got)
    {
        if (got.GetProperty("label").GetString() != want.Label) return $"label {got.GetProperty("label")} instead of {want.Label}";
        if (Math.Abs(got.GetProperty("probability").GetDouble() - want.Probability) > Tolerance) return "match probability";
        return DiffersTokens(got.GetProperty("tokens1"), want.Tokens1, 1) ?? DiffersTokens(got.GetProperty("tokens2"), want.Tokens2, 1);
    }

    private static string? DiffersTokens(JsonElement tokens, IReadOnlyList<TokenWeight> want, int heads)
    {
        if (tokens.GetArrayLength() != want.Count) return $"{tokens.GetArrayLength()} tokens instead of {want.Count}";
        for (int t = 0; t < want.Count; t++)
        {
            var token = tokens[t];
            if (token.GetProperty("offset").GetInt32() != want[t].Offset) return $"offset of token {t}";
            if (Math.Abs(token.GetProperty("weight").GetDouble() - want[t].Weight) > Tolerance) return $"weight of token {t}";
            if (heads > 1)
                for (int h = 0; h < heads; h++)
                    if (Math.Abs(token.GetProperty("weights")[h].GetDouble() - want[t].Weights[h]) > Tolerance) return $"head {h} weight of token {t}";
        }
        return null;
    }

    private static (Process Server, Uri Address) StartServer(string tool, string model, string[] serverArgs)
    {
        if (!File.Exists(tool)) throw new FileNotFoundException($"{tool} is not built; build the solution first or pass --tool.", tool);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[] { tool, "serve", "--model", model, "--port", "0" }.Concat(serverArgs)) start.ArgumentList.Add(argument);
        var server = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) listening.TrySetException(new InvalidOperationException($"the server exited (code {(server.HasExited ? server.ExitCode : -1)}) before listening"));
            else if (e.Data.StartsWith("listening on ", StringComparison.Ordinal)) listening.TrySetResult(new Uri(e.Data["listening on ".Length..].Trim()));
            else Console.WriteLine("# server: " + e.Data);
        };
        server.BeginErrorReadLine();
        _ = server.StandardOutput.ReadToEndAsync();
        if (!listening.Task.Wait(TimeSpan.FromMinutes(2)))
        {
            server.Kill(entireProcessTree: true);
            throw new TimeoutException("the server did not start listening within 2 minutes");
        }
        return (server, listening.Task.Result);
    }

    // SIGTERM: the server finishes its requests and exits 0; kill it if it does not.
    private static void Stop(Process server)
    {
        if (!server.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)]);
            kill?.WaitForExit();
            if (!server.WaitForExit(TimeSpan.FromSeconds(30))) server.Kill(entireProcessTree: true);
        }
        server.WaitForExit();
        Console.WriteLine($"# server exit code {server.ExitCode}");
        server.Dispose();
    }

    /// <summary>The resident memory of process <paramref name="pid"/> in kB (VmRSS), or null where it cannot be read.</summary>
    private static double? Rss(int? pid)
    {
        if (pid is null) return null;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return double.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static string DefaultTool()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MLNetAttention.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("The repository (MLNetAttention.sln) is not above the benchmark's folder: pass --tool.");
        return Path.Combine(root.FullName, "src", "MLNetAttention.Cli", "bin", configuration, output.Name, "mlnet-attention.dll");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
