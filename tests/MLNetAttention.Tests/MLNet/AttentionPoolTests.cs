using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Models;
using MLNetAttention.MLNet;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Tests.Onnx;

namespace MLNetAttention.Tests.MLNet;

public sealed class TextRow
{
    public string Text { get; set; } = "";
}

public sealed class LabelledRow
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

public sealed class ScoredRow
{
    public string[] Tokens { get; set; } = [];
    public int[] TokenOffsets { get; set; } = [];
    public float[] AttentionWeights { get; set; } = [];
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
    public string PredictedText { get; set; } = "";
}

[TestClass]
public sealed class AttentionPoolTests
{
    private const float Tolerance = 1e-5f;

    private static string WorkDirectory = "";
    private static AttentionClassifier CharClassifier = null!;
    private static AttentionClassifier MixedMultiHeadClassifier = null!;
    private static string CharPath = "";
    private static string MixedPath = "";

    [ClassInitialize]
    public static void BuildModels(TestContext context)
    {
        WorkDirectory = OnnxTestModels.TempDirectory();
        CharClassifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        MixedMultiHeadClassifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead, mode: TokenizationMode.Mixed);
        CharPath = Path.Combine(WorkDirectory, "char.onnx");
        MixedPath = Path.Combine(WorkDirectory, "mixed.onnx");
        OnnxExporter.Export(CharClassifier, CharPath);
        OnnxExporter.Export(MixedMultiHeadClassifier, MixedPath);
    }

    [ClassCleanup]
    public static void Dispose()
    {
        CharClassifier.Dispose();
        MixedMultiHeadClassifier.Dispose();
    }

    internal static List<ScoredRow> Score(MLContext ml, ITransformer model, IEnumerable<string> texts)
    {
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        var scored = ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(model.Transform(data)).Transform(model.Transform(data));
        return ml.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToList();
    }

    internal static void AssertMatches(IReadOnlyList<ClassPrediction> expected, IReadOnlyList<ScoredRow> actual)
    {
        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.AreEqual(e.Label, a.PredictedText, $"text {i}");
            Assert.AreEqual((uint)e.LabelIndex + 1, a.PredictedLabel, $"text {i}");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(e.Probabilities, a.Score), $"text {i} probabilities");
            CollectionAssert.AreEqual(e.Tokens.Select(t => t.Token).ToArray(), a.Tokens, $"text {i} tokens");
            CollectionAssert.AreEqual(e.Tokens.SelectMany(t => new[] { t.Offset, t.Length }).ToArray(), a.TokenOffsets, $"text {i} offsets");
            // Head-major: all tokens of head 0, then of head 1, ...
            var weights = Enumerable.Range(0, e.Heads).SelectMany(h => e.Tokens.Select(t => t.Weights[h])).ToArray();
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(weights, a.AttentionWeights), $"text {i} weights");
        }
    }

    private static string[] MixedTexts => [.. OnnxTestModels.Texts, "Hello WORLD, unknownwordxyz 月 Ünïcödé!"];

    [TestMethod]
    public void OutputsEqualPredictForACharModel()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.AttentionPool(CharPath).Fit(ml.Data.LoadFromEnumerable(new[] { new TextRow() }));
        Assert.AreEqual(1, model.Heads);
        CollectionAssert.AreEqual(CharClassifier.Labels.ToArray(), model.Labels.ToArray());
        AssertMatches(CharClassifier.Predict(OnnxTestModels.Texts), Score(ml, model, OnnxTestModels.Texts));
    }

    [TestMethod]
    public void OutputsEqualPredictForAMixedMultiHeadModelWithUnknownWords()
    {
        var ml = new MLContext(1);
        using var stream = File.OpenRead(MixedPath);
        var model = ml.Transforms.AttentionPool(stream).Fit(ml.Data.LoadFromEnumerable(new[] { new TextRow() }));
        Assert.AreEqual(3, model.Heads);
        var expected = MixedMultiHeadClassifier.Predict(MixedTexts);
        Assert.IsTrue(expected.Any(p => p.Tokens.Any(t => t.Id == AttentionTokenizer.UnknownId)), "some token should be unknown");
        Assert.IsTrue(expected.Any(p => p.TruncatedTokens > 0), "some text should be truncated");
        AssertMatches(expected, Score(ml, model, MixedTexts));
        using var onnx = AttentionOnnxModel.Load(MixedPath);
        AssertMatches(onnx.Predict(MixedTexts), Score(ml, model, MixedTexts));
    }

    [TestMethod]
    public void SavedModelLoadsIntoAFreshContextWithIdenticalOutputs()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(MixedTexts.Select(t => new TextRow { Text = t }));
        var model = ml.Transforms.AttentionPool(MixedPath).Fit(data);
        string path = Path.Combine(WorkDirectory, "pipeline.zip");
        ml.Model.Save(model, data.Schema, path);

        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        var loaded = fresh.Model.Load(path, out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("Text"));
        // A plain Load gives the saved chain, one row per ONNX Runtime call: bit for bit the fitted transformer's Chain.
        var before = Score(ml, model.Chain, MixedTexts);
        var after = Score(fresh, loaded, MixedTexts);
        for (int i = 0; i < before.Count; i++)
        {
            CollectionAssert.AreEqual(before[i].Score, after[i].Score);
            CollectionAssert.AreEqual(before[i].AttentionWeights, after[i].AttentionWeights);
            CollectionAssert.AreEqual(before[i].Tokens, after[i].Tokens);
            CollectionAssert.AreEqual(before[i].TokenOffsets, after[i].TokenOffsets);
            Assert.AreEqual(before[i].PredictedText, after[i].PredictedText);
        }

        // LoadAttentionPool re-creates the ONNX step with the options' threads and batches it: bit for bit the fitted
        // transformer's Transform, in a nested chain too.
        before = Score(ml, model, MixedTexts);
        var pipeline = fresh.Transforms.CopyColumns("Copy", "Text").Append(fresh.Transforms.AttentionPool(MixedPath)).Fit(data);
        string nested = Path.Combine(WorkDirectory, "nested.zip");
        fresh.Model.Save(pipeline, data.Schema, nested);
        var third = new MLContext(3);
        third.ComponentCatalog.RegisterAttentionPool();
        foreach (var reloaded in new[] { third.Model.LoadAttentionPool(path, out _), third.Model.LoadAttentionPool(nested, out _) })
        {
            var again = Score(third, reloaded, MixedTexts);
            for (int i = 0; i < before.Count; i++)
            {
                CollectionAssert.AreEqual(before[i].Score, again[i].Score);
                CollectionAssert.AreEqual(before[i].AttentionWeights, again[i].AttentionWeights);
                CollectionAssert.AreEqual(before[i].Tokens, again[i].Tokens);
            }
        }
        var chain = (TransformerChain<ITransformer>)AttentionPoolModelLoader.Load(third.Model, nested, out _, new AttentionPoolOptions(), out int replaced);
        Assert.AreEqual(1, replaced);
        string resaved = Path.Combine(WorkDirectory, "resaved.zip");
        third.Model.Save(chain, data.Schema, resaved);
        Assert.HasCount(before.Count, Score(third, third.Model.Load(resaved, out _), MixedTexts));
    }

    [TestMethod]
    public void EvaluateAndPredictionEngineWork()
    {
        var ml = new MLContext(1);
        var rows = OnnxTestModels.Texts.Select((t, i) => new LabelledRow { Text = t, Label = CharClassifier.Labels[i % 3] }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var labels = ml.Data.LoadFromEnumerable(CharClassifier.Labels.Select(l => new TextRow { Text = l }));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyData: labels)
            .Append(ml.Transforms.AttentionPool(CharPath, "Text"));
        var model = pipeline.Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label");

        var expected = CharClassifier.Predict(rows.Select(r => r.Text));
        double accuracy = expected.Select((p, i) => p.Label == rows[i].Label ? 1.0 : 0.0).Average();
        Assert.AreEqual(accuracy, metrics.MicroAccuracy, 1e-9);
        Assert.AreEqual(3, metrics.ConfusionMatrix.NumberOfClasses);

        var engine = ml.Model.CreatePredictionEngine<TextRow, ScoredRow>(ml.Transforms.AttentionPool(CharPath).Fit(data));
        var one = engine.Predict(new TextRow { Text = OnnxTestModels.Texts[2] });
        var reference = CharClassifier.Predict(OnnxTestModels.Texts[2]);
        Assert.AreEqual((uint)reference.LabelIndex + 1, one.PredictedLabel);
        Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(reference.Probabilities, one.Score));
        Assert.HasCount(reference.Tokens.Count, one.AttentionWeights);
    }

    [TestMethod]
    public void EmptyTextIsScoredAsOneUnknownTokenWithoutTokens()
    {
        var ml = new MLContext(1);
        var model = ml.Transforms.AttentionPool(MixedPath).Fit(ml.Data.LoadFromEnumerable(new[] { new TextRow() }));
        var rows = Score(ml, model, ["", "   ", "\u0001", "月"]);
        var unknownAlone = MixedMultiHeadClassifier.Predict("\u0001");
        Assert.AreEqual(AttentionTokenizer.UnknownId, unknownAlone.Tokens.Single().Id);
        foreach (var row in rows.Take(2))
        {
            Assert.IsEmpty(row.Tokens);
            Assert.IsEmpty(row.TokenOffsets);
            CollectionAssert.AreEqual(new[] { 1f, 1f, 1f }, row.AttentionWeights);
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(unknownAlone.Probabilities, row.Score));
            Assert.IsTrue(row.Score.All(float.IsFinite));
            Assert.AreEqual(unknownAlone.Label, row.PredictedText);
        }
        Assert.HasCount(1, rows[3].Tokens);
        Assert.HasCount(3, rows[3].AttentionWeights);
    }

    [TestMethod]
    public void SchemaErrorsNameTheColumn()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "月" } });
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.AttentionPool(CharPath, "Review").Fit(data));
        StringAssert.Contains(missing.Message, "Could not find input column 'Review'");

        var numbers = ml.Data.LoadFromEnumerable(new[] { new NumberRow { Text = 1f } });
        var mismatch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.AttentionPool(CharPath).Fit(numbers));
        StringAssert.Contains(mismatch.Message, "Schema mismatch for input column 'Text': expected String, got Single");

        var model = ml.Transforms.AttentionPool(CharPath).Fit(data);
        var atTransform = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(numbers));
        StringAssert.Contains(atTransform.Message, "expected String, got Single");
    }

    [TestMethod]
    public void AFileThatIsNotAnMLNetAttentionModelIsRejected()
    {
        var ml = new MLContext(1);
        string garbage = Path.Combine(WorkDirectory, "garbage.onnx");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8]);
        var e = Assert.ThrowsExactly<ModelLoadException>(() => ml.Transforms.AttentionPool(garbage));
        StringAssert.Contains(e.Message, "garbage.onnx");
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.Transforms.AttentionPool(Path.Combine(WorkDirectory, "absent.onnx")));
    }

    [TestMethod]
    public void AGpuRequestFallsBackToTheCpuWithoutCuda()
    {
        Assert.IsNull(ExecutionProvider.Resolve(0, fallbackToCpu: true, _ => false));
        Assert.AreEqual(1, ExecutionProvider.Resolve(1, fallbackToCpu: false, _ => true));
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => ExecutionProvider.Resolve(0, fallbackToCpu: false, _ => false));
        StringAssert.Contains(error.Message, "Microsoft.ML.OnnxRuntime.Gpu");

        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "月" } });
        Assert.IsFalse(ExecutionProvider.IsCudaAvailable(), "this machine has no CUDA libraries");
        var model = ml.Transforms.AttentionPool(CharPath, options: new AttentionPoolOptions { GpuDeviceId = 0 }).Fit(data);
        Assert.IsNull(model.GpuDeviceId);
        AssertMatches(CharClassifier.Predict(["月"]), Score(ml, model, ["月"]));
        Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.Transforms.AttentionPool(CharPath, options: new AttentionPoolOptions { GpuDeviceId = 0, FallbackToCpu = false }).Fit(data));
    }
}

