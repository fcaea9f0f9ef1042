using System.Diagnostics;
using System.Text.Json;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;

namespace MLNetAttention.Tests.Onnx;

/// <summary>Runs onnx/score.mjs (onnxruntime-node) on an exported model and compares it with .NET.</summary>
[TestClass]
[DoNotParallelize]
public sealed class NodeConsumerTests
{
    private static readonly string[] NodeTexts =
    [
        .. Text.TestTexts.Sentences,
        "月", "Ünïcödé ΣΊΣΥΦΟΣ İstanbul straße 42km/h — «quoted» 東京タワー、ｶﾀｶﾅ。",
        "  spaces\tand\u00a0no-break\u3000ideographic space ",
        "A long one: " + string.Concat(Enumerable.Repeat("春眠不觉晓 spring sleep 123! ", 6)),
    ];

    public static IEnumerable<object[]> Models() =>
    [
        [EncoderKind.Conv, PoolingKind.Attention, TokenizationMode.Char],
        [EncoderKind.BiLstm, PoolingKind.MultiHead, TokenizationMode.Mixed],
        [EncoderKind.ResConv, PoolingKind.Max, TokenizationMode.Mixed],
    ];

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void NodeScoresLikeDotNet(EncoderKind encoder, PoolingKind pooling, TokenizationMode mode)
    {
        string onnxDirectory = Path.Combine(RepositoryRoot(), "onnx");
        EnsureNodeModules(onnxDirectory);
        using var classifier = Build(encoder, pooling, mode: mode);
        string path = Path.Combine(TempDirectory(), "model.onnx");
        OnnxExporter.Export(classifier, path);
        using var model = AttentionOnnxModel.Load(path);
        var expected = model.Predict(NodeTexts);
        var torch = classifier.Predict(NodeTexts);

        var (exitCode, output, error) = RunProcess("node", onnxDirectory, [Path.Combine(onnxDirectory, "score.mjs"), path, .. NodeTexts]);
        Assert.AreEqual(0, exitCode, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(NodeTexts.Length, lines);
        for (int i = 0; i < NodeTexts.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            var want = expected[i];
            Assert.AreEqual(want.Label, root.GetProperty("label").GetString(), NodeTexts[i]);
            Assert.AreEqual(torch[i].Label, want.Label);
            Assert.AreEqual(want.TruncatedTokens, root.GetProperty("truncatedTokens").GetInt32(), NodeTexts[i]);
            var probabilities = root.GetProperty("probabilities");
            for (int c = 0; c < want.Labels.Count; c++)
            {
                Assert.AreEqual(want.Probabilities[c], probabilities.GetProperty(want.Labels[c]).GetSingle(), 1e-5f);
                Assert.AreEqual(torch[i].Probabilities[c], want.Probabilities[c], 1e-5f);
            }
            var tokens = root.GetProperty("tokens").EnumerateArray().ToArray();
            var weights = root.GetProperty("weights").EnumerateArray().ToArray();
            Assert.HasCount(want.Tokens.Count, tokens, $"token count of \"{NodeTexts[i]}\"");
            for (int t = 0; t < tokens.Length; t++)
            {
                var token = want.Tokens[t];
                Assert.AreEqual(token.Id, tokens[t].GetProperty("id").GetInt32(), $"token {t} of \"{NodeTexts[i]}\"");
                Assert.AreEqual(token.Token, tokens[t].GetProperty("token").GetString());
                Assert.AreEqual(token.Offset, tokens[t].GetProperty("offset").GetInt32());
                Assert.AreEqual(token.Length, tokens[t].GetProperty("length").GetInt32());
                float[] nodeWeights = want.Heads == 1 ? [weights[t].GetSingle()] : weights[t].EnumerateArray().Select(w => w.GetSingle()).ToArray();
                Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(token.Weights, nodeWeights));
                Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(torch[i].Tokens[t].Weights, token.Weights));
            }
        }
    }

    [TestMethod]
    public void NodeRejectsAForeignFileClearly()
    {
        string onnxDirectory = Path.Combine(RepositoryRoot(), "onnx");
        EnsureNodeModules(onnxDirectory);
        string path = Path.Combine(TempDirectory(), "foreign.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(new global::Onnx.ModelProto { IrVersion = 8 }));
        var (exitCode, _, error) = RunProcess("node", onnxDirectory, [Path.Combine(onnxDirectory, "score.mjs"), path, "text"]);
        Assert.AreNotEqual(0, exitCode);
        StringAssert.Contains(error, "not an MLNetAttention ONNX model (no 'mlnet_attention.format' metadata)");
    }

    private static readonly Lock NpmLock = new();

    // npm ci once; onnx/node_modules (git-ignored) is the cache.
    private static void EnsureNodeModules(string onnxDirectory)
    {
        if (FindOnPath("node") is null) Assert.Inconclusive("node is not installed; the Node.js consumer cannot be checked.");
        lock (NpmLock)
        {
            if (File.Exists(Path.Combine(onnxDirectory, "node_modules", "onnxruntime-node", "package.json"))) return;
            if (FindOnPath("npm") is null) Assert.Inconclusive("npm is not installed; the Node.js consumer cannot be checked.");
            var (exitCode, output, error) = RunProcess("npm", onnxDirectory, ["ci", "--no-audit", "--no-fund"], timeoutSeconds: 600);
            Assert.AreEqual(0, exitCode, $"npm ci failed:\n{output}\n{error}");
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);

    private static (int ExitCode, string Output, string Error) RunProcess(string program, string directory, string[] arguments, int timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8, StandardErrorEncoding = System.Text.Encoding.UTF8,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments.Take(2))} did not finish in {timeoutSeconds} s.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "MLNetAttention.sln"))) return directory.FullName;
        throw new InvalidOperationException($"No MLNetAttention.sln above {AppContext.BaseDirectory}.");
    }
}
