using MLNetAttention.Models;
using MLNetAttention.Tests.Onnx;

namespace MLNetAttention.Tests.Predictions;

[TestClass]
public sealed class HeadDiversityTests
{
    private static double[][] Rows(params double[][] rows) => rows;

    [TestMethod]
    public void JensenShannonMatchesHandComputedValues()
    {
        Assert.AreEqual(Math.Log(2), HeadDiversity.JensenShannon([1, 0], [0, 1]), 1e-12);
        // 0.5 ln(1 / 0.75) + 0.25 ln(0.5 / 0.75) + 0.25 ln(0.5 / 0.25)
        double oneHotToUniform = 0.5 * Math.Log(4.0 / 3) + 0.25 * Math.Log(2.0 / 3) + 0.25 * Math.Log(2);
        Assert.AreEqual(oneHotToUniform, HeadDiversity.JensenShannon([1, 0], [0.5, 0.5]), 1e-12);
        Assert.AreEqual(0, HeadDiversity.JensenShannon([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]));
    }

    [TestMethod]
    public void HeadsOnDisjointTokensScoreTheirDivergenceOverTheirDistanceFromUniform()
    {
        var diversity = new HeadDiversity(2);
        diversity.Add(Rows([1, 0], [0, 1]));
        diversity.Add(Rows([0, 1], [1, 0]));
        var result = diversity.Result;
        double fromUniform = 0.5 * Math.Log(4.0 / 3) + 0.25 * Math.Log(2.0 / 3) + 0.25 * Math.Log(2);
        Assert.AreEqual(2, result.Texts);
        Assert.AreEqual(Math.Log(2), result.MeanPairwiseDivergence!.Value, 1e-12);
        Assert.AreEqual(fromUniform, result.MeanDivergenceFromUniform, 1e-12);
        Assert.AreEqual(Math.Log(2) / fromUniform, result.DiversityRatio!.Value, 1e-9);
        Assert.AreEqual(Math.Log(2), result.PairwiseDivergence[0][1], 1e-12);
        Assert.AreEqual(result.PairwiseDivergence[0][1], result.PairwiseDivergence[1][0]);
    }

    [TestMethod]
    public void CopiedHeadsScoreZeroWhateverTheirShape()
    {
        var diversity = new HeadDiversity(3);
        diversity.Add(Rows([0.7, 0.2, 0.1], [0.7, 0.2, 0.1], [0.7, 0.2, 0.1]));
        diversity.Add(Rows([0.05, 0.9, 0.05, 0], [0.05, 0.9, 0.05, 0], [0.05, 0.9, 0.05, 0]));
        var result = diversity.Result;
        Assert.AreEqual(0, result.DiversityRatio!.Value, 1e-12);
        Assert.IsGreaterThan(0.1, result.MeanDivergenceFromUniform);
    }

    [TestMethod]
    public void PairsAverageOverEveryPairAndOneTokenTextsAreSkipped()
    {
        var diversity = new HeadDiversity(3);
        diversity.Add(Rows([1], [1], [1]));
        diversity.Add(Rows([1, 0], [1, 0], [0, 1]));
        var result = diversity.Result;
        Assert.AreEqual(1, result.Texts);
        // Pairs (1,2) = 0, (1,3) = (2,3) = ln 2.
        Assert.AreEqual(2 * Math.Log(2) / 3, result.MeanPairwiseDivergence!.Value, 1e-12);
        Assert.AreEqual(0, result.PairwiseDivergence[0][1], 1e-12);
    }

    [TestMethod]
    public void OneHeadGetsItsFlatnessButNoRatio()
    {
        var diversity = new HeadDiversity(1);
        diversity.Add(Rows([0.25, 0.25, 0.25, 0.25]));
        diversity.Add(Rows([1, 0]));
        var result = diversity.Result;
        Assert.IsNull(result.MeanPairwiseDivergence);
        Assert.IsNull(result.DiversityRatio);
        double oneHotToUniform = 0.5 * Math.Log(4.0 / 3) + 0.25 * Math.Log(2.0 / 3) + 0.25 * Math.Log(2);
        Assert.AreEqual(oneHotToUniform / 2, result.MeanDivergenceFromUniform, 1e-12);
    }

    [TestMethod]
    public void BadWeightsAreRefusedWithTheHeadAndToken()
    {
        var diversity = new HeadDiversity(2);
        var error = Assert.ThrowsExactly<ArgumentException>(() => diversity.Add(Rows([0.5, 0.5], [0.5, double.NaN])));
        StringAssert.Contains(error.Message, "Head 2");
        StringAssert.Contains(error.Message, "token 2");
        Assert.ThrowsExactly<ArgumentException>(() => diversity.Add(Rows([0.5, 0.5], [1])));
        Assert.ThrowsExactly<ArgumentException>(() => diversity.Add(Rows([0.5, 0.5])));
        Assert.ThrowsExactly<ArgumentException>(() => diversity.Add(Rows([0, 0], [0.5, 0.5])));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HeadDiversity(0));
        Assert.AreEqual(0, diversity.Result.Texts, "a refused text must not be counted");
    }

    [TestMethod]
    public void PredictionsOfAMultiHeadModelAddUpLikeTheirRows()
    {
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead);
        var predictions = classifier.Predict(OnnxTestModels.Texts);
        var fromPredictions = new HeadDiversity(3);
        var fromRows = new HeadDiversity(3);
        foreach (var prediction in predictions)
        {
            fromPredictions.Add(prediction);
            fromRows.Add(Enumerable.Range(0, 3).Select(h => (IReadOnlyList<double>)prediction.Tokens.Select(t => (double)t.Weights[h]).ToArray()).ToArray());
        }
        Assert.AreEqual(fromRows.Result.DiversityRatio!.Value, fromPredictions.Result.DiversityRatio!.Value, 1e-12);
        Assert.IsGreaterThan(0, fromPredictions.Result.MeanDivergenceFromUniform);
        Assert.ThrowsExactly<ArgumentException>(() => new HeadDiversity(2).Add(predictions[0]));
    }
}
