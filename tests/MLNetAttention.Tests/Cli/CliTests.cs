using MLNetAttention.Data;
using MLNetAttention.Training;
using System.Diagnostics;
using System.Text.Json;

namespace MLNetAttention.Tests.Cli;

/// <summary>Runs the built mlnet-attention tool as a user would and checks its output and documented exit codes.</summary>
[TestClass]
public sealed class CliTests
{
    private static string? TrainedModelDirectory;

    internal static string Tool()
    {
        // The tool is built by the same solution build, in the same configuration as this test assembly.
        var output = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MLNetAttention.sln"))) root = root.Parent;
        Assert.IsNotNull(root, "the repository root (MLNetAttention.sln) was not found above the test output");
        string tool = Path.Combine(root.FullName, "src", "MLNetAttention.Cli", "bin", configuration, output.Name, "mlnet-attention.dll");
        if (!File.Exists(tool)) Assert.Inconclusive($"{tool} is not built; build the solution first.");
        return tool;
    }

    internal static (int ExitCode, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Tool());
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(3)), "the tool did not finish");
        return (process.ExitCode, output, error.Result);
    }

    internal static string TrainedModel()
    {
        if (TrainedModelDirectory is not null) return TrainedModelDirectory;
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        var (code, output, error) = Run("train", "--data", "sample:poetry-dynasty", "--epochs", "1", "--min-freq", "2",
            "--embedding-dim", "32", "--hidden-dim", "32", "--threads", "1", "--out", directory);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "accuracy");
        Assert.IsTrue(File.Exists(Path.Combine(directory, "model.onnx")), "train also writes model.onnx");
        return TrainedModelDirectory = directory;
    }

    [TestMethod]
    public void TrainThenPredictJsonGivesLabelsProbabilitiesAndTokenWeights()
    {
        string model = TrainedModel();
        string text = "床前明月光，疑是地上霜。";
        var (code, output, error) = Run("predict", "--model", model, "--json", text);
        Assert.AreEqual(0, code, error);
        using var json = JsonDocument.Parse(output.Trim());
        var root = json.RootElement;
        Assert.IsTrue(root.GetProperty("label").GetString() is "tang" or "song");
        double total = root.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble());
        Assert.AreEqual(1.0, total, 1e-4);
        var tokens = root.GetProperty("tokens").EnumerateArray().ToList();
        Assert.AreEqual(text.Count(c => !char.IsWhiteSpace(c)), tokens.Count);
        Assert.AreEqual(1.0, tokens.Sum(t => t.GetProperty("weight").GetDouble()), 1e-4);
        // Char mode: every token, known or unknown, is its own span of the input.
        foreach (var token in tokens)
            Assert.AreEqual(text.Substring(token.GetProperty("offset").GetInt32(), token.GetProperty("length").GetInt32()), token.GetProperty("token").GetString());

        var (plainCode, plain, _) = Run("predict", "--model", model, text);
        Assert.AreEqual(0, plainCode);
        StringAssert.StartsWith(plain, text + " => ");
        Assert.IsFalse(plain.Contains('\u001b'), "NO_COLOR and redirected output must give plain text");
    }

    [TestMethod]
    public void BadInputGivesTheDocumentedExitCodesAndSaysWhatToFix()
    {
        string missing = Path.Combine(Path.GetTempPath(), "mlna-no-such-file.csv");
        var (code, _, error) = Run("train", "--data", missing);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "mlna-no-such-file.csv");

        (code, _, error) = Run("predict", "--model", Path.Combine(Path.GetTempPath(), "mlna-no-such-model"), "text");
        Assert.AreEqual(3, code, error);
        StringAssert.Contains(error, "does not exist");
        StringAssert.Contains(error, "`mlnet-attention train --data <file> --out <dir>`", "the command line adds its own advice to the library's");

        // The same for a damaged ONNX file: the library's message, then how to export it again with the tool.
        string damaged = Path.Combine(Path.GetTempPath(), $"mlna-damaged-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(damaged, [0xFF, 0xFF, 0xFF, 0xFF]);
        (code, _, error) = Run("predict", "--model", damaged, "床前明月光");
        Assert.AreEqual(3, code, error);
        StringAssert.Contains(error, "not a readable ONNX model");
        StringAssert.Contains(error, $"`mlnet-attention export --model <dir> --out {Path.GetFileName(damaged)}`");

        string unseen = Path.Combine(Path.GetTempPath(), $"mlna-unseen-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(unseen, "{\"text\":\"床前明月光\",\"label\":\"yuan\"}\n");
        (code, _, error) = Run("evaluate", "--model", TrainedModel(), "--data", unseen);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, "'yuan'");

        (code, _, _) = Run("train", "--data", "sample:poetry-dynasty", "--encoder", "transformer");
        Assert.AreEqual(1, code, "an invalid option value is a usage error");
        (code, _, error) = Run("train", "--data", "sample:poetry-dynasty", "--epochs", "-1");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "Epochs");
        (code, _, error) = Run("train", "--data", "sample:poetry-dynasty", "--pooling", "multihead", "--heads", "3", "--sliced-heads");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "SlicedHeads");
        StringAssert.Contains(error, "divides by the heads (3)");
        (code, _, error) = Run("train", "--data", "sample:poetry-dynasty", "--pooling", "multihead", "--companion", "none", "--companion-single-head");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "CompanionSingleHead");
        StringAssert.Contains(error, "Companion network");
        (code, _, error) = Run("train", "--data", "sample:poetry-dynasty", "--companion", "none", "--companion-pooling", "mean");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "CompanionPooling is Mean");
        StringAssert.Contains(error, "Companion network");

        // An output that cannot be written fails before training (nothing can be created under /proc, even as root).
        (code, var trainOutput, error) = Run("train", "--data", "sample:poetry-dynasty", "--out", "/proc/mlna-no-such-place/model");
        Assert.AreEqual(3, code, error);
        StringAssert.Contains(error, "cannot write");
        Assert.IsFalse(error.Contains("epoch 1/"), "the check comes before training");
    }

    [TestMethod]
    public void EveryCommandTheCliDefinesIsReachableThroughTheExecutable()
    {
        // Every static class with a Create() that builds a Command: a command written but never registered fails here.
        var assembly = System.Reflection.Assembly.LoadFrom(Tool());
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (System.Reflection.ReflectionTypeLoadException e)
        {
            // serve's types on the ASP.NET Core shared framework do not load in this process, which lacks it; the commands do.
            types = e.Types.OfType<Type>().ToArray();
        }
        var commands = types
            .Select(t => t.GetMethod("Create", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static, Type.EmptyTypes))
            .Where(m => m is not null && m.ReturnType.FullName == "System.CommandLine.Command")
            .Select(m => m!.DeclaringType!.Name)
            .ToList();
        Assert.IsGreaterThanOrEqualTo(8, commands.Count, string.Join(", ", commands));
        var (code, rootHelp, error) = Run("--help");
        Assert.AreEqual(0, code, error);
        foreach (string type in commands)
        {
            string name = type[..^"Command".Length].ToLowerInvariant();
            StringAssert.Contains(rootHelp, "  " + name, $"{type} is not registered in Program.cs");
            (code, var help, error) = Run(name, "--help");
            Assert.AreEqual(0, code, $"{name} --help: {error}");
            StringAssert.Contains(help, "Usage:");
            StringAssert.Contains(help, "mlnet-attention " + name);
        }
    }

    [TestMethod]
    public void ATextOutsideTheVocabularyGetsAWarningAndItsUnknownShare()
    {
        string model = TrainedModel();
        var (code, output, error) = Run("predict", "--model", model, "--json", "Lorem ipsum dolor sit amet");
        Assert.AreEqual(0, code, error);
        using (var json = JsonDocument.Parse(output.Trim()))
            Assert.AreEqual(1.0, json.RootElement.GetProperty("unknownShare").GetDouble(), 1e-6, "no Latin letter is in a Tang/Song vocabulary");
        StringAssert.Contains(error, "outside the model's vocabulary");

        (code, output, error) = Run("predict", "--model", model, "--json", "床前明月光，疑是地上霜。");
        Assert.AreEqual(0, code, error);
        using (var json = JsonDocument.Parse(output.Trim()))
            Assert.IsLessThan(0.5, json.RootElement.GetProperty("unknownShare").GetDouble());
        Assert.IsFalse(error.Contains("outside the model's vocabulary"), error);

        // evaluate says how much of the data is mostly unknown.
        string data = Path.Combine(Path.GetTempPath(), $"mlna-unknown-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(data, ["{\"text\":\"Lorem ipsum dolor sit amet\",\"label\":\"tang\"}", "{\"text\":\"床前明月光，疑是地上霜。\",\"label\":\"tang\"}"]);
        (code, _, error) = Run("evaluate", "--model", model, "--data", data);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "1 of 2 texts are over 50% unknown");
    }

    [TestMethod]
    public void PredictOnTheOnnxFileGivesTheDirectorysPredictionsWithoutTorchSharpWeights()
    {
        string model = TrainedModel();
        string[] texts = ["床前明月光，疑是地上霜。", "大江東去，浪淘盡，千古風流人物。"];
        var (code, fromDirectory, error) = Run(["predict", "--model", model, "--json", .. texts]);
        Assert.AreEqual(0, code, error);
        (code, var fromOnnx, error) = Run(["predict", "--model", Path.Combine(model, "model.onnx"), "--json", .. texts]);
        Assert.AreEqual(0, code, error);
        var directoryLines = fromDirectory.Trim().Split('\n');
        var onnxLines = fromOnnx.Trim().Split('\n');
        Assert.HasCount(2, onnxLines);
        for (int i = 0; i < texts.Length; i++)
        {
            using var a = JsonDocument.Parse(directoryLines[i]);
            using var b = JsonDocument.Parse(onnxLines[i]);
            Assert.AreEqual(a.RootElement.GetProperty("label").GetString(), b.RootElement.GetProperty("label").GetString());
            Assert.AreEqual(a.RootElement.GetProperty("probability").GetDouble(), b.RootElement.GetProperty("probability").GetDouble(), 1e-4);
            var weightsA = a.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("weight").GetDouble()).ToList();
            var weightsB = b.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("weight").GetDouble()).ToList();
            Assert.HasCount(weightsA.Count, weightsB);
            for (int t = 0; t < weightsA.Count; t++) Assert.AreEqual(weightsA[t], weightsB[t], 1e-4);
        }
    }

    [TestMethod]
    public void VisualizeWritesAReportAndAFigureAndNeedsAnOutputFile()
    {
        string model = TrainedModel();
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string input = Path.Combine(directory, "poems.jsonl");
        File.WriteAllLines(input, BundledSamples.ReadTexts("poetry-dynasty.test").Take(3)
            .Select(e => JsonSerializer.Serialize(new { text = e.Text, label = e.Label })));
        string html = Path.Combine(directory, "report.html");
        var (code, _, error) = Run("visualize", "--model", model, "--input", input, "--out", html, "--title", "three poems");
        Assert.AreEqual(0, code, error);
        string report = File.ReadAllText(html);
        StringAssert.Contains(report, "three poems");
        StringAssert.Contains(report, BundledSamples.ReadTexts("poetry-dynasty.test").First().Text[..1]);

        string png = Path.Combine(directory, "figure.png");
        (code, _, error) = Run("visualize", "--model", Path.Combine(model, "model.onnx"), "--input", input, "--format", "png", "--out", png);
        Assert.AreEqual(0, code, error);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);

        (code, _, error) = Run("visualize", "--model", model, "--input", input, "--format", "svg");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--out FILE is required");
    }

    [TestMethod]
    public void PresetNgramSetsItsOptionsAndExplicitFlagsOverrideThem()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        // A small bigram table and embedding keep the test quick; everything else comes from the preset.
        var (code, output, error) = Run("train", "--preset", "ngram", "--data", "sample:poetry-dynasty", "--bigram-buckets", "20000",
            "--embedding-dim", "32", "--threads", "1", "--out", directory);
        Assert.AreEqual(0, code, error);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "model.json")));
        var model = json.RootElement.GetProperty("model");
        var training = json.RootElement.GetProperty("training");
        Assert.AreEqual("None", model.GetProperty("encoder").GetString());
        Assert.AreEqual(16, model.GetProperty("bigramDim").GetInt32());
        Assert.AreEqual(0, model.GetProperty("bigramDropout").GetDouble());
        Assert.AreEqual("Linear", training.GetProperty("decay").GetString());
        Assert.AreEqual(0, training.GetProperty("validationFraction").GetDouble());
        Assert.AreEqual(5, training.GetProperty("epochs").GetInt32());
        Assert.AreEqual(0, json.RootElement.GetProperty("summary").GetProperty("validationCount").GetInt32(), "the preset trains on all the data");
        Assert.AreEqual("Conv", model.GetProperty("companion").GetProperty("encoder").GetString(), "the preset trains a conv network beside the bigram one");
        // The flags given explicitly win over the preset.
        Assert.AreEqual(20000, model.GetProperty("bigramBuckets").GetInt32());
        Assert.AreEqual(32, model.GetProperty("embeddingDim").GetInt32());
        var accuracy = double.Parse(output.Split('\n').First(l => l.StartsWith("accuracy ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsGreaterThan(0.65, accuracy, "the preset learns the bundled Tang/Song sample (800 held-out poems)");

        // The preset writes the compact layout: one copy of the weights, in model.onnx, with int8 touched rows.
        Assert.IsFalse(File.Exists(Path.Combine(directory, "weights.bin")));
        Assert.AreEqual(4, json.RootElement.GetProperty("formatVersion").GetInt32(), "a compact model (ranked row index) with a companion is format 4");
        StringAssert.Contains(error, "model.onnx ");
        // train scored the directory it wrote, so evaluate reads the same accuracy back, from the directory and from
        // an export of it, which keeps the compact table.
        string exported = Path.Combine(directory + "-export", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(exported)!);
        (code, _, error) = Run("export", "--model", directory, "--out", exported);
        Assert.AreEqual(0, code, error);
        Assert.AreEqual(new FileInfo(Path.Combine(directory, "model.onnx")).Length, new FileInfo(exported).Length, 4096,
            "re-exporting a compact directory keeps its int8 rows");
        foreach (string scored in new[] { directory, exported })
        {
            (code, var evaluated, error) = Run("evaluate", "--model", scored, "--data", "sample:poetry-dynasty", "--json");
            Assert.AreEqual(0, code, error);
            using var metrics = JsonDocument.Parse(evaluated);
            Assert.AreEqual(accuracy, metrics.RootElement.GetProperty("accuracy").GetDouble(), 5e-5, scored);
        }
        (code, _, error) = Run("evaluate", "--model", exported, "--data", "sample:poetry-dynasty", "--faithfulness");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "needs the model directory");

        // A row limit needs a compact table, and is refused before any training.
        (code, _, error) = Run("train", "--preset", "ngram", "--storage", "full", "--max-bigram-rows", "1000", "--data", "sample:poetry-dynasty", "--out", directory + "-refused");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--max-bigram-rows");
        Assert.IsFalse(Directory.Exists(directory + "-refused"));

        (code, _, error) = Run("train", "--preset", "ngram", "--task", "match", "--data", "sample:couplet-match");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--preset applies to --task classify");
        (code, _, error) = Run("train", "--companion", "conv", "--task", "match", "--data", "sample:couplet-match");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--companion applies to --task classify");
        (code, _, error) = Run("train", "--min-ngram-texts", "2", "--task", "match", "--data", "sample:couplet-match");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--min-ngram-texts applies to --task classify");

        // --companion none keeps the bigram network alone: the compact format of one network.
        (code, _, error) = Run("train", "--preset", "ngram", "--companion", "none", "--data", "sample:poetry-dynasty", "--bigram-buckets", "20000",
            "--embedding-dim", "32", "--epochs", "1", "--threads", "1", "--min-ngram-texts", "2", "--out", directory + "-solo");
        Assert.AreEqual(0, code, error);
        StringAssert.Matches(error, new System.Text.RegularExpressions.Regex(@"[1-9][\d,]* n-gram rows reset: their n-grams occur in fewer than 2 training texts"));
        using var solo = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory + "-solo", "model.json")));
        Assert.AreEqual(2, solo.RootElement.GetProperty("training").GetProperty("minNgramTexts").GetInt32());
        Assert.IsFalse(solo.RootElement.GetProperty("model").TryGetProperty("companion", out var none) && none.ValueKind != JsonValueKind.Null);
        Assert.AreEqual(4, solo.RootElement.GetProperty("formatVersion").GetInt32());
        // On words the preset hashes trigrams too and drops the rows of n-grams found in one training review.
        (code, _, error) = Run("train", "--preset", "ngram", "--tokenizer", "mixed", "--data", "sample:imdb", "--bigram-buckets", "20000",
            "--embedding-dim", "32", "--epochs", "1", "--threads", "1", "--out", directory + "-words");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "n-gram rows reset: their n-grams occur in fewer than 2 training texts");
        using var words = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory + "-words", "model.json")));
        Assert.IsTrue(words.RootElement.GetProperty("model").GetProperty("trigrams").GetBoolean());
        Assert.AreEqual(2, words.RootElement.GetProperty("training").GetProperty("minNgramTexts").GetInt32());
        Assert.IsFalse(words.RootElement.GetProperty("model").TryGetProperty("companion", out var noTwin) && noTwin.ValueKind != JsonValueKind.Null);
        // --companion ngram adds a copy of the network as the flags left it, trained apart, and scores as one model.
        (code, var twinOutput, error) = Run("train", "--preset", "ngram", "--tokenizer", "mixed", "--companion", "ngram", "--min-ngram-texts", "3",
            "--data", "sample:imdb", "--bigram-buckets", "20000", "--embedding-dim", "32", "--epochs", "1", "--threads", "1", "--out", directory + "-twin");
        Assert.AreEqual(0, code, error);
        using var twinJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory + "-twin", "model.json")));
        Assert.IsTrue(twinJson.RootElement.GetProperty("training").GetProperty("companionApart").GetBoolean());
        Assert.AreEqual(3, twinJson.RootElement.GetProperty("training").GetProperty("minNgramTexts").GetInt32());
        var twin = twinJson.RootElement.GetProperty("model").GetProperty("companion");
        Assert.AreEqual("None", twin.GetProperty("encoder").GetString());
        Assert.AreEqual(20000, twin.GetProperty("bigramBuckets").GetInt32());
        Assert.AreEqual(32, twin.GetProperty("embeddingDim").GetInt32());
        Assert.IsTrue(twin.GetProperty("trigrams").GetBoolean());
        (code, var twinEvaluated, error) = Run("evaluate", "--model", directory + "-twin", "--data", "sample:imdb", "--json");
        Assert.AreEqual(0, code, error);
        using var twinMetrics = JsonDocument.Parse(twinEvaluated);
        var twinAccuracy = double.Parse(twinOutput.Split('\n').First(l => l.StartsWith("accuracy ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.AreEqual(twinAccuracy, twinMetrics.RootElement.GetProperty("accuracy").GetDouble(), 5e-5, "the directory scores what training reported");
        (code, _, error) = Run("train", "--preset", "ngram", "--tokenizer", "mixed", "--companion", "ngram", "--resume", directory + "-nothing",
            "--data", "sample:imdb", "--out", directory + "-never");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--resume is not supported with --companion ngram");
        (code, _, error) = Run("train", "--storage", "compact", "--task", "match", "--data", "sample:couplet-match");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--storage and --max-bigram-rows apply to --task classify");
    }

    [TestMethod]
    public void DemoTrainsBothClassifiersAndTheMatcherAndWritesOneReport()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        var (code, output, error) = Run("demo", "--out", directory, "--epochs", "2", "--matcher-epochs", "1", "--examples", "1");
        Assert.AreEqual(0, code, error);
        foreach (var line in new[] { "attention: test accuracy", "multihead: test accuracy", "heads: diversity ratio", "head 4:", "matcher: test accuracy" })
            StringAssert.Contains(output, line);
        foreach (var file in new[] { "report.html", "attention/model.onnx", "multihead/model.onnx", "multihead/report.html", "matcher/model.onnx" })
            Assert.IsTrue(File.Exists(Path.Combine(directory, file)), $"{file} is written");

        // The 4-head model is trained with the demo's recipe, as saved with the model.
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "multihead", "model.json")));
        var model = json.RootElement.GetProperty("model");
        Assert.AreEqual("MultiHead", model.GetProperty("pooling").GetString());
        Assert.AreEqual(4, model.GetProperty("heads").GetInt32());
        Assert.IsTrue(model.GetProperty("slicedHeads").GetBoolean());
        Assert.AreEqual(0.03, model.GetProperty("headOverlapPenalty").GetDouble(), "the documented recipe (docs/benchmarks.md)");
        Assert.AreEqual(0.6, model.GetProperty("headDropout").GetDouble());
        // The report names each head after its top characters.
        StringAssert.Contains(File.ReadAllText(Path.Combine(directory, "report.html")), "head 4 ·");
    }

    [TestMethod]
    public void MultiHeadPoolingOnCharactersTrainsWithTheHeadRecipeUnlessFlagsSayOtherwise()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        (double Overlap, double Dropout, double Flatness, double Solo, double Pairing, bool Sliced, double? CompanionSolo) HeadOptions(string name, params string[] flags)
        {
            var (code, _, error) = Run(["train", "--pooling", "multihead", "--epochs", "1", "--embedding-dim", "16", "--hidden-dim", "16",
                "--threads", "1", "--out", Path.Combine(directory, name), .. flags]);
            Assert.AreEqual(0, code, error);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, name, "model.json")));
            var model = json.RootElement.GetProperty("model");
            return (model.GetProperty("headOverlapPenalty").GetDouble(), model.GetProperty("headDropout").GetDouble(),
                model.GetProperty("headFlatnessPenalty").GetDouble(), model.GetProperty("headSoloLoss").GetDouble(),
                model.GetProperty("companionHeadPairing").GetDouble(), model.GetProperty("slicedHeads").GetBoolean(),
                model.TryGetProperty("companionHeadSoloLoss", out var companionSolo) && companionSolo.ValueKind == JsonValueKind.Number ? companionSolo.GetDouble() : null);
        }
        Assert.AreEqual((AttentionClassifierOptions.CharHeadOverlapPenalty, AttentionClassifierOptions.CharHeadDropout, 0.0, AttentionClassifierOptions.CharHeadSoloLoss, 0.0, false, (double?)null),
            HeadOptions("chars", "--data", "sample:poetry-dynasty"), "characters: the overlap penalty with head dropout and the solo-head loss");
        Assert.AreEqual((AttentionClassifierOptions.CharHeadOverlapPenalty, AttentionClassifierOptions.CharHeadDropout, AttentionClassifierOptions.NgramCharHeadFlatnessPenalty,
            AttentionClassifierOptions.CharHeadSoloLoss, 0.0, false, (double?)null),
            HeadOptions("preset", "--data", "sample:poetry-dynasty", "--preset", "ngram"), "the ngram preset: the solo-head loss and the flatness penalty");
        Assert.AreEqual((0.0, 0.0, 0.0, 0.0, 0.0, false, (double?)null), HeadOptions("words", "--data", "sample:spam", "--tokenizer", "mixed", "--max-length", "64"), "words: plain heads");
        Assert.AreEqual((0.03, 0.0, 0.02, 0.5, 0.2, true, (double?)0.25), HeadOptions("given", "--data", "sample:poetry-dynasty", "--head-overlap-penalty", "0.03", "--head-dropout", "0",
            "--head-flatness-penalty", "0.02", "--head-solo-loss", "0.5", "--companion-head-pairing", "0.2", "--sliced-heads", "--companion-head-solo-loss", "0.25"),
            "flags win over the default");

        // The preset's multi-head variant mean-pools its companion, which older versions must refuse; each head is still reported.
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "preset", "model.json"))))
        {
            Assert.AreEqual("Mean", json.RootElement.GetProperty("model").GetProperty("companionPooling").GetString());
            Assert.AreEqual(6, json.RootElement.GetProperty("formatVersion").GetInt32());
        }
        var (presetCode, presetPrediction, presetError) = Run("predict", "--model", Path.Combine(directory, "preset"), "--json", "床前明月光");
        Assert.AreEqual(0, presetCode, presetError);
        using (var json = JsonDocument.Parse(presetPrediction.Trim()))
            foreach (var token in json.RootElement.GetProperty("tokens").EnumerateArray())
                Assert.AreEqual(4, token.GetProperty("weights").GetArrayLength(), "one weight per head of the first network");

        // The variant as it was before, spelled out: the companion takes the first network's heads again.
        Assert.AreEqual((AttentionClassifierOptions.CharHeadOverlapPenalty, AttentionClassifierOptions.CharHeadDropout, 0.0, 0.0, 0.0, false, (double?)null),
            HeadOptions("before", "--data", "sample:poetry-dynasty", "--preset", "ngram", "--companion-pooling", "multihead", "--head-solo-loss", "0", "--head-flatness-penalty", "0"));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "before", "model.json"))))
            Assert.AreEqual("MultiHead", json.RootElement.GetProperty("model").GetProperty("companionPooling").GetString());

        // The preset's companion pools with one head when asked, and the saved model still reports one row per head.
        string single = Path.Combine(directory, "single");
        var (singleCode, _, singleError) = Run("train", "--data", "sample:poetry-dynasty", "--preset", "ngram", "--pooling", "multihead", "--companion-single-head",
            "--epochs", "1", "--threads", "1", "--out", single);
        Assert.AreEqual(0, singleCode, singleError);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(single, "model.json"))))
        {
            Assert.IsTrue(json.RootElement.GetProperty("model").GetProperty("companionSingleHead").GetBoolean());
            Assert.IsFalse(json.RootElement.GetProperty("model").TryGetProperty("companionPooling", out _), "the single head replaces the preset's mean pooling");
        }
        (singleCode, var prediction, singleError) = Run("predict", "--model", single, "--json", "床前明月光");
        Assert.AreEqual(0, singleCode, singleError);
        using (var json = JsonDocument.Parse(prediction.Trim()))
            foreach (var token in json.RootElement.GetProperty("tokens").EnumerateArray())
                Assert.AreEqual(4, token.GetProperty("weights").GetArrayLength(), "one weight per head of the first network");
    }

    [TestMethod]
    public void PredictAndEvaluateShowMatchOrNoMatchAndACrossMatchersAlignment()
    {
        string cross = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        string siamese = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        using (var matcher = Visualization.PairViewTests.TinyMatcher(MLNetAttention.Models.MatcherKind.Cross)) matcher.Save(cross);
        using (var matcher = Visualization.PairViewTests.TinyMatcher(MLNetAttention.Models.MatcherKind.Siamese)) matcher.Save(siamese);

        var (code, output, error) = Run("predict", "--model", cross, "--text1", "床前明月光", "--text2", "疑是地上霜", "--json");
        Assert.AreEqual(0, code, error);
        using (var json = JsonDocument.Parse(output.Trim()))
        {
            var root = json.RootElement;
            string label = root.GetProperty("label").GetString()!;
            Assert.AreEqual(label == "1" ? "match" : "no match", root.GetProperty("labelName").GetString());
            var rows = root.GetProperty("alignment").EnumerateArray().ToList();
            Assert.AreEqual(5, rows.Count, "one row per token of text1");
            foreach (var row in rows)
            {
                Assert.AreEqual(5, row.GetArrayLength(), "one value per token of text2");
                Assert.AreEqual(1.0, row.EnumerateArray().Sum(v => v.GetDouble()), 1e-4);
            }
        }

        (code, output, error) = Run("predict", "--model", cross, "--text1", "床前明月光", "--text2", "疑是地上霜");
        Assert.AreEqual(0, code, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.IsTrue(lines[1].StartsWith("疑是地上霜 => match (", StringComparison.Ordinal) || lines[1].StartsWith("疑是地上霜 => no match (", StringComparison.Ordinal), lines[1]);
        Assert.AreEqual("alignment (rows: text 1, columns: text 2):", lines[2]);
        Assert.AreEqual("   疑是地上霜", lines[3]);
        Assert.AreEqual(9, lines.Count, output);
        foreach (var (line, token) in lines.Skip(4).Zip("床前明月光"))
            Assert.IsTrue(line.StartsWith(token + " ", StringComparison.Ordinal) && line.Contains(" → ", StringComparison.Ordinal), line);

        (code, output, error) = Run("predict", "--model", siamese, "--text1", "床前明月光", "--text2", "疑是地上霜", "--json");
        Assert.AreEqual(0, code, error);
        using (var json = JsonDocument.Parse(output.Trim()))
            Assert.AreEqual(JsonValueKind.Null, json.RootElement.GetProperty("alignment").ValueKind, "only cross matchers align");

        (code, output, error) = Run("evaluate", "--model", cross, "--data", "sample:couplet-match");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "no match  ");
        StringAssert.Contains(output, "\nmatch     ");
        StringAssert.Contains(output, "    no match     match");
    }

    [TestMethod]
    public void BadPairFilesExitWith2NamingFileAndLineOrAreSkippedAndCountedWhenLenient()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string model = Path.Combine(directory, "matcher");
        using (var matcher = Visualization.PairViewTests.TinyMatcher(MLNetAttention.Models.MatcherKind.Siamese)) matcher.Save(model);
        string Write(string name, params string[] lines)
        {
            string path = Path.Combine(directory, name);
            File.WriteAllLines(path, lines);
            return path;
        }

        // One good row, then a bad one on line 2 (3 after a header).
        var cases = new (string Path, int Line, string Says)[]
        {
            (Write("empty.tsv", "床前明月光\t疑是地上霜\t1", "舉頭望明月\t \t0"), 2, "text2 is empty"),
            (Write("two.tsv", "床前明月光\t疑是地上霜\t1", "舉頭望明月\t低頭思故鄉"), 2, "expected 3 tab-separated columns (text1, text2, label)"),
            (Write("label.tsv", "床前明月光\t疑是地上霜\t1", "舉頭望明月\t低頭思故鄉\t2"), 2, "(expected \"0\" (no match) or \"1\" (match))"),
            (Write("yes.csv", "text1,text2,label", "床前明月光,疑是地上霜,1", "舉頭望明月,低頭思故鄉,yes"), 3, "'yes'"),
            (Write("nolabel.jsonl", "{\"text1\":\"床前\",\"text2\":\"疑是\",\"label\":\"1\"}", "{\"text1\":\"舉頭\",\"text2\":\"低頭\"}"), 2, "missing field 'label'"),
        };
        foreach (var (path, line, says) in cases)
        {
            var (code, _, error) = Run("evaluate", "--model", model, "--data", path);
            Assert.AreEqual(2, code, error);
            StringAssert.Contains(error, $"{path}:{line}: ");
            StringAssert.Contains(error, says);
            StringAssert.Contains(error, "pass --lenient", "the CLI names its own switch, not the library's option");

            (code, var output, error) = Run("evaluate", "--model", model, "--data", path, "--lenient");
            Assert.AreEqual(0, code, error);
            StringAssert.Contains(error, $"read 1 rows; skipped 1 rows (");
            StringAssert.Contains(error, $"first: {path}:{line}");
            StringAssert.Contains(output, "(1 examples)");
        }

        string noColumn = Write("nocolumn.csv", "text1,label", "床前明月光,1");
        var (headerCode, _, headerError) = Run("evaluate", "--model", model, "--data", noColumn, "--lenient");
        Assert.AreEqual(2, headerCode, headerError);
        StringAssert.Contains(headerError, noColumn + ":1: missing column 'text2'");

        // Training reads its pairs through the same readers.
        var (trainCode, _, trainError) = Run("train", "--task", "match", "--data", cases[2].Path, "--out", Path.Combine(directory, "never"));
        Assert.AreEqual(2, trainCode, trainError);
        StringAssert.Contains(trainError, cases[2].Path + ":2: ");
        Assert.IsFalse(Directory.Exists(Path.Combine(directory, "never")), "nothing is trained on bad data");

        // predict --file: a line that is not a pair, or a pair with an empty side.
        string notPair = Write("predict.tsv", "床前明月光\t疑是地上霜", "", "舉頭望明月");
        var (predictCode, _, predictError) = Run("predict", "--model", model, "--file", notPair);
        Assert.AreEqual(2, predictCode, predictError);
        StringAssert.Contains(predictError, notPair + ":3: expected text1<TAB>text2 but found 1");
        string emptySide = Write("predict-empty.tsv", "床前明月光\t ");
        (predictCode, _, predictError) = Run("predict", "--model", model, "--file", emptySide);
        Assert.AreEqual(2, predictCode, predictError);
        StringAssert.Contains(predictError, emptySide + ":1: text2 is empty");
        (predictCode, _, predictError) = Run("predict", "--model", model, "--text1", " ", "--text2", "疑是地上霜");
        Assert.AreEqual(1, predictCode, predictError);
        StringAssert.Contains(predictError, "--text1 is empty");
        Directory.Delete(directory, recursive: true);
    }

    private static IEnumerable<string> SampleLines(string sample, int count)
    {
        using var reader = new StreamReader(BundledSamples.Open(sample));
        var lines = new List<string>();
        while (lines.Count < count && reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    [TestMethod]
    public void TrainsACrossMatcherWhoseOnnxFileAndPredictionsCarryTheAlignment()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string train = Path.Combine(directory, "train.jsonl"), model = Path.Combine(directory, "cross");
        File.WriteAllLines(train, SampleLines("couplet-match.train", 400));
        var (code, output, error) = Run("train", "--task", "match", "--matcher", "cross", "--data", train, "--test", Path.Combine(directory, "train.jsonl"),
            "--min-freq", "1", "--epochs", "1", "--embedding-dim", "16", "--threads", "1", "--out", model);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "training a cross matcher");
        Assert.IsTrue(File.Exists(Path.Combine(model, "model.onnx")), "train writes model.onnx");
        StringAssert.Contains(output, "match");
        using (var onnx = MLNetAttention.Onnx.AttentionOnnxMatcher.Load(Path.Combine(model, "model.onnx")))
        {
            Assert.IsTrue(onnx.HasAlignment);
            var fromOnnx = onnx.Predict("床前明月光", "疑是地上霜");
            Assert.AreEqual(5, fromOnnx.Alignment!.GetLength(1));
        }
        (code, output, error) = Run("predict", "--model", model, "--text1", "床前明月光", "--text2", "疑是地上霜", "--json");
        Assert.AreEqual(0, code, error);
        using var json = JsonDocument.Parse(output.Trim());
        var rows = json.RootElement.GetProperty("alignment");
        Assert.AreEqual(5, rows.GetArrayLength());
        Assert.AreEqual(1.0, rows[0].EnumerateArray().Sum(v => v.GetDouble()), 1e-4, "each row is a distribution over text 2");
    }

    [TestMethod]
    public void MatcherSentencesPastTheMaximumLengthAreNeverCutSilently()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string model = Path.Combine(directory, "matcher");
        // Training with --max-length 5 on couplet lines of 5 and 7 characters truncates some sentences: the CLI says how many.
        string train = Path.Combine(directory, "train.jsonl");
        File.WriteAllLines(train, SampleLines("couplet-match.train", 200));
        var (code, _, error) = Run("train", "--task", "match", "--data", train, "--max-length", "5", "--min-freq", "1", "--epochs", "1",
            "--embedding-dim", "16", "--hidden-dim", "16", "--threads", "1", "--out", model);
        Assert.AreEqual(0, code, error);
        var truncatedLine = error.Split('\n').Single(l => l.Contains("training sentences longer than 5 tokens, truncated", StringComparison.Ordinal));
        Assert.IsGreaterThan(0, int.Parse(truncatedLine.Split("; ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture), truncatedLine);

        string pairs = Path.Combine(directory, "long.tsv");
        File.WriteAllLines(pairs, new[] { "床前明月光\t疑是地上霜\t1", "舉頭望明月\t低頭思故鄉\t0", "白日依山盡\t黃河入海流向東\t1" });
        (code, _, error) = Run("evaluate", "--model", model, "--data", pairs);
        Assert.AreEqual(2, code, error);
        StringAssert.Contains(error, pairs + ":3: text2 has 7 tokens, more than the model's maximum length of 5");
        (code, var output, error) = Run("evaluate", "--model", model, "--data", pairs, "--lenient");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "warning: 1 of 3 test pairs have a sentence longer than the model's maximum length of 5 tokens");
        StringAssert.Contains(error, pairs + ":3, text2");
        StringAssert.Contains(output, "(3 examples)");

        (code, output, error) = Run("predict", "--model", model, "--text1", "白日依山盡", "--text2", "黃河入海流向東", "--json");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "warning: --text2 has 7 tokens, more than the model's maximum length of 5; the last 2 were not scored");
        using (var json = JsonDocument.Parse(output.Trim()))
        {
            Assert.AreEqual(0, json.RootElement.GetProperty("truncatedTokens1").GetInt32());
            Assert.AreEqual(2, json.RootElement.GetProperty("truncatedTokens2").GetInt32());
        }
        (code, output, error) = Run("predict", "--model", model, "--file", pairs);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, $"warning: {pairs}:3: text2 has 7 tokens");
        StringAssert.Contains(output, "黃河入海流向東 [2 tokens past the maximum length not scored]");
        Directory.Delete(directory, recursive: true);
    }

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MLNetAttention.sln"))) root = root.Parent;
        Assert.IsNotNull(root, "the repository root (MLNetAttention.sln) was not found above the test output");
        return root.FullName;
    }
}
