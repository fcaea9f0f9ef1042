using System.Text.Json;
using System.Xml.Linq;
using MLNetAttention.Data;
using MLNetAttention.Faithfulness;
using MLNetAttention.Models;
using MLNetAttention.Modules;
using MLNetAttention.Tests.Cli;
using MLNetAttention.Text;
using MLNetAttention.Training;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Faithfulness;

[TestClass]
public sealed class FaithfulnessTests
{
    private static readonly List<TextExample> Train = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
    private static readonly List<TextExample> Test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();
    private static AttentionClassifier? SmallModel;

    private static AttentionClassifier Model => SmallModel!;

    private static AttentionClassifierOptions SmallOptions(PoolingKind pooling = PoolingKind.MultiHead, long seed = 42) => new()
    {
        Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
        Model = new TextClassifierOptions { EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32, Pooling = pooling, Heads = 2 },
        Training = new TrainingOptions { Epochs = 1, Threads = 1, ValidationFraction = 0.1, Seed = seed },
    };

    [ClassInitialize]
    public static void TrainSmallModel(TestContext _) => SmallModel = AttentionClassifier.Train(Train.Take(1000), null, SmallOptions());

    [ClassCleanup]
    public static void DisposeModel() => SmallModel?.Dispose();

    private static int[] Ids(string text) => Model.Tokenizer.EncodeToIds(text, Model.MaxLength, out _);

    private static float[] Weights(int[] ids) => ModelRunner.Forward(Model.Network, new[] { ids }, 8).Weights[0];

    [TestMethod]
    public void RemoveShortensByKAndUnknownPutsOnesExactlyAtTheTopK()
    {
        var ids = Ids(Test[0].Text);
        var weights = Weights(ids);
        Assert.AreEqual(ids.Length, weights.Length);
        foreach (double fraction in new[] { 0.01, 0.05, 0.10, 0.5 })
        {
            int k = Erasure.KFor(fraction, ids.Length);
            var top = Erasure.TopK(weights, k);
            Assert.AreEqual(k, top.Distinct().Count());
            Assert.IsTrue(top.All(p => weights[p] >= weights.Where((_, i) => !top.Contains(i)).DefaultIfEmpty(float.MinValue).Max()));

            var removed = Erasure.Erase(ids, top, EraseMode.Remove);
            Assert.AreEqual(ids.Length - k, removed.Length);
            CollectionAssert.AreEqual(ids.Where((_, i) => !top.Contains(i)).ToArray(), removed);

            var replaced = Erasure.Erase(ids, top, EraseMode.Unknown);
            Assert.AreEqual(ids.Length, replaced.Length);
            for (int i = 0; i < ids.Length; i++)
                Assert.AreEqual(top.Contains(i) ? AttentionTokenizer.UnknownId : ids[i], replaced[i], $"position {i}");
        }
        var bottom = Erasure.BottomK(weights, 3);
        Assert.IsTrue(bottom.All(p => weights[p] <= weights.Where((_, i) => !bottom.Contains(i)).Min()));
    }

    [TestMethod]
    public void KIsACeilingFractionOfTheLengthAndLeavesOneToken()
    {
        Assert.AreEqual(1, Erasure.KFor(0.01, 60));
        Assert.AreEqual(2, Erasure.KFor(0.03, 60));
        Assert.AreEqual(3, Erasure.KFor(0.05, 60));
        Assert.AreEqual(6, Erasure.KFor(0.10, 60));
        Assert.AreEqual(1, Erasure.KFor(1.0, 2));
        Assert.AreEqual(0, Erasure.KFor(0.5, 1));
    }

