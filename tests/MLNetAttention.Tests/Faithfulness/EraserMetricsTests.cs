using MLNetAttention.Faithfulness;
using MLNetAttention.Text;

namespace MLNetAttention.Tests.Faithfulness;

/// <summary>
/// The ERASER arithmetic against numbers worked out by hand, on a fake two-class model whose probabilities are simple
/// fractions: p(class 1) = the share of a row's tokens whose id is 10 or more (the unknown id 1 counts as "not").
/// </summary>
[TestClass]
public sealed class EraserMetricsTests
{
    private const double Tolerance = 1e-6;

    // p1 = 3/4, so y = 1. The explainer ranks the tokens in text order: 10, 11, 12, 3.
    private static readonly int[] TextA = { 10, 11, 12, 3 };
    private static readonly float[] ScoresA = { 0.4f, 0.3f, 0.2f, 0.1f };

    // p1 = 2/5, so y = 0 with p0 = 0.6. The explainer ranks positions 2, 1, 4, 3, 0 (ids 4, 10, 11, 5, 3).
    private static readonly int[] TextB = { 3, 10, 4, 5, 11 };
    private static readonly float[] ScoresB = { 0.1f, 0.5f, 0.9f, 0.2f, 0.3f };

    private sealed class FakeModel
    {
        public int Calls { get; private set; }

        public List<int[]> Rows { get; } = new();

        public IReadOnlyList<float[]> Score(IReadOnlyList<int[]> rows)
        {
            Calls++;
            Rows.AddRange(rows);
            return rows.Select(r =>
            {
                Assert.IsTrue(r.Length > 0 && r.All(id => id > 0), "rows reach the model unpadded and non-empty");
                float p1 = r.Count(id => id >= 10) / (float)r.Length;
                return new[] { 1 - p1, p1 };
            }).ToArray();
        }
    }

    [TestMethod]
    public void TheRationaleIsTheCeilingOfKPercentOfTheLength()
    {
        // A 38-token text (the poetry sample's mean) at the ERASER bins: 0.38, 1.9, 3.8, 7.6 and 19 tokens, rounded up.
        CollectionAssert.AreEqual(new[] { 1, 2, 4, 8, 19 }, EraserMetrics.DefaultPercentages.Select(k => EraserMetrics.TokensFor(k, 38)).ToArray());
        // Exact products are not pushed up by floating point: 7 % of 100 is 7 (0.07 * 100 = 7.000000000000001), 20 % of 5 is 1.
        Assert.AreEqual(7, EraserMetrics.TokensFor(7, 100));
        Assert.AreEqual(1, EraserMetrics.TokensFor(20, 5));
        Assert.AreEqual(1, EraserMetrics.TokensFor(10, 10));
        Assert.AreEqual(2, EraserMetrics.TokensFor(1, 101));
        Assert.AreEqual(2, EraserMetrics.TokensFor(50, 3));
        Assert.AreEqual(3, EraserMetrics.TokensFor(20, 11));
        Assert.AreEqual(4, EraserMetrics.TokensFor(100, 4));
        Assert.AreEqual(1, EraserMetrics.TokensFor(0.001, 4), "a non-empty text's rationale has at least one token");
        Assert.AreEqual(0, EraserMetrics.TokensFor(50, 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => EraserMetrics.TokensFor(0, 10));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => EraserMetrics.TokensFor(101, 10));
    }

    [TestMethod]
    public void DeletionConcatenatesTheRestAndUnknownKeepsTheLength()
    {
        int[] ids = { 5, 6, 7, 8 };
        CollectionAssert.AreEqual(new[] { 6, 7 }, EraserMetrics.Without(ids, new[] { 3, 0 }, EraseMode.Remove));
        CollectionAssert.AreEqual(new[] { 1, 6, 7, 1 }, EraserMetrics.Without(ids, new[] { 3, 0 }, EraseMode.Unknown));
        // The rationale alone keeps text order, whatever order the ranking gave.
        CollectionAssert.AreEqual(new[] { 5, 8 }, EraserMetrics.Only(ids, new[] { 3, 0 }, EraseMode.Remove));
        CollectionAssert.AreEqual(new[] { 5, 1, 1, 8 }, EraserMetrics.Only(ids, new[] { 3, 0 }, EraseMode.Unknown));
        // Nothing left: scored as one unknown token.
        CollectionAssert.AreEqual(new[] { AttentionTokenizer.UnknownId }, EraserMetrics.Without(ids, new[] { 0, 1, 2, 3 }, EraseMode.Remove));
        CollectionAssert.AreEqual(ids, EraserMetrics.Only(ids, new[] { 0, 1, 2, 3 }, EraseMode.Remove));
    }

