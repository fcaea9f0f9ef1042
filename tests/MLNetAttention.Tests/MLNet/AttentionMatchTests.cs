using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Models;
using MLNetAttention.MLNet;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Tests.Onnx;

namespace MLNetAttention.Tests.MLNet;

public sealed class PairRow
{
    public string Text1 { get; set; } = "";
    public string Text2 { get; set; } = "";
}

public sealed class LabelledPairRow
{
    public string Text1 { get; set; } = "";
    public string Text2 { get; set; } = "";
    public string Label { get; set; } = "";
}

public sealed class ScoredPairRow
{
    public string[] Tokens1 { get; set; } = [];
    public int[] TokenOffsets1 { get; set; } = [];
    public float[] AttentionWeights1 { get; set; } = [];
    public string[] Tokens2 { get; set; } = [];
    public int[] TokenOffsets2 { get; set; } = [];
    public float[] AttentionWeights2 { get; set; } = [];
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
    public string PredictedText { get; set; } = "";
}

public sealed class ScoredCrossPairRow
{
    public string[] Tokens1 { get; set; } = [];
    public float[] AttentionWeights1 { get; set; } = [];
    public string[] Tokens2 { get; set; } = [];
    public float[] AttentionWeights2 { get; set; } = [];
    public float[] Alignment { get; set; } = [];
    public float[] Score { get; set; } = [];
}

[TestClass]
public sealed class AttentionMatchTests
{
    private const float Tolerance = 1e-5f;

    private static string WorkDirectory = "";
    private static AttentionMatcher CharMatcher = null!;
    private static AttentionMatcher MixedMatcher = null!;
    private static string CharPath = "";
    private static string MixedPath = "";
    private static string ClassifierPath = "";
    private static AttentionMatcher CrossMatcher = null!;
    private static string CrossPath = "";

    [ClassInitialize]
    public static void BuildModels(TestContext context)
    {
        WorkDirectory = OnnxTestModels.TempDirectory();
        CharMatcher = OnnxTestModels.BuildMatcher(MatcherKind.Interactive, EncoderKind.Conv);
        MixedMatcher = OnnxTestModels.BuildMatcher(MatcherKind.Siamese, EncoderKind.Conv, mode: TokenizationMode.Mixed);
        CharPath = Path.Combine(WorkDirectory, "char-matcher.onnx");
        MixedPath = Path.Combine(WorkDirectory, "mixed-matcher.onnx");
        OnnxExporter.Export(CharMatcher, CharPath);
        OnnxExporter.Export(MixedMatcher, MixedPath);
        CrossMatcher = OnnxTestModels.BuildMatcher(MatcherKind.Cross, EncoderKind.ResConv, mode: TokenizationMode.Mixed);
        CrossPath = Path.Combine(WorkDirectory, "cross-matcher.onnx");
        OnnxExporter.Export(CrossMatcher, CrossPath);
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        ClassifierPath = Path.Combine(WorkDirectory, "classifier.onnx");
        OnnxExporter.Export(classifier, ClassifierPath);
    }

    [ClassCleanup]
    public static void Dispose()
    {
        CharMatcher.Dispose();
        MixedMatcher.Dispose();
        CrossMatcher.Dispose();
    }

    private static (string Text1, string Text2)[] MixedPairs =>
        [.. OnnxTestModels.Pairs, ("Hello WORLD, unknownwordxyz 月 Ünïcödé!", "hello world")];

    // The reference matchers refuse an empty text; the pipeline scores it as one unknown token, as AttentionPool does.
    private static (string Text1, string Text2)[] WithEmpty => [.. MixedPairs, ("", "月"), ("  ", "")];

    private static List<ScoredPairRow> Score(MLContext ml, ITransformer model, IEnumerable<(string Text1, string Text2)> pairs)
    {
        var data = ml.Data.LoadFromEnumerable(pairs.Select(p => new PairRow { Text1 = p.Text1, Text2 = p.Text2 }));
        var scored = model.Transform(data);
        scored = ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(scored).Transform(scored);
        return ml.Data.CreateEnumerable<ScoredPairRow>(scored, reuseRowObject: false).ToList();
    }

