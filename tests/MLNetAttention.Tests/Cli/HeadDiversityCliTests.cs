using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;

namespace MLNetAttention.Tests.Cli;

/// <summary>
/// evaluate's head diversity and per-head top tokens, and the head labels of visualize, through the built tool: on the
/// single-head model the other CLI tests train and on small models of each pooling trained here.
/// </summary>
[TestClass]
public sealed class HeadDiversityCliTests
{
    private const int Heads = 3;
    private static readonly Dictionary<PoolingKind, string> Models = new();
    private static string? TestFile;

    private static string Model(PoolingKind pooling)
    {
        lock (Models)
        {
            if (Models.TryGetValue(pooling, out string? cached)) return cached;
            var train = BundledSamples.ReadTexts("poetry-dynasty.train").Take(600).ToList();
            using var classifier = AttentionClassifier.Train(train, null, new AttentionClassifierOptions
            {
                Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
                Model = new TextClassifierOptions { EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32, Pooling = pooling, Heads = Heads },
                Training = new TrainingOptions { Epochs = 1, Threads = 1, ValidationFraction = 0.1 },
            });
            string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"), pooling.ToString().ToLowerInvariant());
            classifier.Save(directory);
            return Models[pooling] = directory;
        }
    }

    private static IReadOnlyList<TextExample> TestRows() => BundledSamples.ReadTexts("poetry-dynasty.test").Take(150).ToList();

