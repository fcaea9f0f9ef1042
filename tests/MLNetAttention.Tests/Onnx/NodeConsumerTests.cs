using System.Diagnostics;
using System.Text.Json;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
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
        AssertNodeScores(onnxDirectory, path, expected, torch);
    }

    [TestMethod]
    public void NodeScoresACompactTrigramModelLikeDotNet()
    {
        // The compact layout (uint8 ranks, int8 rows, dequantizing Gathers) runs in onnxruntime-node as in .NET.
        string onnxDirectory = Path.Combine(RepositoryRoot(), "onnx");
        EnsureNodeModules(onnxDirectory);
        using var classifier = Build(EncoderKind.None, PoolingKind.MultiHead, bigrams: 997, trigrams: true);
        string path = Path.Combine(TempDirectory(), "compact.onnx");
        OnnxExporter.Export(classifier, path, OnnxExportOptions.Compact());
        using var model = AttentionOnnxModel.Load(path);
        var expected = model.Predict(NodeTexts);
        AssertNodeScores(onnxDirectory, path, expected, expected);
    }

    // Node's output for NodeTexts against ONNX Runtime in .NET (1e-5) and against the TorchSharp network (1e-5).
    private static void AssertNodeScores(string onnxDirectory, string path, IReadOnlyList<ClassPrediction> expected, IReadOnlyList<ClassPrediction> torch)
    {
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
    [DataRow(MatcherKind.Siamese, EncoderKind.ResConv, TokenizationMode.Mixed)]
    [DataRow(MatcherKind.Triplet, EncoderKind.BiLstm, TokenizationMode.Char)]
    [DataRow(MatcherKind.Cross, EncoderKind.ResConv, TokenizationMode.Mixed)]
    public void NodeScoresPairsLikeDotNet(MatcherKind kind, EncoderKind encoder, TokenizationMode mode)
    {
        string onnxDirectory = Path.Combine(RepositoryRoot(), "onnx");
        EnsureNodeModules(onnxDirectory);
        using var matcher = BuildMatcher(kind, encoder, mode: mode);
        string path = Path.Combine(TempDirectory(), "matcher.onnx");
        OnnxExporter.Export(matcher, path);
        using var model = AttentionOnnxMatcher.Load(path);
        var pairs = NodeTexts.Zip(NodeTexts.Reverse()).ToArray();
        var expected = model.Predict(pairs);
        var torch = matcher.Predict(pairs);

        string[] arguments = [Path.Combine(onnxDirectory, "score.mjs"), path, .. pairs.SelectMany(p => new[] { "--pair", p.First, p.Second })];
        var (exitCode, output, error) = RunProcess("node", onnxDirectory, arguments);
        Assert.AreEqual(0, exitCode, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(pairs.Length, lines);
        for (int i = 0; i < pairs.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            var want = expected[i];
            Assert.AreEqual(want.Text1, root.GetProperty("text1").GetString());
            Assert.AreEqual(want.Text2, root.GetProperty("text2").GetString());
            Assert.AreEqual(want.Label, root.GetProperty("label").GetString(), $"pair {i}");
            Assert.AreEqual(torch[i].Label, want.Label);
            Assert.AreEqual(want.Probability, root.GetProperty("probability").GetSingle(), 1e-5f);
            Assert.AreEqual(want.Probability, root.GetProperty("probabilities").GetProperty("1").GetSingle(), 1e-5f);
            Assert.AreEqual(1 - want.Probability, root.GetProperty("probabilities").GetProperty("0").GetSingle(), 1e-5f);
            Assert.AreEqual(torch[i].Probability, want.Probability, 1e-5f);
            Assert.AreEqual(want.TruncatedTokens1, root.GetProperty("truncatedTokens1").GetInt32());
            Assert.AreEqual(want.TruncatedTokens2, root.GetProperty("truncatedTokens2").GetInt32());
            AssertSameTokens(want.Tokens1, torch[i].Tokens1, root.GetProperty("tokens1"), root.GetProperty("weights1"), $"text1 of pair {i}");
            AssertSameTokens(want.Tokens2, torch[i].Tokens2, root.GetProperty("tokens2"), root.GetProperty("weights2"), $"text2 of pair {i}");
            AssertSameAlignment(want.Alignment, torch[i].Alignment, root, $"pair {i}");
        }

        // text1<TAB>text2 lines on standard input score the same.
        var (stdinExitCode, stdinOutput, stdinError) = RunProcess("node", onnxDirectory, [Path.Combine(onnxDirectory, "score.mjs"), path],
            standardInput: string.Join("\n", pairs.Take(3).Select(p => $"{p.First.Replace('\t', ' ')}\t{p.Second.Replace('\t', ' ')}")));
        Assert.AreEqual(0, stdinExitCode, stdinError);
        Assert.HasCount(3, stdinOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    // The "alignment" rows (one per token of text1, one weight per token of text2), present only for a cross matcher.
    private static void AssertSameAlignment(float[,]? want, float[,]? torch, JsonElement root, string what)
    {
        bool printed = root.TryGetProperty("alignment", out var alignment);
        Assert.AreEqual(want is not null, printed, $"{what}: alignment printed");
        if (want is null) return;
        Assert.IsNotNull(torch);
        var rows = alignment.EnumerateArray().Select(r => r.EnumerateArray().Select(a => a.GetSingle()).ToArray()).ToArray();
        Assert.HasCount(want.GetLength(0), rows, $"{what}: alignment rows");
        Assert.IsTrue(rows.All(r => r.Length == want.GetLength(1)), $"{what}: alignment columns");
        Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(want.Cast<float>().ToArray(), rows.SelectMany(r => r).ToArray()), $"{what}: alignment");
        Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(torch.Cast<float>().ToArray(), want.Cast<float>().ToArray()), $"{what}: alignment (TorchSharp)");
    }

    private static void AssertSameTokens(IReadOnlyList<TokenWeight> want, IReadOnlyList<TokenWeight> torch, JsonElement tokens, JsonElement weights, string what)
    {
        var nodeTokens = tokens.EnumerateArray().ToArray();
        var nodeWeights = weights.EnumerateArray().Select(w => w.GetSingle()).ToArray();
        Assert.HasCount(want.Count, nodeTokens, $"token count of {what}");
        Assert.HasCount(want.Count, nodeWeights, $"weight count of {what}");
        for (int t = 0; t < nodeTokens.Length; t++)
        {
            Assert.AreEqual(want[t].Id, nodeTokens[t].GetProperty("id").GetInt32(), $"token {t} of {what}");
            Assert.AreEqual(want[t].Token, nodeTokens[t].GetProperty("token").GetString());
            Assert.AreEqual(want[t].Offset, nodeTokens[t].GetProperty("offset").GetInt32());
            Assert.AreEqual(want[t].Length, nodeTokens[t].GetProperty("length").GetInt32());
        }
        Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(want.Select(t => t.Weight).ToArray(), nodeWeights), what);
        Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(torch.Select(t => t.Weight).ToArray(), want.Select(t => t.Weight).ToArray()), what);
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

    private static (int ExitCode, string Output, string Error) RunProcess(string program, string directory, string[] arguments, int timeoutSeconds = 120,
        string? standardInput = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8, StandardErrorEncoding = System.Text.Encoding.UTF8,
            RedirectStandardInput = standardInput is not null,
        };
        if (standardInput is not null) start.StandardInputEncoding = new System.Text.UTF8Encoding(false);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }
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