public sealed class NumberRow
{
    public float Text { get; set; }
}

[TestClass]
public sealed class AttentionPoolingTrainerTests
{
    [TestMethod]
    public void FitTrainsOnTheBundledSampleAndScoresAboveChance()
    {
        var ml = new MLContext(1);
        var train = ml.Data.LoadFromEnumerable(MLNetAttention.Data.BundledSamples.ReadTexts("poetry-dynasty.train")
            .Select(e => new LabelledRow { Text = e.Text, Label = e.Label }));
        var test = ml.Data.LoadFromEnumerable(MLNetAttention.Data.BundledSamples.ReadTexts("poetry-dynasty.test").Take(500)
            .Select(e => new LabelledRow { Text = e.Text, Label = e.Label }));
        string path = Path.Combine(OnnxTestModels.TempDirectory(), "trained.onnx");
        var options = new AttentionPoolingTrainerOptions { ModelPath = path };
        options.Classifier.Training.Epochs = 4;
        options.Classifier.Training.Threads = 1;
        options.Classifier.Model.EmbeddingDim = 64;
        options.Classifier.Model.EncoderDim = 64;
        options.Classifier.Model.DenseDim = 64;

        // The label as a key with the model's label order (ordinal), so that Evaluate compares like with like;
        // appending the trainer to the chain also runs its GetOutputSchema.
        var labels = ml.Data.LoadFromEnumerable(new[] { "song", "tang" }.Select(l => new TextRow { Text = l }));
        var trainer = ml.MulticlassClassification.Trainers.AttentionPooling("Label", "Text", options);
        var model = ml.Transforms.Conversion.MapValueToKey("Label", keyData: labels).Append(trainer).Fit(train);
        Assert.IsTrue(File.Exists(path));
        CollectionAssert.AreEqual(new[] { "song", "tang" }, model.LastTransformer.Labels.ToArray());
        Assert.IsNotNull(trainer.LastTrainingSummary);

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test), "Label");
        Assert.IsGreaterThan(0.6, metrics.MicroAccuracy, $"accuracy {metrics.MicroAccuracy}");
    }

    [TestMethod]
    public void FitRejectsMissingAndMistypedColumns()
    {
        var ml = new MLContext(1);
        var texts = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "月" } });
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.AttentionPooling().Fit(texts));
        StringAssert.Contains(missing.Message, "Could not find input column 'Label'");
        var numbers = ml.Data.LoadFromEnumerable(new[] { new NumberLabelRow { Text = "月", Label = 1f } });
        var mismatch = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.AttentionPooling().Fit(numbers));
        StringAssert.Contains(mismatch.Message, "Schema mismatch for input column 'Label': expected String or Key, got Single");
        var noText = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.AttentionPooling(textColumnName: "Body").Fit(numbers));
        StringAssert.Contains(noText.Message, "Could not find input column 'Body'");
    }
}

public sealed class NumberLabelRow
{
    public string Text { get; set; } = "";
    public float Label { get; set; }
}