    private static string Data()
    {
        if (TestFile is not null) return TestFile;
        string path = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", $"heads-{Guid.NewGuid():N}.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, TestRows().Select(e => JsonSerializer.Serialize(new { text = e.Text, label = e.Label })));
        return TestFile = path;
    }

    [TestMethod]
    public void EvaluateJsonOfAMultiHeadModelHasItsHeadDiversityAsTheLibraryComputesIt()
    {
        string model = Model(PoolingKind.MultiHead);
        var (code, output, error) = CliTests.Run("evaluate", "--model", model, "--data", Data(), "--json");
        Assert.AreEqual(0, code, error);
        // One document: the metrics with the head figures inside.
        using var json = JsonDocument.Parse(output);
        Assert.IsTrue(json.RootElement.TryGetProperty("accuracy", out _));
        var heads = json.RootElement.GetProperty("headDiversity");
        Assert.AreEqual(JsonValueKind.Number, heads.GetProperty("diversityRatio").ValueKind);

        using var classifier = AttentionClassifier.Load(model);
        Assert.AreEqual(Heads, classifier.Network.Options.WeightRows);
        var diversity = new HeadDiversity(Heads);
        foreach (var prediction in classifier.Predict(TestRows().Select(r => r.Text))) diversity.Add(prediction);
        var expected = diversity.Result;
        Assert.AreEqual(expected.Texts, heads.GetProperty("texts").GetInt32());
        Assert.AreEqual(expected.MeanDivergenceFromUniform, heads.GetProperty("divergenceFromUniform").GetDouble(), 1e-9);
        Assert.AreEqual(expected.MeanPairwiseDivergence!.Value, heads.GetProperty("meanPairwiseDivergence").GetDouble(), 1e-9);
        Assert.AreEqual(expected.DiversityRatio!.Value, heads.GetProperty("diversityRatio").GetDouble(), 1e-9);
        var fromUniform = heads.GetProperty("headDivergenceFromUniform").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.HasCount(Heads, fromUniform);
        var pairwise = heads.GetProperty("pairwiseDivergence").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
        Assert.HasCount(Heads, pairwise);
        for (int h = 0; h < Heads; h++)
        {
            Assert.AreEqual(expected.HeadDivergenceFromUniform[h], fromUniform[h], 1e-9);
            for (int g = 0; g < Heads; g++) Assert.AreEqual(expected.PairwiseDivergence[h][g], pairwise[h][g], 1e-9);
        }

        // One entry per head: its divergence and its top tokens, each seen at least minCount times, sorted.
        var entries = heads.GetProperty("heads").EnumerateArray().ToList();
        Assert.HasCount(Heads, entries);
        int minCount = heads.GetProperty("minCount").GetInt32(), top = heads.GetProperty("top").GetInt32();
        for (int h = 0; h < Heads; h++)
        {
            Assert.AreEqual(h + 1, entries[h].GetProperty("head").GetInt32());
            Assert.AreEqual(fromUniform[h], entries[h].GetProperty("divergenceFromUniform").GetDouble());
            foreach (var (list, key) in new[] { ("topByMean", "mean"), ("topByTotal", "total") })
            {
                var tokens = entries[h].GetProperty(list).EnumerateArray().ToList();
                Assert.IsTrue(tokens.Count is > 0 && tokens.Count <= top, $"head {h + 1} {list}: {tokens.Count} tokens");
                var scores = tokens.Select(t => t.GetProperty(key).GetDouble()).ToList();
                CollectionAssert.AreEqual(scores.OrderByDescending(s => s).ToList(), scores, $"head {h + 1} {list} is sorted by {key}");
                foreach (var t in tokens)
                {
                    long count = t.GetProperty("count").GetInt64();
                    Assert.IsGreaterThanOrEqualTo(minCount, count);
                    Assert.AreEqual(t.GetProperty("total").GetDouble() / count, t.GetProperty("mean").GetDouble(), 1e-9);
                    Assert.IsFalse(string.IsNullOrEmpty(t.GetProperty("token").GetString()));
                }
            }
        }
    }

    [TestMethod]
    public void EvaluateTableOfAMultiHeadModelEndsWithTheHeadsAndWhatEachLooksAt()
    {
        var (code, output, error) = CliTests.Run("evaluate", "--model", Model(PoolingKind.MultiHead), "--data", Data());
        Assert.AreEqual(0, code, error);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        int first = lines.FindIndex(l => l.StartsWith("attention weights: mean Jensen-Shannon divergence from uniform ", StringComparison.Ordinal));
        Assert.IsGreaterThan(lines.FindIndex(l => l.StartsWith("confusion", StringComparison.Ordinal)), first, output);
        StringAssert.EndsWith(lines[first], " nats (over 150 texts)");
        StringAssert.StartsWith(lines[first + 1], "heads: mean pairwise divergence ");
        StringAssert.Contains(lines[first + 1], "; head diversity ratio ");
        StringAssert.Contains(lines[first + 1], "(0 = copies, 1 = as different from each other as from uniform)");
        for (int h = 1; h <= Heads; h++)
        {
            string line = lines.Single(l => l.StartsWith($"head {h}  ", StringComparison.Ordinal));
            StringAssert.Contains(line, "  top by mean: ");
            StringAssert.Contains(line, "  by total: ");
        }
    }

    [TestMethod]
    public void EvaluateOfASingleHeadModelGivesHowPeakedItsWeightsAreAndNoRatio()
    {
        string model = CliTests.TrainedModel();
        var (code, output, error) = CliTests.Run("evaluate", "--model", model, "--data", Data(), "--json");
        Assert.AreEqual(0, code, error);
        using var json = JsonDocument.Parse(output);
        var heads = json.RootElement.GetProperty("headDiversity");
        Assert.AreEqual(JsonValueKind.Null, heads.GetProperty("diversityRatio").ValueKind);
        Assert.AreEqual(JsonValueKind.Null, heads.GetProperty("meanPairwiseDivergence").ValueKind);
        Assert.IsGreaterThan(0, heads.GetProperty("divergenceFromUniform").GetDouble());
        Assert.AreEqual(1, heads.GetProperty("headDivergenceFromUniform").GetArrayLength());
        Assert.AreEqual(1, heads.GetProperty("heads").GetArrayLength());

        (code, output, error) = CliTests.Run("evaluate", "--model", model, "--data", Data());
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "attention weights: mean Jensen-Shannon divergence from uniform ");
        Assert.IsFalse(output.Contains("heads: mean pairwise", StringComparison.Ordinal), "no pairwise figures for one head");
    }

    [TestMethod]
    public void EvaluateOfMaxPoolingSaysNothingAboutHeads()
    {
        var (code, output, error) = CliTests.Run("evaluate", "--model", Model(PoolingKind.Max), "--data", Data(), "--json");
        Assert.AreEqual(0, code, error);
        using var json = JsonDocument.Parse(output);
        Assert.IsFalse(json.RootElement.TryGetProperty("headDiversity", out _), "max pooling's weights are not attention");
    }

    [TestMethod]
    public void VisualizeNamesTheHeadsByTheirTopTokensAndShowsTheDiversity()
    {
        string model = Model(PoolingKind.MultiHead);
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string html = Path.Combine(directory, "report.html"), svg = Path.Combine(directory, "figure.svg");
        var (code, _, error) = CliTests.Run("visualize", "--model", model, "--input", Data(), "--limit", "40", "--out", html);
        Assert.AreEqual(0, code, error);
        string report = File.ReadAllText(html);
        StringAssert.Contains(report, $"<p class=\"diversity\">{Heads} heads over 40 texts: mean divergence from uniform <b>");
        StringAssert.Contains(report, "head diversity ratio <b>");
        for (int h = 0; h < Heads; h++)
            StringAssert.Matches(report, new System.Text.RegularExpressions.Regex($"data-head=\"{h}\" title=\"[^\"]*\">head {h + 1} · [^<]+</button>"));

        (code, _, error) = CliTests.Run("visualize", "--model", model, "--input", Data(), "--format", "svg", "--out", svg);
        Assert.AreEqual(0, code, error);
        var texts = System.Xml.Linq.XDocument.Parse(File.ReadAllText(svg)).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.IsTrue(texts.Any(t => t.StartsWith("head 1 · ", StringComparison.Ordinal)), "the figure's heads are named by their top tokens over the texts shown");
        Directory.Delete(directory, true);
    }
}