    [TestMethod]
    public void AopcWithDeletionMatchesTheHandComputedValues()
    {
        var model = new FakeModel();
        var one = EraserMetrics.Score(new[] { TextA }, new[] { ScoresA }, model.Score);
        // n = 4: k = 1, 5, 10, 20 % -> 1 token, 50 % -> 2 tokens.
        // Comprehensiveness: 3/4 − p1(11 12 3) = 3/4 − 2/3 at four k, 3/4 − p1(12 3) = 1/4 at 50 %.
        Assert.AreEqual((4 * (0.75 - 2.0 / 3) + 0.25) / 5, one.Comprehensiveness, Tolerance);
        // Sufficiency: 3/4 − p1(10) = −1/4 and 3/4 − p1(10 11) = −1/4.
        Assert.AreEqual(-0.25, one.Sufficiency, Tolerance);
        CollectionAssert.AreEqual(new[] { 1.0, 1, 1, 1, 2 }, one.Points.Select(p => p.MeanTokens).ToArray());
        Assert.AreEqual(0.25, one.Points[4].Comprehensiveness, Tolerance);
        Assert.AreEqual(2, model.Calls, "the original texts in one call, every erased variant in another");

        // Text B (y = 0, p0 = 0.6); n = 5: k = 1 … 20 % -> 1 token (20 % of 5 is exactly 1), 50 % -> 3 tokens.
        //   1 token (id 4):  without -> 3 10 5 11, p0 = 1/2, 0.1;  only -> 4, p0 = 1, −0.4
        //   3 tokens (4 10 11): without -> 3 5, p0 = 1, −0.4;  only -> 10 4 11, p0 = 1/3, 0.6 − 1/3
        var two = EraserMetrics.Score(new[] { TextA, TextB }, new[] { ScoresA, ScoresB }, new FakeModel().Score);
        double comprehensivenessB = (4 * 0.1 - 0.4) / 5, sufficiencyB = (4 * -0.4 + (0.6 - 1.0 / 3)) / 5;
        Assert.AreEqual((one.Comprehensiveness + comprehensivenessB) / 2, two.Comprehensiveness, Tolerance);
        Assert.AreEqual((one.Sufficiency + sufficiencyB) / 2, two.Sufficiency, Tolerance);
        Assert.AreEqual(2, two.Texts);
        Assert.AreEqual(2.5, two.Points[4].MeanTokens, Tolerance);
        Assert.AreEqual((0.25 - 0.4) / 2, two.Points[4].Comprehensiveness, Tolerance);
    }

    [TestMethod]
    public void AopcWithUnknownReplacementMatchesTheHandComputedValues()
    {
        var options = new EraserOptions { EraseMode = EraseMode.Unknown };
        var model = new FakeModel();
        var result = EraserMetrics.Score(new[] { TextA, TextB }, new[] { ScoresA, ScoresB }, model.Score, options);
        // A (y = 1, 3/4): without 1 11 12 3 -> 1/2 (0.25), 1 1 12 3 -> 1/4 (0.5); only 10 1 1 1 -> 1/4 (0.5), 10 11 1 1 -> 1/2 (0.25).
        double comprehensivenessA = (4 * 0.25 + 0.5) / 5, sufficiencyA = (4 * 0.5 + 0.25) / 5;
        // B (y = 0, 0.6): without 3 10 1 5 11 -> 0.6 (0), 3 1 1 5 1 -> 1 (−0.4); only 1 1 4 1 1 -> 1 (−0.4), 1 10 4 1 11 -> 0.6 (0).
        double comprehensivenessB = (4 * 0.0 - 0.4) / 5, sufficiencyB = (4 * -0.4 + 0) / 5;
        Assert.AreEqual((comprehensivenessA + comprehensivenessB) / 2, result.Comprehensiveness, Tolerance);
        Assert.AreEqual((sufficiencyA + sufficiencyB) / 2, result.Sufficiency, Tolerance);
        Assert.AreEqual(0.11, result.Comprehensiveness, Tolerance);
        Assert.AreEqual(0.065, result.Sufficiency, Tolerance);
        // Every variant keeps its text's length.
        Assert.IsTrue(model.Rows.All(r => r.Length is 4 or 5));
        // Each distinct variant is scored once: A's four 1-token k give the same two rows.
        Assert.AreEqual(2 + 2 * 2 + 2 * 2, model.Rows.Count);
    }

