using System.Xml.Linq;
using MLNetAttention.Data;
using MLNetAttention.Faithfulness;
using MLNetAttention.Models;
using MLNetAttention.Modules;
using MLNetAttention.Tests.Onnx;
using MLNetAttention.Training;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Faithfulness;

/// <summary>The explainers and the ERASER comparison on small random-weight classifiers of every encoder and pooling.</summary>
[TestClass]
public sealed class ExplainerComparisonTests
{
    private static readonly string[] Poems = BundledSamples.ReadTexts("poetry-dynasty.test").Take(12).Select(e => e.Text).ToArray();

    private static readonly (EncoderKind Encoder, PoolingKind Pooling, int Bigrams)[] Architectures =
    {
        (EncoderKind.Conv, PoolingKind.Attention, 64), (EncoderKind.BiLstm, PoolingKind.MultiHead, 0),
        (EncoderKind.ResConv, PoolingKind.Max, 0), (EncoderKind.None, PoolingKind.Mean, 0),
    };

    private static int[][] Rows(AttentionClassifier classifier, IEnumerable<string> texts) =>
        texts.Select(t => classifier.Tokenizer.EncodeToIds(t, classifier.MaxLength, out _)).ToArray();

    [TestMethod]
    public void IntegratedGradientsInOneStepIsGradientTimesInput()
    {
        foreach (var (encoder, pooling, bigrams) in Architectures)
        {
            using var classifier = OnnxTestModels.Build(encoder, pooling, bigrams);
            var rows = Rows(classifier, Poems.Take(5));
            var targets = new[] { 0, 1, 2, 0, 1 };
            var integrated = ModelRunner.IntegratedGradients(classifier.Network, rows, targets, steps: 1, batchSize: 3);
            var gradient = ModelRunner.GradientTimesInput(classifier.Network, rows, targets, batchSize: 3);
            for (int r = 0; r < rows.Length; r++)
            {
                Assert.AreEqual(rows[r].Length, integrated[r].Length);
                for (int t = 0; t < rows[r].Length; t++)
                    Assert.AreEqual(gradient[r][t], integrated[r][t], 1e-5f, $"{encoder}/{pooling} row {r} token {t}");
            }
            Assert.IsTrue(classifier.Network.parameters().All(p => p.grad is null), "integrated gradients must not leave gradients on the model");
        }
    }

    [TestMethod]
    public void IntegratedGradientsSumToTheLogitChangeFromTheZeroEmbedding()
    {
        // Completeness (Sundararajan et al. 2017): the attributions add up to f(x) − f(baseline), up to the Riemann error.
        foreach (var (encoder, pooling, bigrams) in Architectures)
        {
            using var classifier = OnnxTestModels.Build(encoder, pooling, bigrams);
            var rows = Rows(classifier, Poems.Take(4));
            var targets = new[] { 2, 0, 1, 2 };
            var integrated = ModelRunner.IntegratedGradients(classifier.Network, rows, targets, steps: 300, batchSize: 8);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            for (int r = 0; r < rows.Length; r++)
            {
                var ids = tensor(rows[r].Select(i => (long)i).ToArray(), new long[] { 1, rows[r].Length });
                var mask = Masking.FromIds(ids);
                var x = classifier.Network.Embed(ids);
                float atInput = classifier.Network.FromEmbeddings(x, mask).Logits[0, targets[r]].item<float>();
                float atBaseline = classifier.Network.FromEmbeddings(zeros_like(x), mask).Logits[0, targets[r]].item<float>();
                double expected = atInput - atBaseline, sum = integrated[r].Sum();
                Assert.AreEqual(expected, sum, 0.02 * Math.Abs(expected) + 2e-3, $"{encoder}/{pooling} row {r}");
            }
        }
    }

    [TestMethod]
    public void EveryExplainerOfAMultiHeadModelIsScoredAndMatchesTheSingleExplainerMetric()
    {
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead);
        var options = new ExplainerComparisonOptions { IntegratedGradientsSteps = 4, BatchSize = 5 };
        var texts = Poems.Append("月").ToArray();
        var report = ExplainerComparison.Evaluate(classifier, texts, options);
        Assert.AreEqual(Poems.Length, report.Texts);
        Assert.AreEqual(1, report.SkippedTexts, "a one-token text is skipped");
        Assert.AreEqual(EraseMode.Remove, report.EraseMode, "deletion is the ERASER default");
        CollectionAssert.AreEqual(new[] { "attention (head mean)", "attention head 1", "attention head 2", "attention head 3", "leave-one-out",
            "gradient × input", "integrated gradients", "random" }, report.Explainers.Select(e => e.Explainer).ToArray());
        Assert.AreEqual(8 * 7 / 2, report.RankCorrelations.Count);
        foreach (var row in report.Explainers)
        {
            Assert.IsTrue(row.Comprehensiveness is >= -1 and <= 1 && row.Sufficiency is >= -1 and <= 1, $"{row.Explainer}: {row.Comprehensiveness} {row.Sufficiency}");
            Assert.AreEqual(5, row.Points.Count);
            Assert.AreEqual(row.Points.Average(p => p.Comprehensiveness), row.Comprehensiveness, 1e-12);
        }
        foreach (var pair in report.RankCorrelations)
            Assert.IsTrue(pair.MeanKendallTau is >= -1 and <= 1 && pair.Texts > 0, $"{pair.First} vs {pair.Second}: {pair.MeanKendallTau}");

