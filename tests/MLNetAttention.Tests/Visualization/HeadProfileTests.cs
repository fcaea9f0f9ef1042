using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Visualization;

/// <summary>What each head looks at over a set of texts, on hand-built predictions.</summary>
[TestClass]
public sealed class HeadProfileTests
{
    private static readonly string[] Labels = ["a", "b"];

    /// <summary>A prediction of <paramref name="label"/> with tokens separated by single spaces, each with its per-head weights.</summary>
    private static ClassPrediction Prediction(string label, params (string Token, float[] Weights)[] tokens)
    {
        var weights = new List<TokenWeight>();
        int offset = 0;
        foreach (var (token, perHead) in tokens)
        {
            weights.Add(new TokenWeight(token, 2, offset, token.Length, perHead));
            offset += token.Length + 1;
        }
        int index = Array.IndexOf(Labels, label);
        return new ClassPrediction
        {
            Text = string.Join(" ", tokens.Select(t => t.Token)), Label = label, LabelIndex = index, Labels = Labels,
            Probabilities = index == 0 ? [0.75f, 0.25f] : [0.25f, 0.75f], Tokens = weights, Heads = tokens[0].Weights.Length, TruncatedTokens = 0,
        };
    }

    // Head 1 favours x, head 2 favours y; x occurs once in each class, so no single class has it twice.
    private static ClassPrediction[] TwoHeads() =>
    [
        Prediction("a", ("x", [0.75f, 0.25f]), ("y", [0.25f, 0.75f])),
        Prediction("b", ("x", [0.5f, 0.375f]), ("y", [0.5f, 0.625f])),
        Prediction("b", ("y", [0.5f, 0.5f]), ("z", [0.5f, 0.5f])),
    ];

    [TestMethod]
    public void EachHeadRanksTokensOverAllTextsWhateverTheirClass()
    {
        var summary = HeadProfile.Of(TwoHeads(), top: 5, minCount: 2);
        Assert.AreEqual(3, summary.Texts);
        Assert.AreEqual(5, summary.Top);
        Assert.AreEqual(2, summary.MinCount);
        Assert.HasCount(2, summary.Heads);

        var first = summary.Heads[0];
        CollectionAssert.AreEqual(new[] { "x", "y" }, first.TokensByMean.Select(t => t.Token).ToArray(), "z occurs once: under the minimum count");
        Assert.AreEqual(0.625, first.TokensByMean[0].HeadMean(0), 1e-9);
        Assert.AreEqual(1.25, first.TokensByTotal[0].HeadTotals[0], 1e-9);
        Assert.AreEqual(2, first.TokensByMean[0].Count);
        Assert.AreEqual(1.25 / 3, first.TokensByMean[1].HeadMean(0), 1e-9);

        var second = summary.Heads[1];
        CollectionAssert.AreEqual(new[] { "y", "x" }, second.TokensByMean.Select(t => t.Token).ToArray());
        CollectionAssert.AreEqual(new[] { "y", "x" }, second.TokensByTotal.Select(t => t.Token).ToArray());
        Assert.AreEqual(1.875, second.TokensByTotal[0].HeadTotals[1], 1e-9);
        CollectionAssert.AreEqual(new[] { "x y", "y x" }, summary.Labels(2).ToArray());
        Assert.AreEqual("x", first.Label(1));
    }

    [TestMethod]
    public void TheDiversityIsHeadDiversitysOnTheSamePredictions()
    {
        var predictions = TwoHeads();
        var direct = new HeadDiversity(2);
        foreach (var prediction in predictions) direct.Add(prediction);
        var expected = direct.Result;
        var profile = new HeadProfile(2);
        profile.AddRange(predictions);
        var summary = profile.Summarize();

        Assert.AreEqual(expected.Texts, summary.Diversity.Texts);
        Assert.AreEqual(expected.MeanDivergenceFromUniform, summary.Diversity.MeanDivergenceFromUniform);
        Assert.AreEqual(expected.MeanPairwiseDivergence, summary.Diversity.MeanPairwiseDivergence);
        Assert.AreEqual(expected.DiversityRatio, summary.Diversity.DiversityRatio);
        for (int h = 0; h < 2; h++) Assert.AreEqual(expected.HeadDivergenceFromUniform[h], summary.Heads[h].DivergenceFromUniform);
        Assert.IsEmpty(summary.Heads[0].TokensByMean, "the default minimum count of 5 leaves no token of three short texts");
        Assert.AreEqual("", summary.Heads[0].Label());
    }

    [TestMethod]
    public void ASingleHeadGetsOneEntryWithTheModelsListsAndNoPairwiseFigures()
    {
        var predictions = new[]
        {
            Prediction("a", ("x", [0.75f]), ("y", [0.25f])),
            Prediction("b", ("x", [0.5f]), ("y", [0.5f])),
        };
        var summary = HeadProfile.Of(predictions, minCount: 1);
        var head = summary.Heads.Single();
        Assert.AreEqual(0, head.Head);
        CollectionAssert.AreEqual(new[] { "x", "y" }, head.TokensByTotal.Select(t => t.Token).ToArray());
        Assert.AreEqual(0.625, head.TokensByMean[0].HeadMean(0), 1e-9);
        Assert.IsNull(summary.Diversity.MeanPairwiseDivergence);
        Assert.IsNull(summary.Diversity.DiversityRatio);
        Assert.IsGreaterThan(0, summary.Diversity.MeanDivergenceFromUniform);
        Assert.AreEqual(head.DivergenceFromUniform, summary.Diversity.MeanDivergenceFromUniform);
    }

    [TestMethod]
    public void LabelsSkipBlankTokensAndKeepToOneLine()
    {
        var predictions = new[] { Prediction("a", (" ", [0.5f]), ("new\nline", [0.3f]), ("b", [0.2f])) };
        var summary = HeadProfile.Of(predictions, minCount: 1);
        Assert.AreEqual("new line b", summary.Heads[0].Label(3));
    }

    [TestMethod]
    public void ItRefusesPredictionsOfAnotherHeadCountAndEmptyInput()
    {
        var profile = new HeadProfile(2);
        Assert.ThrowsExactly<ArgumentException>(() => profile.Add(Prediction("a", ("x", [1f]))));
        Assert.ThrowsExactly<ArgumentException>(() => HeadProfile.Of(Array.Empty<ClassPrediction>()));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HeadProfile(0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => profile.Summarize(top: 0));
        var empty = profile.Summarize();
        Assert.AreEqual(0, empty.Texts);
        Assert.HasCount(2, empty.Heads);
        Assert.IsTrue(empty.Heads.All(h => h.TokensByMean.Count == 0 && h.TokensByTotal.Count == 0));
    }
}
