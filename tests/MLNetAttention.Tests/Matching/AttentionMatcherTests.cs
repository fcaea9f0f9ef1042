using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Tests.Matching;

[TestClass]
public sealed class AttentionMatcherTests
{
    private static readonly List<PairExample> Train = BundledSamples.ReadPairs("couplet-match.train").Take(2000).ToList();
    private static readonly List<PairExample> Test = BundledSamples.ReadPairs("couplet-match.test").ToList();

    public TestContext TestContext { get; set; } = null!;

    internal static AttentionMatcherOptions SmallOptions(MatcherKind kind, int epochs = 2) => new()
    {
        Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
        Model = new TextMatcherOptions { Kind = kind, EmbeddingDim = 64, AttentionHiddenDim = 64, DenseDim = 128, ProjectionDim = 64 },
        Training = new TrainingOptions { Epochs = epochs, Threads = 1, ValidationFraction = 0.1, Patience = 0 },
    };

    // A relation with signal built from the bundled couplets: a line matches a copy of itself with two characters
    // replaced, not another line of the same length. Every matcher must learn it in three epochs.
    private static (List<PairExample> Train, List<PairExample> Test) OverlapTask()
    {
        var lines = Train.Concat(Test).SelectMany(p => new[] { p.Text1, p.Text2 }).Distinct().ToList();
        var alphabet = string.Concat(lines).Distinct().ToArray();
        var random = new Random(17);
        var pairs = new List<PairExample>();
        for (int i = 0; i < 3000; i++)
        {
            string line = lines[random.Next(lines.Count)];
            if (i % 2 == 0)
            {
                var chars = line.ToCharArray();
                for (int k = 0; k < 2; k++) chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
                pairs.Add(new PairExample(line, new string(chars), "1"));
            }
            else
            {
                string other = lines[random.Next(lines.Count)];
                while (other == line || other.Length != line.Length) other = lines[random.Next(lines.Count)];
                pairs.Add(new PairExample(line, other, "0"));
            }
        }
        return (pairs.Take(2500).ToList(), pairs.Skip(2500).ToList());
    }

    [TestMethod]
    [DataRow(MatcherKind.Siamese)]
    [DataRow(MatcherKind.Interactive)]
    [DataRow(MatcherKind.Triplet)]
    [DataRow(MatcherKind.Cross)]
    public void LearnsAPairRelationThatHasSignalClearlyAboveChance(MatcherKind kind)
    {
        var (train, test) = OverlapTask();
        var options = SmallOptions(kind, epochs: 3);
        using var matcher = AttentionMatcher.Train(train, null, options);
        var metrics = matcher.Evaluate(test);
        TestContext.WriteLine($"{kind} on the overlap task: test accuracy {metrics.Accuracy:0.000}, F1(match) {metrics.PerClass[1].F1:0.000}");
        // Chance is 0.5 (balanced pairs); over seeds 1-4 the three kinds reached 0.81-0.96.
        Assert.IsTrue(metrics.Accuracy > 0.75, $"{kind}: test accuracy {metrics.Accuracy:0.000} on a learnable relation");
    }

    [TestMethod]
    [DataRow(MatcherKind.Siamese)]
    [DataRow(MatcherKind.Interactive)]
    [DataRow(MatcherKind.Triplet)]
    public void TrainsOnTheBundledCoupletSampleAndRoundTripsThroughTheModelDirectory(MatcherKind kind)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var matcher = AttentionMatcher.Train(Train, null, SmallOptions(kind));
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = matcher.Evaluate(Test);
        TestContext.WriteLine($"{kind}: test accuracy {metrics.Accuracy:0.000}, F1(match) {metrics.PerClass[1].F1:0.000}, macro-F1 {metrics.MacroF1:0.000} on {metrics.Count} pairs; trained in {seconds:0.0} s; best epoch {matcher.Summary!.BestEpoch}; val acc {matcher.Summary.Validation?.Accuracy:0.000}");
        Assert.AreEqual(Test.Count, metrics.Count);
        // The couplet sample is near chance for every model after two epochs (fastText on the concatenated pair gets
        // 0.49): its negatives are real second lines of the same length, so only the relation between the lines
        // carries signal, and 1,800 pairs are too few to learn it (see scripts/bench-match.sh for the full dataset).
        // Here the test checks that training and evaluation run end to end and stay sane.
        Assert.IsTrue(metrics.Accuracy > 0.4, $"{kind}: test accuracy {metrics.Accuracy:0.000}");

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
