using MLNetAttention.Faithfulness;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Onnx;
using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Faithfulness;

/// <summary>The explainers' rows for the views, and leave-one-out from the ONNX scorer alone.</summary>
[TestClass]
public sealed class ExplanationRowsTests
{
    [TestMethod]
    public void OnnxLeaveOneOutEqualsTheComparisonsLeaveOneOut()
    {
        // Texts of 1 token to past the maximum length, a single-head and a multi-head model, with and without bigrams.
        foreach (var (encoder, pooling, bigrams) in new[] { (EncoderKind.Conv, PoolingKind.Attention, 64), (EncoderKind.BiLstm, PoolingKind.MultiHead, 0) })
        {
            using var classifier = OnnxTestModels.Build(encoder, pooling, bigrams);
            using var onnx = AttentionOnnxModel.Load(OnnxExporter.ExportToBytes(classifier));
            var texts = OnnxTestModels.Texts;
            var predictions = onnx.Predict(texts);
            Assert.IsTrue(predictions.Any(p => p.TruncatedTokens > 0) && predictions.Any(p => p.Tokens.Count == 1), "the texts cover truncation and one token");
            var fromOnnx = onnx.LeaveOneOut(predictions);
            var reference = ExplainerComparison.Explain(classifier, texts, new ExplainerComparisonOptions { Explainers = [ExplainerKind.LeaveOneOut], BatchSize = 7 });
            for (int t = 0; t < texts.Length; t++)
            {
                Assert.AreEqual(reference[t].PredictedClass, predictions[t].LabelIndex, $"{pooling} text {t}");
                var expected = reference[t].Attributions.Single().Scores;
                Assert.HasCount(predictions[t].Tokens.Count, expected);
                Assert.HasCount(expected.Length, fromOnnx[t]);
                for (int i = 0; i < expected.Length; i++)
                    Assert.AreEqual(expected[i], fromOnnx[t][i], 1e-5, $"{pooling} text {t} token {i}");
            }
            // From the texts alone, the same.
            var again = onnx.LeaveOneOut(texts);
            for (int t = 0; t < texts.Length; t++) CollectionAssert.AreEqual(fromOnnx[t], again[t]);
        }
    }

    [TestMethod]
    public void RowsAlignWithThePredictionsTokensIncludingTruncation()
    {
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead);
        var texts = OnnxTestModels.Texts;
        var predictions = classifier.Predict(texts);
        string?[] labels = texts.Select((_, i) => i % 2 == 0 ? "neutral" : null).ToArray();
        var options = new ExplainerComparisonOptions { Explainers = ExplanationRows.DefaultExplainers, IntegratedGradientsSteps = 3 };
        var views = ExplanationRows.Explain(classifier, predictions, labels, options);
        Assert.HasCount(texts.Length, views);
        for (int t = 0; t < texts.Length; t++)
        {
            var view = views[t];
            Assert.AreEqual(predictions[t].Tokens.Count, view.Spans.Count);
            Assert.AreEqual(predictions[t].TruncatedTokens, view.TruncatedTokens);
            Assert.AreEqual(labels[t], view.TrueLabel);
            CollectionAssert.AreEqual(new[] { "attention (head mean)", "leave-one-out", "gradient × input", "integrated gradients" },
                view.Explanations!.Select(r => r.Name).ToArray());
            Assert.IsTrue(view.Explanations!.All(r => r.Scores.Count == view.Spans.Count));
            // The attention row is the prediction's own mean weight per token.
            for (int i = 0; i < view.Spans.Count; i++) Assert.AreEqual(predictions[t].Tokens[i].Weight, view.Explanations![0].Scores[i], 1e-5);
        }

        // An explanation of another text does not fit.
        var other = ExplainerComparison.Explain(classifier, [texts[2]], options);
        Assert.ThrowsExactly<ArgumentException>(() => ExplanationRows.From(other[0], predictions[3]));
        Assert.HasCount(4, ExplanationRows.From(other[0], predictions[2]));
    }
}