    [TestMethod]
    public void RandomDrawsNeverRepeatAPositionAndAreDeterministicForASeed()
    {
        for (int draw = 0; draw < 200; draw++)
        {
            int length = 1 + draw % 40, k = draw % (length + 1);
            var first = Erasure.RandomK(length, k, SplitMix64.ForStream(7, draw));
            var again = Erasure.RandomK(length, k, SplitMix64.ForStream(7, draw));
            Assert.AreEqual(k, first.Length);
            Assert.AreEqual(k, first.Distinct().Count(), "a position was drawn twice");
            Assert.IsTrue(first.All(p => p >= 0 && p < length));
            CollectionAssert.AreEqual(first, again);
        }
        var a = Erasure.RandomK(50, 10, SplitMix64.ForStream(1, 0));
        var b = Erasure.RandomK(50, 10, SplitMix64.ForStream(2, 0));
        CollectionAssert.AreNotEqual(a, b);
    }

    [TestMethod]
    public void TheReportHasBoundedDropsAndFlipRatesAndRoundTrips()
    {
        var options = new FaithfulnessOptions { MaxExamples = 60, RandomDraws = 3, ImportanceExamples = 10 };
        var report = FaithfulnessEvaluator.Evaluate(Model, Test, options);
        Assert.AreEqual(60, report.Texts + report.SkippedTexts);
        Assert.AreEqual(4 * 3, report.Erasures.Count);
        Assert.AreEqual(4, report.Verdicts.Count);
        foreach (var e in report.Erasures.Concat(report.Uniform!.Erasures))
        {
            Assert.IsTrue(e.FlipRate is >= 0 and <= 1, $"flip rate {e.FlipRate}");
            Assert.IsTrue(e.MeanDrop is >= -1 and <= 1, $"drop {e.MeanDrop}");
            Assert.IsTrue(e.MeanTokensErased >= 1);
        }
        Assert.AreEqual(4 * 2, report.Uniform.Erasures.Count);
        Assert.IsTrue(report.Uniform.Accuracy is >= 0 and <= 1 && report.Uniform.Agreement is >= 0 and <= 1);
        var importance = report.Importance!;
        foreach (var tau in new[] { importance.AttentionVsLeaveOneOut, importance.AttentionVsGradientTimesInput, importance.AttentionVsAbsGradientTimesInput, importance.LeaveOneOutVsGradientTimesInput })
            Assert.IsTrue(tau is >= -1 and <= 1, $"tau {tau}");
        foreach (var v in report.Verdicts)
            Assert.AreEqual(v.Holds, v.TopDrop > 0 && (v.Ratio is null || v.Ratio >= 3), $"verdict at {v.KFraction}");

        var json = report.ToJson();
        StringAssert.Contains(json, "\"meanDrop\"");
        StringAssert.Contains(json, "\"strategy\": \"TopAttention\"");
        var back = FaithfulnessReport.FromJson(json);
        Assert.AreEqual(report.Erasures.Count, back.Erasures.Count);
        Assert.AreEqual(report.Erasures[0], back.Erasures[0]);
        Assert.AreEqual(report.Series.Count, back.Series.Count);
        Assert.AreEqual(5, report.Series.Count);

        var markdown = report.ToMarkdown();
        StringAssert.Contains(markdown, "| k | tokens | top-attention drop");
        StringAssert.Contains(markdown, "Uniform-weights twin");
        StringAssert.Contains(markdown, "Kendall tau-b");

        var svg = XDocument.Parse(FaithfulnessPlot.ToSvg(report));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.AreEqual(report.Series.Count, svg.Descendants(ns + "polyline").Count());
        Assert.IsTrue(svg.Descendants(ns + "text").Any(t => t.Value == "random"));
    }

