using MLNetAttention.Data;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Tests.Matching;

[TestClass]
public sealed class TripletSamplerTests
{
    [TestMethod]
    [DataRow(0.0)]
    [DataRow(0.5)]
    [DataRow(1.0)]
    public void TheNegativeIsNeverThePositiveNorAnotherMatchOfTheAnchor(double hardShare)
    {
        // Few distinct second sentences, a positive that occurs twice as a separate row (equal ids, different arrays),
        // an anchor with two matches, and a labelled "negative" that contradicts a positive.
        int[] A(params int[] ids) => ids;
        var ids1 = new[] { A(2, 3), A(2, 3), A(4, 5), A(4, 5), A(6), A(6), A(7, 8), A(2, 3) };
        var ids2 = new[] { A(9), A(10), A(9), A(11, 12), A(10), A(9), A(11, 12), A(9) };
        var labels = new[] { 1, 1, 1, 0, 1, 0, 1, 0 };
        var sampler = new TripletSampler(ids1, ids2, labels, hardShare);
        Assert.AreEqual(5, sampler.PositiveCount);
        var random = new SplitMix64(11);
        var seenNegatives = new HashSet<int>();
        for (int epoch = 0; epoch < 2000; epoch++)
        {
            foreach (var t in sampler.Sample(random))
            {
                Assert.AreNotEqual(t.Positive, t.Negative, "the positive was drawn as its own negative");
                Assert.IsFalse(sampler.Texts[t.Positive].SequenceEqual(sampler.Texts[t.Negative]), "the negative has the positive's tokens");
                Assert.AreNotEqual(t.Anchor, t.Negative);
                Assert.IsTrue(sampler.IsValidNegative(t.Anchor, t.Positive, t.Negative));
                // Anchor (2, 3) matches both (9) and (10): neither may be its negative.
                if (sampler.Texts[t.Anchor].SequenceEqual(new[] { 2, 3 }))
                    Assert.IsTrue(sampler.Texts[t.Negative].SequenceEqual(new[] { 11, 12 }), "a known match of the anchor was drawn as its negative");
                seenNegatives.Add(t.Negative);
            }
        }
        Assert.IsTrue(seenNegatives.Count >= 3, "negatives should vary");
    }

    [TestMethod]
    public void TheUniformDrawOfTheOriginalWouldHaveHitThePositive()
    {
        // With two second sentences a uniform draw returns the positive half the time; the sampler never does.
        var ids1 = new[] { new[] { 2 }, new[] { 3 } };
        var ids2 = new[] { new[] { 4 }, new[] { 5 } };
        var sampler = new TripletSampler(ids1, ids2, new[] { 1, 1 }, hardNegativeShare: 0);
        var random = new SplitMix64(1);
        for (int i = 0; i < 500; i++)
            foreach (var t in sampler.Sample(random))
                Assert.AreNotEqual(t.Positive, t.Negative);
    }

    [TestMethod]
    public void AnAnchorWithoutAPossibleNegativeIsAnError()
    {
        var ids1 = new[] { new[] { 2 }, new[] { 2 } };
        var ids2 = new[] { new[] { 4 }, new[] { 5 } };
        var error = Assert.ThrowsExactly<ArgumentException>(() => new TripletSampler(ids1, ids2, new[] { 1, 1 }));
        StringAssert.Contains(error.Message, "no possible negative");
        Assert.ThrowsExactly<ArgumentException>(() => new TripletSampler(ids1, ids2, new[] { 0, 0 }));
    }

    [TestMethod]
    public void PlattScalingSeparatesHigherScoresOfMatches()
    {
        var scores = new List<double>();
        var labels = new List<int>();
        var random = new Random(3);
        for (int i = 0; i < 400; i++)
        {
            int label = i % 2;
            scores.Add((label == 1 ? 0.4 : 0.1) + (random.NextDouble() - 0.5) * 0.4);
            labels.Add(label);
        }
        var (scale, bias) = MatcherTrainer.FitPlatt(scores, labels);
        Assert.IsTrue(scale > 0, $"scale {scale}");
        double threshold = -bias / scale;
        Assert.IsTrue(threshold is > 0.15 and < 0.35, $"threshold {threshold}");
    }
}