    [TestMethod]
    public void OtherKValuesAverageOnlyThoseK()
    {
        var result = EraserMetrics.Score(new[] { TextA }, new[] { ScoresA }, new FakeModel().Score, new EraserOptions { Percentages = new[] { 50.0, 100 } });
        // 50 % -> 2 tokens (comprehensiveness 1/4, sufficiency −1/4); 100 % -> all 4: nothing left is one unknown token (p1 = 0), only = the text.
        Assert.AreEqual((0.25 + 0.75) / 2, result.Comprehensiveness, Tolerance);
        Assert.AreEqual((-0.25 + 0) / 2, result.Sufficiency, Tolerance);
        Assert.ThrowsExactly<ArgumentException>(() => new EraserOptions { Percentages = new[] { 0.0 } }.Validate());
        Assert.ThrowsExactly<ArgumentException>(() => new EraserOptions { Percentages = Array.Empty<double>() }.Validate());
    }

    [TestMethod]
    public void LeaveOneOutIsTheDropWhenOneTokenIsErased()
    {
        var deleted = EraserMetrics.LeaveOneOut(new[] { TextA, TextB }, new FakeModel().Score);
        // A: without 10, 11 or 12 -> 2/3; without 3 -> 1.
        CollectionAssert.AreEqual(new[] { 0.75 - 2.0 / 3, 0.75 - 2.0 / 3, 0.75 - 2.0 / 3, -0.25 }, deleted[0].Select(v => (double)v).ToArray(), new ToleranceComparer());
        // B (class 0, 0.6): without 3, 4 or 5 -> p0 = 1/2; without 10 or 11 -> p0 = 3/4.
        CollectionAssert.AreEqual(new[] { 0.1, -0.15, 0.1, 0.1, -0.15 }, deleted[1].Select(v => (double)v).ToArray(), new ToleranceComparer());
        var unknown = EraserMetrics.LeaveOneOut(new[] { TextA }, new FakeModel().Score, EraseMode.Unknown);
        CollectionAssert.AreEqual(new[] { 0.25, 0.25, 0.25, 0 }, unknown[0].Select(v => (double)v).ToArray(), new ToleranceComparer());
    }

    [TestMethod]
    public void MeanKendallTauLeavesOutUndefinedTexts()
    {
        var first = new[] { new float[] { 3, 1, 2 }, new float[] { 1, 2, 3, 4 }, new float[] { 1, 1 } };
        var second = new[] { new float[] { 1, 2, 3 }, new float[] { 1, 2, 4, 3 }, new float[] { 1, 2 } };
        // Text 1: one concordant pair of three, tau = −1/3. Text 2: five of six, tau = 4/6. Text 3: constant, left out.
        Assert.AreEqual((-1.0 / 3 + 4.0 / 6) / 2, ExplainerComparison.MeanKendallTau(first, second), 1e-12);
        Assert.IsTrue(double.IsNaN(ExplainerComparison.MeanKendallTau(new[] { new float[] { 1, 1 } }, new[] { new float[] { 1, 2 } })));
    }

    [TestMethod]
    public void TheRandomRankingIsASeededPermutation()
    {
        var scores = ExplainerComparison.RandomScores(30, seed: 42, stream: 1);
        CollectionAssert.AreEquivalent(Enumerable.Range(1, 30).Select(v => (float)v).ToArray(), scores);
        CollectionAssert.AreEqual(scores, ExplainerComparison.RandomScores(30, 42, 1));
        CollectionAssert.AreNotEqual(scores, ExplainerComparison.RandomScores(30, 42, 2));
        CollectionAssert.AreNotEqual(scores, ExplainerComparison.RandomScores(30, 43, 1));
    }

    private sealed class ToleranceComparer : System.Collections.IComparer
    {
        public int Compare(object? x, object? y) => Math.Abs(Convert.ToDouble(x) - Convert.ToDouble(y)) <= Tolerance ? 0 : 1;
    }
}