    [TestMethod]
    public void EveryHeadGetsAResultPerKAgainstTheReportsOwnRandomDrop()
    {
        var options = new FaithfulnessOptions { MaxExamples = 40, RandomDraws = 2, UniformBaseline = false, ImportanceExamples = 0 };
        var report = FaithfulnessEvaluator.Evaluate(Model, Test, options);
        Assert.AreEqual(2, report.Heads);
        var expected = Enumerable.Range(0, 2).SelectMany(h => options.KFractions.Select(k => (h, k))).ToArray();
        CollectionAssert.AreEqual(expected, report.HeadErasures.Select(r => (r.Head, r.KFraction)).ToArray());
        foreach (var r in report.HeadErasures)
        {
            // The same random erasures as the head-mean verdict, not a fresh draw.
            var random = report.Erasures.Single(e => e.KFraction == r.KFraction && e.Strategy == ErasureStrategy.Random);
            Assert.AreEqual(random.MeanDrop, r.RandomDrop, $"head {r.Head} at {r.KFraction}");
            Assert.AreEqual(report.Verdicts.Single(v => v.KFraction == r.KFraction).RandomDrop, r.RandomDrop);
            var top = report.Erasures.Single(e => e.KFraction == r.KFraction && e.Strategy == ErasureStrategy.TopAttention);
            Assert.AreEqual(top.MeanTokensErased, r.MeanTokensErased, 1e-12);
            Assert.AreEqual(r.RandomDrop > 0 ? r.TopDrop / r.RandomDrop : null, r.Ratio);
            Assert.AreEqual(r.TopDrop > 0 && (r.Ratio is null || r.Ratio >= options.TargetRatio), r.Holds);
            Assert.IsTrue(r.FlipRate is >= 0 and <= 1 && r.TopDrop is >= -1 and <= 1, $"{r}");
        }
        Assert.AreEqual(report.HeadErasures.All(r => r.Holds), report.EveryHeadHolds);

        string json = report.ToJson();
        StringAssert.Contains(json, "\"headErasures\"");
        StringAssert.Contains(json, "\"randomDrop\"");
        Assert.IsFalse(json.Contains("NaN", StringComparison.Ordinal), "no NaN in the JSON");
        CollectionAssert.AreEqual(report.HeadErasures.ToArray(), FaithfulnessReport.FromJson(json).HeadErasures.ToArray());

        var markdown = report.ToMarkdown();
        StringAssert.Contains(markdown, "Per head: top-k by each head's weights vs k random tokens");
        StringAssert.Contains(markdown, "| head | k = 1 % | ≥ 3× | k = 3 % |");
        var rows = markdown.Split('\n').Where(l => l.StartsWith("| 1 | ", StringComparison.Ordinal) || l.StartsWith("| 2 | ", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(2, rows.Length, markdown);
        var first = report.HeadErasures[0];
        StringAssert.StartsWith(rows[0], FormattableString.Invariant($"| 1 | {first.TopDrop:0.0000} / "));
        StringAssert.Contains(markdown, report.EveryHeadHolds ? "Every head holds at every k" : "Not every head holds");
    }

    [TestMethod]
    public void AHeadsTopDropEqualsErasingItsOwnTopKTokensRecomputed()
    {
        var options = new FaithfulnessOptions { MaxExamples = 30, RandomDraws = 1, UniformBaseline = false, ImportanceExamples = 0 };
        var report = FaithfulnessEvaluator.Evaluate(Model, Test, options);
        var texts = Test.Take(30).Select(e => e.Text).Where(t => Ids(t).Length >= 2).ToList();
        Assert.AreEqual(report.Texts, texts.Count);
        var predictions = Model.Predict(texts);
        foreach (var (head, fraction) in new[] { (1, 0.05), (0, 0.10) })
        {
            var erased = new int[texts.Count][];
            double tokens = 0;
            for (int i = 0; i < texts.Count; i++)
            {
                var ids = Ids(texts[i]);
                var weights = predictions[i].Tokens.Select(t => t.Weights[head]).ToArray();
                Assert.AreEqual(ids.Length, weights.Length);
                int k = Erasure.KFor(fraction, ids.Length);
                // Highest weight first, ties to the earlier token.
                var top = Enumerable.Range(0, ids.Length).OrderByDescending(p => weights[p]).ThenBy(p => p).Take(k).ToHashSet();
                erased[i] = ids.Select((id, p) => top.Contains(p) ? AttentionTokenizer.UnknownId : id).ToArray();
                tokens += k;
            }
            var scored = ModelRunner.Forward(Model.Network, erased, 16).Probabilities;
            double drop = predictions.Select((p, i) => (double)p.Probability - scored[i][p.LabelIndex]).Average();
            var result = report.HeadErasures.Single(r => r.Head == head && r.KFraction == fraction);
            Assert.AreEqual(drop, result.TopDrop, 1e-5, $"head {head} at k = {fraction}");
            Assert.AreEqual(tokens / texts.Count, result.MeanTokensErased, 1e-12);
        }
    }

    [TestMethod]
    public void ASingleHeadModelHasNoPerHeadResults()
    {
        manual_seed(3);
        var network = new TextClassifier(new TextClassifierOptions
        {
            VocabularySize = Model.Tokenizer.VocabularySize, NumClasses = Model.Labels.Count, EmbeddingDim = 16, EncoderDim = 16,
            AttentionHiddenDim = 8, DenseDim = 16, Pooling = PoolingKind.Attention, MaxLength = Model.MaxLength,
        });
        using var classifier = AttentionClassifier.Create(network, Model.Tokenizer, Model.Labels);
        var report = FaithfulnessEvaluator.Evaluate(classifier, Test,
            new FaithfulnessOptions { MaxExamples = 20, RandomDraws = 1, UniformBaseline = false, ImportanceExamples = 0 });
        Assert.AreEqual(1, report.Heads);
        Assert.AreEqual(0, report.HeadErasures.Count);
        Assert.IsFalse(report.EveryHeadHolds);
        Assert.IsFalse(report.ToMarkdown().Contains("Per head", StringComparison.Ordinal));
        Assert.AreEqual(0, FaithfulnessReport.FromJson(report.ToJson()).HeadErasures.Count);
    }

    // A random two-network classifier on the small model's vocabulary and labels: a 2-head network with no encoder
    // beside a conv companion, which pools with 2 heads or, with singleHeadCompanion, one, or with meanCompanion takes the mean.
    private static AttentionClassifier TwoNetworks(bool singleHeadCompanion, bool meanCompanion = false)
    {
        manual_seed(5);
        var network = new TextClassifier(new TextClassifierOptions
        {
            VocabularySize = Model.Tokenizer.VocabularySize, NumClasses = Model.Labels.Count, EmbeddingDim = 16, Encoder = EncoderKind.None,
            AttentionHiddenDim = 8, DenseDim = 16, Pooling = PoolingKind.MultiHead, Heads = 2, MaxLength = Model.MaxLength,
            Companion = new TextClassifierOptions { Encoder = EncoderKind.Conv, EmbeddingDim = 12, EncoderDim = 12, DenseDim = 8 },
            CompanionSingleHead = singleHeadCompanion, CompanionPooling = meanCompanion ? PoolingKind.Mean : null,
        });
        return AttentionClassifier.Create(network, Model.Tokenizer, Model.Labels);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    [DataRow(false, true)]
    public void SplitNetworksGivesEachNetworkItsOwnPredictionAndWeights(bool singleHeadCompanion, bool meanCompanion = false)
    {
        using var classifier = TwoNetworks(singleHeadCompanion, meanCompanion);
        var texts = Test.Take(12).Select(e => e.Text).ToArray();
        var parts = classifier.SplitNetworks();
        try
        {
            Assert.AreEqual(2, parts.Count);
            Assert.AreEqual(1, parts[1].Network.Members, "each part is one network");
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            for (int i = 0; i < texts.Length; i++)
            {
                var ids = tensor(classifier.Tokenizer.EncodeToIds(texts[i], classifier.MaxLength, out _).Select(id => (long)id).ToArray()).unsqueeze(0);
                var (logits, weights) = classifier.Network.ForwardMembers(ids);
                for (int m = 0; m < 2; m++)
                {
                    var prediction = parts[m].Predict([texts[i]])[0];
                    var expected = logits[m].softmax(-1)[0].data<float>().ToArray();
                    CollectionAssert.AreEqual(expected, prediction.Probabilities.ToArray(), new ToleranceComparer(1e-5f), $"network {m}, text {i}");
                    int rows = weights[m].dim() == 3 ? (int)weights[m].shape[1] : 1;
                    Assert.AreEqual(rows, prediction.Heads);
                    var own = (weights[m].dim() == 3 ? weights[m][0] : weights[m]).contiguous().data<float>().ToArray();
                    var fromPart = Enumerable.Range(0, rows).SelectMany(h => prediction.Tokens.Select(t => t.Weights[h])).ToArray();
                    CollectionAssert.AreEqual(own, fromPart, new ToleranceComparer(1e-5f), $"network {m}, text {i}: weights");
                }
            }
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    private sealed class ToleranceComparer(float tolerance) : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs((float)x! - (float)y!) <= tolerance ? 0 : 1;
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    [DataRow(false, true)]
    public void EachNetworkRunsTheErasureTestsOnEveryNetworkAloneAndLeavesTheModelsOwnAsTheyWere(bool singleHeadCompanion, bool meanCompanion = false)
    {
        using var classifier = TwoNetworks(singleHeadCompanion, meanCompanion);
        var options = new FaithfulnessOptions { MaxExamples = 20, RandomDraws = 2, UniformBaseline = false, ImportanceExamples = 0 };
        var plain = FaithfulnessEvaluator.Evaluate(classifier, Test, options);
        Assert.AreEqual(0, plain.Networks.Count, "off by default");
        options.EachNetwork = true;
        var report = FaithfulnessEvaluator.Evaluate(classifier, Test, options);
        CollectionAssert.AreEqual(plain.Verdicts.ToArray(), report.Verdicts.ToArray(), "the whole model's figures do not change");
        CollectionAssert.AreEqual(plain.HeadErasures.ToArray(), report.HeadErasures.ToArray());

        Assert.AreEqual("first network, companion", string.Join(", ", report.Networks.Select(n => n.Network)));
        var parts = classifier.SplitNetworks();
        try
        {
            var firstTexts = Test.Take(20).ToList();
            for (int m = 0; m < 2; m++)
            {
                var alone = report.Networks[m].Report;
                var predictions = parts[m].Predict(firstTexts.Select(e => e.Text).ToList());
                double accuracy = predictions.Zip(firstTexts).Count(p => p.First.Label == p.Second.Label) / (double)firstTexts.Count;
                Assert.AreEqual(accuracy, alone.Accuracy, 1e-9, $"network {m}: the accuracy of its own prediction");
                Assert.AreEqual(options.KFractions.Count, alone.Verdicts.Count);
                Assert.IsNull(alone.Uniform, "the baselines belong to the whole model");
            }
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
        Assert.AreEqual(2 * options.KFractions.Count, report.Networks[0].Report.HeadErasures.Count, "the first network's two heads");
        Assert.AreEqual(singleHeadCompanion || meanCompanion ? 0 : 2 * options.KFractions.Count, report.Networks[1].Report.HeadErasures.Count,
            "a single-head or mean-pooling companion has no per-head test");

        string markdown = report.ToMarkdown();
        StringAssert.Contains(markdown, "Each network alone, with its own prediction and weights");
        StringAssert.Contains(markdown, "| companion | ");
        StringAssert.Contains(markdown, meanCompanion ? "| uniform (mean pooling) | n/a |" : singleHeadCompanion ? "| attention |" : "| | | head 2 |");
        Assert.AreEqual(2, FaithfulnessReport.FromJson(report.ToJson()).Networks.Count, "the JSON keeps both networks");

        // One network: nothing to split.
        var single = FaithfulnessEvaluator.Evaluate(Model, Test, new FaithfulnessOptions { MaxExamples = 5, RandomDraws = 1, UniformBaseline = false, ImportanceExamples = 0, EachNetwork = true });
        Assert.AreEqual(0, single.Networks.Count);
    }

    [TestMethod]
    public void TheFaithfulnessCommandShowsEachNetworkOnRequestAndRefusesTheFlagForOneNetwork()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-faithfulness-tests", Guid.NewGuid().ToString("N"));
        string single = directory + "-single";
        using (var classifier = TwoNetworks(singleHeadCompanion: false)) classifier.Save(directory);
        Model.Save(single);
        try
        {
            string[] arguments = ["faithfulness", "--data", "sample:poetry-dynasty", "--max-examples", "20", "--random-draws", "1",
                "--importance-examples", "0", "--explainers", "none", "--each-network"];
            var (code, output, error) = CliTests.Run([.. arguments, "--model", directory]);
            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "Each network alone");
            StringAssert.Contains(output, "| first network | ");

            (code, output, error) = CliTests.Run([.. arguments, "--model", directory, "--json"]);
            Assert.AreEqual(0, code, error);
            using (var json = JsonDocument.Parse(output))
                Assert.AreEqual(2, json.RootElement.GetProperty("networks").GetArrayLength());

            (code, _, error) = CliTests.Run([.. arguments, "--model", single]);
            Assert.AreEqual(1, code, error);
            StringAssert.Contains(error, "--each-network needs a model of two networks");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            Directory.Delete(single, recursive: true);
        }
    }

    [TestMethod]
    public void TheFaithfulnessCommandPrintsThePerHeadTableOfAMultiHeadModel()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-faithfulness-tests", Guid.NewGuid().ToString("N"));
        Model.Save(directory);
        try
        {
            string[] arguments = ["faithfulness", "--model", directory, "--data", "sample:poetry-dynasty", "--max-examples", "30",
                "--random-draws", "1", "--importance-examples", "0", "--explainers", "none"];
            var (code, output, error) = CliTests.Run(arguments);
            Assert.AreEqual(0, code, error);
            StringAssert.Contains(output, "Per head: top-k by each head's weights vs k random tokens");
            StringAssert.Contains(output, "| 2 | ");
            Assert.IsTrue(output.Contains("Every head holds at every k", StringComparison.Ordinal) || output.Contains("Not every head holds", StringComparison.Ordinal), output);

            (code, output, error) = CliTests.Run([.. arguments, "--json"]);
            Assert.AreEqual(0, code, error);
            using var json = JsonDocument.Parse(output);
            var heads = json.RootElement.GetProperty("headErasures").EnumerateArray().ToList();
            Assert.AreEqual(2 * 4, heads.Count);
            Assert.AreEqual(1, heads[^1].GetProperty("head").GetInt32());
            Assert.IsTrue(json.RootElement.TryGetProperty("everyHeadHolds", out _));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void TheUniformTwinHasUniformWeightsAndMatchesADirectMeanPoolingForward()
    {
        var texts = Test.Take(16).Select(t => t.Text).ToList();
        var before = Model.Predict(texts);
        using var twin = UniformTwin.Create(Model.Network);
        Assert.AreEqual(PoolingKind.Mean, twin.Options.Pooling);

        var rows = texts.Select(Ids).ToArray();
        var data = new EncodedExamples(rows, new int[rows.Length]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = LengthBuckets.Ids(data, Enumerable.Range(0, rows.Length).ToArray());
        var (logits, weights) = twin.forward(ids);
        var w = weights.data<float>().ToArray();
        int length = (int)weights.shape[1];
        for (int r = 0; r < rows.Length; r++)
            for (int t = 0; t < length; t++)
                Assert.AreEqual(t < rows[r].Length ? 1f / rows[r].Length : 0f, w[r * length + t], 1e-7f, $"row {r} token {t}");

        // The original's own modules with MaskedMeanPooling1D in place of the attention, every head the same mean.
        var children = Model.Network.named_children().ToDictionary(c => c.name, c => c.module);
        var encoder = (SequenceEncoder)children["encoder"];
        var dense = (TorchSharp.Modules.Linear)children["dense"];
        var output = (TorchSharp.Modules.Linear)children["output"];
        var mask = Masking.FromIds(ids);
        using var mean = new MaskedMeanPooling1D();
        var pooled = mean.forward(encoder.forward(Model.Network.Embed(ids), mask), mask).Output;
        var direct = output.forward(nn.functional.gelu(dense.forward(cat(Enumerable.Repeat(pooled, Model.Network.Options.Heads).ToArray(), 1))));
        Assert.IsTrue(direct.allclose(logits, rtol: 1e-4, atol: 1e-5), "the twin's logits differ from a direct mean-pooling forward");

        var after = Model.Predict(texts);
        for (int i = 0; i < texts.Count; i++) CollectionAssert.AreEqual(before[i].Probabilities, after[i].Probabilities);
    }

    [TestMethod]
    public void KendallTauBIsOneForTheSameRankingMinusOneReversedAndCorrectsForTies()
    {
        double[] x = { 0.1, 0.5, 0.2, 0.9, 0.3 };
        Assert.AreEqual(1.0, FaithfulnessStatistics.KendallTauB(x, x.Select(v => v * 10 + 1).ToArray()), 1e-12);
        Assert.AreEqual(-1.0, FaithfulnessStatistics.KendallTauB(x, x.Select(v => -v).ToArray()), 1e-12);
        // One tied pair in x, none in y: 5 concordant pairs of 6, tau-b = 5 / sqrt(5 * 6).
        Assert.AreEqual(5 / Math.Sqrt(30), FaithfulnessStatistics.KendallTauB(new double[] { 1, 2, 2, 3 }, new double[] { 1, 2, 3, 4 }), 1e-12);
        // Ties in both on the same pair: still a perfect ranking.
        Assert.AreEqual(1.0, FaithfulnessStatistics.KendallTauB(new double[] { 1, 2, 2, 3 }, new double[] { 5, 6, 6, 7 }), 1e-12);
        Assert.IsTrue(double.IsNaN(FaithfulnessStatistics.KendallTauB(new double[] { 1, 1, 1 }, new double[] { 1, 2, 3 })));
        Assert.ThrowsExactly<ArgumentException>(() => FaithfulnessStatistics.KendallTauB(new double[] { 1 }, new double[] { 1, 2 }));
    }

    [TestMethod]
    public void JensenShannonIsZeroForIdenticalSymmetricAndAtMostLn2()
    {
        double[] p = { 0.7, 0.2, 0.1, 0 }, q = { 0.1, 0.1, 0.3, 0.5 };
        Assert.AreEqual(0, FaithfulnessStatistics.JensenShannon(p, p), 1e-15);
        Assert.AreEqual(FaithfulnessStatistics.JensenShannon(p, q), FaithfulnessStatistics.JensenShannon(q, p), 1e-15);
        Assert.IsTrue(FaithfulnessStatistics.JensenShannon(p, q) is > 0 and <= 0.6931471805599453);
        Assert.AreEqual(Math.Log(2), FaithfulnessStatistics.JensenShannon(new double[] { 1, 0 }, new double[] { 0, 1 }), 1e-12);
        var random = new SplitMix64(3);
        for (int i = 0; i < 100; i++)
        {
            var a = Enumerable.Range(0, 6).Select(_ => (double)random.NextInt(10)).Append(1).ToArray();
            var b = Enumerable.Range(0, 6).Select(_ => (double)random.NextInt(10)).Append(1).ToArray();
            double js = FaithfulnessStatistics.JensenShannon(a, b);
            Assert.IsTrue(js is >= 0 and <= 0.6931471805599453);
            Assert.AreEqual(js, FaithfulnessStatistics.JensenShannon(b, a), 1e-12);
        }
    }

    [TestMethod]
    public void LeaveOneOutEqualsTheUnknownErasureDropOfOneTokenAndTheTopOneErasure()
    {
        var example = Test[3];
        var importance = FaithfulnessEvaluator.Importance(Model, new[] { example.Text }, EraseMode.Unknown)[0];
        var ids = Ids(example.Text);
        CollectionAssert.AreEqual(ids, importance.Ids);
        Assert.AreEqual(ids.Length, importance.LeaveOneOut.Length);
        Assert.AreEqual(ids.Length, importance.GradientTimesInput.Length);
        Assert.IsTrue(importance.GradientTimesInput.All(float.IsFinite));
        int c = importance.LabelIndex;
        foreach (int t in new[] { 0, ids.Length / 2, ids.Length - 1 })
        {
            var erased = ModelRunner.Forward(Model.Network, new[] { Erasure.Erase(ids, new[] { t }, EraseMode.Unknown) }, 8).Probabilities[0];
            Assert.AreEqual(importance.Probability - erased[c], importance.LeaveOneOut[t], 1e-5, $"token {t}");
        }

        var report = FaithfulnessEvaluator.Evaluate(Model, new[] { example },
            new FaithfulnessOptions { KFractions = new[] { 0.001 }, RandomDraws = 1, UniformBaseline = false, ImportanceExamples = 0 });
        var top = report.Erasures.Single(e => e.Strategy == ErasureStrategy.TopAttention);
        Assert.AreEqual(1.0, top.MeanTokensErased);
        int argmax = Erasure.TopK(importance.Attention, 1)[0];
        Assert.AreEqual(importance.LeaveOneOut[argmax], top.MeanDrop, 1e-5);
    }

    [TestMethod]
    public void GradientTimesInputReproducesTheForwardOfEveryArchitecture()
    {
        var rows = Test.Take(6).Select(t => Ids(t.Text)).ToArray();
        foreach (var (encoder, pooling, bigrams) in new[] { (EncoderKind.Conv, PoolingKind.Attention, 64), (EncoderKind.BiLstm, PoolingKind.MultiHead, 0), (EncoderKind.ResConv, PoolingKind.Max, 0) })
        {
            manual_seed(5);
            using var network = new TextClassifier(new TextClassifierOptions
            {
                VocabularySize = Model.Tokenizer.VocabularySize, NumClasses = 2, EmbeddingDim = 16, EncoderDim = 16, AttentionHiddenDim = 8,
                DenseDim = 16, Encoder = encoder, Pooling = pooling, Heads = 2, BigramBuckets = bigrams, MaxLength = Model.MaxLength,
            });
            var gradient = ModelRunner.GradientTimesInput(network, rows, new int[rows.Length], 4);
            for (int r = 0; r < rows.Length; r++)
            {
                Assert.AreEqual(rows[r].Length, gradient[r].Length);
                Assert.IsTrue(gradient[r].All(float.IsFinite) && gradient[r].Any(v => v != 0), $"{encoder}/{pooling}");
            }
            Assert.IsTrue(network.parameters().All(p => p.grad is null), "gradient × input must not leave gradients on the model");
        }
    }

    [TestMethod]
    public void SeedModelsShareTheVocabularyAndTheirSpreadIsMeasured()
    {
        var rows = Train.Take(400).ToList();
        var models = FaithfulnessEvaluator.TrainSeedModels(rows, SmallOptions(PoolingKind.Attention), new long[] { 1, 2 });
        try
        {
            CollectionAssert.AreEqual(models[0].Tokenizer.Vocabulary.ToArray(), models[1].Tokenizer.Vocabulary.ToArray());
            var options = new FaithfulnessOptions { MaxExamples = 40 };
            var spread = FaithfulnessEvaluator.SeedSpread(models, Test, options);
            Assert.AreEqual(2, spread.Models);
            Assert.IsTrue(spread.MeanJensenShannon is > 0 and <= 0.6931471805599453, $"JS {spread.MeanJensenShannon}");
            Assert.AreEqual(2, spread.Accuracies.Count);

            var same = FaithfulnessEvaluator.SeedSpread(new[] { Model, Model }, Test, options);
            Assert.AreEqual(0, same.MeanJensenShannon, 1e-9);
            Assert.AreEqual(1.0, same.PredictionAgreement);

            var error = Assert.ThrowsExactly<ArgumentException>(() => FaithfulnessEvaluator.SeedSpread(new[] { Model, models[0] }, Test, options));
            StringAssert.Contains(error.Message, "different tokenizer");
        }
        finally
        {
            foreach (var m in models) m.Dispose();
        }
    }
}