    private static void AssertMatches(IReadOnlyList<MatchPrediction> expected, IReadOnlyList<ScoredPairRow> actual)
    {
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.HasCount(2, a.Score, $"pair {i}");
            Assert.AreEqual(e.Probability, a.Score[1], Tolerance, $"pair {i} match probability");
            Assert.AreEqual(1f - e.Probability, a.Score[0], Tolerance, $"pair {i} no-match probability");
            // PredictedLabel: the larger slot, "0" on a tie; MatchPrediction.Label is "1" from 0.5 up. They agree off ties.
            if (Math.Abs(e.Probability - 0.5f) > Tolerance)
                Assert.AreEqual(e.Label, a.PredictedText, $"pair {i} label");
            Assert.AreEqual(a.PredictedText == "1" ? 2u : 1u, a.PredictedLabel, $"pair {i} key");
            AssertSide(e.Tokens1, a.Tokens1, a.TokenOffsets1, a.AttentionWeights1, $"pair {i} text 1");
            AssertSide(e.Tokens2, a.Tokens2, a.TokenOffsets2, a.AttentionWeights2, $"pair {i} text 2");
        }
    }

    private static void AssertSide(IReadOnlyList<TokenWeight> expected, string[] tokens, int[] offsets, float[] weights, string what)
    {
        CollectionAssert.AreEqual(expected.Select(t => t.Token).ToArray(), tokens, $"{what} tokens");
        CollectionAssert.AreEqual(expected.SelectMany(t => new[] { t.Offset, t.Length }).ToArray(), offsets, $"{what} offsets");
        // An empty text has no tokens but one weight (the placeholder's), as in AttentionPool.
        if (expected.Count > 0)
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected.Select(t => t.Weights[0]).ToArray(), weights), $"{what} weights");
    }

    [TestMethod]
    public void OutputsEqualPredictAndTheOnnxMatcherOnRealPairs()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.AttentionMatch(CharPath).Fit(ml.Data.LoadFromEnumerable(new[] { new PairRow() }));
        CollectionAssert.AreEqual(new[] { "0", "1" }, model.Labels.ToArray());
        var expected = CharMatcher.Predict(OnnxTestModels.Pairs);
        Assert.IsTrue(expected.Any(p => p.TruncatedTokens1 > 0) && expected.Any(p => p.TruncatedTokens2 > 0), "both sides should hold a truncated text");
        var actual = Score(ml, model, OnnxTestModels.Pairs);
        AssertMatches(expected, actual);
        using var onnx = AttentionOnnxMatcher.Load(CharPath);
        AssertMatches(onnx.Predict(OnnxTestModels.Pairs), actual);
    }

    [TestMethod]
    public void AMixedModelWithUnknownWordsMatchesAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(WithEmpty.Select(p => new PairRow { Text1 = p.Text1, Text2 = p.Text2 }));
        using var stream = File.OpenRead(MixedPath);
        var model = ml.Transforms.AttentionMatch(stream).Fit(data);
        var expected = MixedMatcher.Predict(MixedPairs);
        Assert.IsTrue(expected.Any(p => p.Tokens1.Any(t => t.Id == AttentionTokenizer.UnknownId)), "some token should be unknown");
        var before = Score(ml, model, WithEmpty);
        AssertMatches(expected, before.Take(MixedPairs.Length).ToList());
        foreach (var empty in before.Skip(MixedPairs.Length))
        {
            Assert.IsEmpty(empty.Tokens1);
            Assert.IsEmpty(empty.TokenOffsets1);
            CollectionAssert.AreEqual(new[] { 1f }, empty.AttentionWeights1);
            Assert.IsTrue(empty.Score.All(float.IsFinite));
        }
        Assert.IsEmpty(before[^1].Tokens2);

        string path = Path.Combine(WorkDirectory, "matcher.zip");
        ml.Model.Save(model, data.Schema, path);
        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        // Model.Load: bit for bit the chain (one pair per call); LoadAttentionPool: bit for bit the batched Transform.
        foreach (var (loaded, reference) in new[] { (fresh.Model.Load(path, out _), Score(ml, model.Chain, WithEmpty)), (fresh.Model.LoadAttentionPool(path, out _), before) })
        {
            var after = Score(fresh, loaded, WithEmpty);
            for (int i = 0; i < reference.Count; i++)
            {
                CollectionAssert.AreEqual(reference[i].Score, after[i].Score);
                CollectionAssert.AreEqual(reference[i].AttentionWeights1, after[i].AttentionWeights1);
                CollectionAssert.AreEqual(reference[i].AttentionWeights2, after[i].AttentionWeights2);
                CollectionAssert.AreEqual(reference[i].Tokens1, after[i].Tokens1);
                CollectionAssert.AreEqual(reference[i].Tokens2, after[i].Tokens2);
                CollectionAssert.AreEqual(reference[i].TokenOffsets1, after[i].TokenOffsets1);
                CollectionAssert.AreEqual(reference[i].TokenOffsets2, after[i].TokenOffsets2);
                Assert.AreEqual(reference[i].PredictedText, after[i].PredictedText);
            }
        }
        var chain = AttentionPoolModelLoader.Load(fresh.Model, path, out _, new AttentionPoolOptions(), out int replaced);
        Assert.AreEqual(1, replaced, "LoadAttentionPool should re-create the matcher's ONNX step");
        Assert.HasCount(before.Count, Score(fresh, chain, WithEmpty));
    }

    private static List<ScoredCrossPairRow> ScoreCross(MLContext ml, ITransformer model, IEnumerable<(string Text1, string Text2)> pairs) =>
        ml.Data.CreateEnumerable<ScoredCrossPairRow>(
            model.Transform(ml.Data.LoadFromEnumerable(pairs.Select(p => new PairRow { Text1 = p.Text1, Text2 = p.Text2 }))), reuseRowObject: false).ToList();

    [TestMethod]
    public void ACrossMatcherAddsTheAlignmentAndItSurvivesSaveAndLoad()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(WithEmpty.Select(p => new PairRow { Text1 = p.Text1, Text2 = p.Text2 }));
        var model = ml.Transforms.AttentionMatch(CrossPath).Fit(data);
        Assert.IsTrue(model.Info.HasAlignment);
        var column = model.GetOutputSchema(data.Schema)[AttentionMatchColumns.Alignment];
        Assert.IsInstanceOfType<VectorDataViewType>(column.Type);
        Assert.AreEqual(NumberDataViewType.Single, ((VectorDataViewType)column.Type).ItemType);

        var expected = CrossMatcher.Predict(MixedPairs);
        using var onnx = AttentionOnnxMatcher.Load(CrossPath);
        var viaOnnx = onnx.Predict(MixedPairs);
        var before = ScoreCross(ml, model, WithEmpty);
        Assert.IsTrue(expected.Any(p => p.TruncatedTokens1 > 0), "a truncated text should be scored");
        for (int i = 0; i < MixedPairs.Length; i++)
        {
            var alignment = expected[i].Alignment!;
            Assert.AreEqual(expected[i].Probability, before[i].Score[1], Tolerance, $"pair {i} match probability");
            Assert.HasCount(alignment.Length, before[i].Alignment, $"pair {i}: alignment is T1 x T2 of the scored tokens");
            Assert.AreEqual(before[i].Tokens1.Length * before[i].Tokens2.Length, before[i].Alignment.Length, $"pair {i}");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(alignment.Cast<float>().ToArray(), before[i].Alignment), $"pair {i} alignment");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(viaOnnx[i].Alignment!.Cast<float>().ToArray(), before[i].Alignment), $"pair {i} alignment (ONNX matcher)");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected[i].Tokens1.Select(t => t.Weight).ToArray(), before[i].AttentionWeights1), $"pair {i} weights 1");
        }
        // An empty text is one unknown token: its row (or column) is there, as its weight is.
        foreach (var empty in before.Skip(MixedPairs.Length))
        {
            Assert.HasCount(empty.AttentionWeights1.Length * empty.AttentionWeights2.Length, empty.Alignment);
            for (int r = 0; r < empty.AttentionWeights1.Length; r++)
                Assert.AreEqual(1f, empty.Alignment.AsSpan(r * empty.AttentionWeights2.Length, empty.AttentionWeights2.Length).ToArray().Sum(), 1e-5f);
        }

        string path = Path.Combine(WorkDirectory, "cross-matcher.zip");
        ml.Model.Save(model, data.Schema, path);
        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        // A plain Load gives the chain (one pair per ONNX Runtime call) and equals it bit for bit; LoadAttentionPool batches as
        // the fitted transformer does and equals it bit for bit. The two paths agree within float rounding.
        var rowByRow = ScoreCross(ml, model.Chain, WithEmpty);
        foreach (var (loaded, reference) in new[] { (fresh.Model.Load(path, out _), rowByRow), (fresh.Model.LoadAttentionPool(path, out _), before) })
        {
            var after = ScoreCross(fresh, loaded, WithEmpty);
            Assert.HasCount(reference.Count, after);
            for (int i = 0; i < reference.Count; i++)
            {
                CollectionAssert.AreEqual(reference[i].Alignment, after[i].Alignment, $"pair {i} alignment after loading");
                CollectionAssert.AreEqual(reference[i].Score, after[i].Score);
                CollectionAssert.AreEqual(reference[i].AttentionWeights1, after[i].AttentionWeights1);
                CollectionAssert.AreEqual(reference[i].AttentionWeights2, after[i].AttentionWeights2);
                CollectionAssert.AreEqual(reference[i].Tokens1, after[i].Tokens1);
                CollectionAssert.AreEqual(reference[i].Tokens2, after[i].Tokens2);
            }
        }
        for (int i = 0; i < before.Count; i++)
        {
            Assert.IsLessThanOrEqualTo(1e-6f, OnnxTestModels.MaxAbsDiff(rowByRow[i].Alignment, before[i].Alignment), $"pair {i}: batched vs one pair per call");
            Assert.IsLessThanOrEqualTo(1e-6f, OnnxTestModels.MaxAbsDiff(rowByRow[i].Score, before[i].Score), $"pair {i}: batched vs one pair per call");
        }
    }

    [TestMethod]
    public void OtherMatchersHaveNoAlignmentColumn()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PairRow { Text1 = "月", Text2 = "春风" } });
        var model = ml.Transforms.AttentionMatch(CharPath).Fit(data);
        Assert.IsFalse(model.Info.HasAlignment);
        Assert.IsNull(model.GetOutputSchema(data.Schema).GetColumnOrNull(AttentionMatchColumns.Alignment));
    }

    [TestMethod]
    public void MulticlassEvaluateWorksWithAKeyLabelOverZeroAndOne()
    {
        var ml = new MLContext(1);
        var rows = OnnxTestModels.Pairs.Select((p, i) => new LabelledPairRow { Text1 = p.Text1, Text2 = p.Text2, Label = i % 2 == 0 ? "1" : "0" }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var labels = ml.Data.LoadFromEnumerable(AttentionMatcher.Labels.Select(l => new TextRow { Text = l }));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", keyData: labels)
            .Append(ml.Transforms.AttentionMatch(CharPath, "Text1", "Text2")).Fit(data);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data), labelColumnName: "Label");

        var expected = CharMatcher.Predict(rows.Select(r => (r.Text1, r.Text2)));
        double accuracy = expected.Select((p, i) => (p.Probability > 0.5f ? "1" : "0") == rows[i].Label ? 1.0 : 0.0).Average();
        Assert.AreEqual(accuracy, metrics.MicroAccuracy, 1e-9);
        Assert.AreEqual(2, metrics.ConfusionMatrix.NumberOfClasses);
    }

    [TestMethod]
    public void SchemaErrorsNameTheColumn()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PairRow { Text1 = "月", Text2 = "春风" } });
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.AttentionMatch(CharPath, "Text1", "Question2").Fit(data));
        StringAssert.Contains(missing.Message, "Could not find input column 'Question2'");

        var numbers = ml.Data.LoadFromEnumerable(new[] { new NumberPairRow { Text1 = "月", Text2 = 1f } });
        var mismatch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.AttentionMatch(CharPath).Fit(numbers));
        StringAssert.Contains(mismatch.Message, "Schema mismatch for input column 'Text2': expected String, got Single");

        var model = ml.Transforms.AttentionMatch(CharPath).Fit(data);
        var atTransform = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(numbers));
        StringAssert.Contains(atTransform.Message, "input column 'Text2': expected String, got Single");
    }

    [TestMethod]
    public void EachMethodRefusesTheOtherKindAndNamesTheRightMethod()
    {
        var ml = new MLContext(1);
        var pool = Assert.ThrowsExactly<ModelLoadException>(() => ml.Transforms.AttentionPool(CharPath));
        StringAssert.Contains(pool.Message, "'matcher'");
        StringAssert.Contains(pool.Message, "AttentionMatch");
        var match = Assert.ThrowsExactly<ModelLoadException>(() => ml.Transforms.AttentionMatch(ClassifierPath));
        StringAssert.Contains(match.Message, "'classifier'");
        StringAssert.Contains(match.Message, "AttentionPool");
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Transforms.AttentionMatch(Path.Combine(WorkDirectory, "absent.onnx")));
    }
}

public sealed class NumberPairRow
{
    public string Text1 { get; set; } = "";
    public float Text2 { get; set; }
}
