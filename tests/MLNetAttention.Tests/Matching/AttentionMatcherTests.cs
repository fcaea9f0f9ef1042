using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Tests.Matching;

[TestClass]
public sealed class AttentionMatcherTests
{
    private static readonly List<PairExample> Train = BundledSamples.ReadPairs("couplet-match.train").ToList();
    private static readonly List<PairExample> Test = BundledSamples.ReadPairs("couplet-match.test").ToList();

    public TestContext TestContext { get; set; } = null!;

    internal static AttentionMatcherOptions SmallOptions(MatcherKind kind, int epochs = 2) => new()
    {
        Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
        Model = new TextMatcherOptions { Kind = kind, EmbeddingDim = 64, AttentionHiddenDim = 64, DenseDim = 128, ProjectionDim = 64 },
        Training = new TrainingOptions { Epochs = epochs, Threads = 1, ValidationFraction = 0.1, Patience = 0 },
    };

    [TestMethod]
    [DataRow(MatcherKind.Siamese)]
    [DataRow(MatcherKind.Interactive)]
    [DataRow(MatcherKind.Triplet)]
    public void TrainsAboveChanceOnTheBundledCoupletSampleAndRoundTrips(MatcherKind kind)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var matcher = AttentionMatcher.Train(Train, null, SmallOptions(kind));
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = matcher.Evaluate(Test);
        TestContext.WriteLine($"{kind}: test accuracy {metrics.Accuracy:0.000}, F1(match) {metrics.PerClass[1].F1:0.000}, macro-F1 {metrics.MacroF1:0.000} on {metrics.Count} pairs; trained in {seconds:0.0} s; best epoch {matcher.Summary!.BestEpoch}; val acc {matcher.Summary.Validation?.Accuracy:0.000}");
        Assert.AreEqual(Test.Count, metrics.Count);
        Assert.IsTrue(metrics.Accuracy > 0.58, $"{kind}: test accuracy {metrics.Accuracy:0.000} is near chance (0.5)");

        string directory = Path.Combine(Path.GetTempPath(), $"matcher-{Guid.NewGuid():N}");
        try
        {
            matcher.Save(directory);
            Assert.IsTrue(AttentionMatcher.IsMatcherDirectory(directory));
            using var loaded = AttentionMatcher.Load(directory);
            Assert.AreEqual(kind, loaded.Kind);
            var pairs = Test.Take(20).Select(p => (p.Text1, p.Text2)).ToList();
            var original = matcher.Predict(pairs);
            var reloaded = loaded.Predict(pairs);
            for (int i = 0; i < pairs.Count; i++)
            {
                Assert.AreEqual(original[i].Probability, reloaded[i].Probability);
                CollectionAssert.AreEqual(original[i].Tokens1.Select(t => t.Weight).ToArray(), reloaded[i].Tokens1.Select(t => t.Weight).ToArray());
                CollectionAssert.AreEqual(original[i].Tokens2.Select(t => t.Weight).ToArray(), reloaded[i].Tokens2.Select(t => t.Weight).ToArray());
            }
            Assert.AreEqual(metrics.Accuracy, loaded.Evaluate(Test).Accuracy);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