        // The batched, deduplicated comparison gives what the one-explainer metric gives from the same scores.
        var explained = ExplainerComparison.Explain(classifier, Poems, options);
        var rows = explained.Select(e => e.Ids).ToArray();
        var model = ExplainerComparison.Model(classifier, 7);
        for (int e = 0; e < report.Explainers.Count; e++)
        {
            var alone = EraserMetrics.Score(rows, explained.Select(x => (IReadOnlyList<float>)x.Attributions[e].Scores).ToArray(), model);
            Assert.AreEqual(alone.Comprehensiveness, report.Explainers[e].Comprehensiveness, 1e-6, report.Explainers[e].Explainer);
            Assert.AreEqual(alone.Sufficiency, report.Explainers[e].Sufficiency, 1e-6, report.Explainers[e].Explainer);
        }

        // Leave-one-out is the drop of the predicted class when the token is deleted, and the head mean is the heads' mean.
        var first = explained[0];
        var loo = first.Attributions.Single(a => a.Kind == ExplainerKind.LeaveOneOut).Scores;
        foreach (int t in new[] { 0, first.Ids.Length - 1 })
        {
            var without = ModelRunner.Forward(classifier.Network, new[] { first.Ids.Where((_, i) => i != t).ToArray() }, 4).Probabilities[0];
            Assert.AreEqual(first.Probability - without[first.PredictedClass], loo[t], 1e-5, $"token {t}");
        }
        var heads = first.Attributions.Where(a => a.Kind == ExplainerKind.AttentionHeads).ToArray();
        var mean = first.Attributions.Single(a => a.Kind == ExplainerKind.Attention).Scores;
        for (int t = 0; t < mean.Length; t++) Assert.AreEqual(heads.Average(h => h.Scores[t]), mean[t], 1e-6);
        Assert.AreEqual(classifier.Labels[first.PredictedClass], first.PredictedLabel);

        var back = ExplainerComparisonReport.FromJson(report.ToJson());
        Assert.AreEqual(report.Explainers.Count, back.Explainers.Count);
        Assert.AreEqual(report.Explainers[4].Comprehensiveness, back.Explainers[4].Comprehensiveness);
        StringAssert.Contains(report.ToJson(), "\"eraseMode\": \"Remove\"");
        var markdown = report.ToMarkdown();
        StringAssert.Contains(markdown, "| explainer | comprehensiveness ↑ | sufficiency ↓ |");
        StringAssert.Contains(markdown, "Erased tokens are deleted");
        StringAssert.Contains(markdown, "integrated gradients (4 steps, zero-embedding baseline)");
        StringAssert.Contains(markdown, "Kendall τ-b");

        var svg = XDocument.Parse(ExplainerComparisonPlot.ToSvg(report));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = svg.Descendants(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToArray();
        Assert.AreEqual(2 * report.Explainers.Count, bars.Length, "a comprehensiveness and a sufficiency bar per explainer");
        Assert.IsTrue(svg.Descendants(ns + "text").Any(t => t.Value.Contains("deleted", StringComparison.Ordinal)), "the title names the erase mode");
    }

    [TestMethod]
    public void EveryEncoderAndPoolingIsExplainedAndMeanPoolingLeavesAttentionOut()
    {
        var options = new ExplainerComparisonOptions { IntegratedGradientsSteps = 3, EraseMode = EraseMode.Unknown, RankCorrelations = false };
        foreach (var (encoder, pooling, bigrams) in Architectures)
        {
            using var classifier = OnnxTestModels.Build(encoder, pooling, bigrams);
            var report = ExplainerComparison.Evaluate(classifier, Poems.Take(6), options);
            var kinds = report.Explainers.Select(e => e.Kind).ToArray();
            Assert.AreEqual(pooling != PoolingKind.Mean, kinds.Contains(ExplainerKind.Attention), $"{encoder}/{pooling}");
            Assert.AreEqual(pooling == PoolingKind.MultiHead, kinds.Contains(ExplainerKind.AttentionHeads), $"{encoder}/{pooling}");
            Assert.IsTrue(report.Explainers.All(e => double.IsFinite(e.Comprehensiveness) && double.IsFinite(e.Sufficiency)), $"{encoder}/{pooling}");
            Assert.AreEqual(0, report.RankCorrelations.Count);
            StringAssert.Contains(report.ToMarkdown(), "replaced by the unknown id");
            if (pooling == PoolingKind.Mean) StringAssert.Contains(string.Join(" ", report.Notes), "uniform");
        }
        using var mean = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Mean);
        var error = Assert.ThrowsExactly<ArgumentException>(() =>
            ExplainerComparison.Evaluate(mean, Poems, new ExplainerComparisonOptions { Explainers = new[] { ExplainerKind.Attention } }));
        StringAssert.Contains(error.Message, "uniform");
        Assert.ThrowsExactly<ArgumentException>(() => new ExplainerComparisonOptions { IntegratedGradientsSteps = 0 }.Validate());
    }
}
