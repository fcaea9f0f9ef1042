using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Onnx;

[TestClass]
public sealed class OnnxExporterTests
{
    private const float Tolerance = 1e-5f;

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Architectures() =>
        from encoder in Enum.GetValues<EncoderKind>()
        from pooling in Enum.GetValues<PoolingKind>()
        select new object[] { encoder, pooling, 0 };

    public static IEnumerable<object[]> BigramArchitectures() =>
    [
        [EncoderKind.Conv, PoolingKind.Attention, 97],
        [EncoderKind.BiLstm, PoolingKind.MultiHead, 31],
        [EncoderKind.ResConv, PoolingKind.Max, 53],
    ];

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    [DynamicData(nameof(BigramArchitectures))]
    public void OnnxRuntimeMatchesTorchSharpOnPaddedRealText(EncoderKind encoder, PoolingKind pooling, int bigrams)
    {
        using var classifier = Build(encoder, pooling, bigrams);
        byte[] bytes = OnnxExporter.ExportToBytes(classifier);
        using var session = new InferenceSession(bytes);
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        Assert.IsTrue(Enumerable.Range(0, ids.GetLength(0)).Any(r => ids[r, 1] == 0), "the batch should have a one-token text");
        Assert.AreEqual(MaxLength, ids.GetLength(1), "the batch should hold a text truncated to the maximum length");

        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, shape) = RunOnnx(session, ids);

        int[] expectedShape = pooling == PoolingKind.MultiHead ? [ids.GetLength(0), 3, ids.GetLength(1)] : [ids.GetLength(0), ids.GetLength(1)];
        CollectionAssert.AreEqual(expectedShape, shape);
        float probabilityDiff = MaxAbsDiff(torchProbabilities, onnxProbabilities);
        float weightDiff = MaxAbsDiff(torchWeights, onnxWeights);
        TestContext.WriteLine($"{encoder}/{pooling}/bigrams={bigrams}: max |diff| probabilities {probabilityDiff:E2}, weights {weightDiff:E2}");
        Assert.IsLessThanOrEqualTo(Tolerance, probabilityDiff, "probabilities differ");
        Assert.IsLessThanOrEqualTo(Tolerance, weightDiff, "attention weights differ");
    }

    [TestMethod]
    [DataRow(EncoderKind.None, 0)]
    [DataRow(EncoderKind.Conv, 31)]
    public void MultiHeadPoolingWithSeparateHeadKeysExportsToo(EncoderKind encoder, int bigrams)
    {
        using var classifier = Build(encoder, PoolingKind.MultiHead, bigrams, separateHeadKeys: true);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, shape) = RunOnnx(session, ids);
        CollectionAssert.AreEqual(new[] { ids.GetLength(0), 3, ids.GetLength(1) }, shape);
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchProbabilities, onnxProbabilities), "probabilities differ");
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchWeights, onnxWeights), "attention weights differ");
        // The heads really have their own projections: the shared layout would have a hidden-wide k_dense.
        var keys = classifier.Network.named_parameters().Single(p => p.name == "pooling.k_dense.weight").parameter;
        Assert.AreEqual(3L * classifier.Network.Options.AttentionHiddenDim, keys.shape[0]);
    }

    [TestMethod]
    [DataRow(EncoderKind.None, 4, 31, 10)]
    [DataRow(EncoderKind.Conv, 3, 0, 10)]
    [DataRow(EncoderKind.Conv, 4, 0, 0)]
    public void SlicedHeadsExportToo(EncoderKind encoder, int heads, int bigrams, int denseDim)
    {
        using var classifier = Build(encoder, PoolingKind.MultiHead, bigrams, denseDim: denseDim, heads: heads, slicedHeads: true);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, shape) = RunOnnx(session, ids);
        CollectionAssert.AreEqual(new[] { ids.GetLength(0), heads, ids.GetLength(1) }, shape);
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchProbabilities, onnxProbabilities), "probabilities differ");
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchWeights, onnxWeights), "attention weights differ");
        // The read-out sees one vector of the pooled width, not one per head.
        var options = classifier.Network.Options;
        string reader = denseDim > 0 ? "dense.weight" : "output.weight";
        var readOut = classifier.Network.named_parameters().Single(p => p.name == reader).parameter;
        Assert.AreEqual((long)options.PooledInputDim, readOut.shape[1]);
    }

    [TestMethod]
    [DataRow(EncoderKind.None, PoolingKind.Attention, 97)]
    [DataRow(EncoderKind.Conv, PoolingKind.MultiHead, 0)]
    public void ALinearReadOutWithoutTheDenseLayerExportsToo(EncoderKind encoder, PoolingKind pooling, int bigrams)
    {
        using var classifier = Build(encoder, pooling, bigrams, denseDim: 0);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        var ids = PaddedIds(classifier.Tokenizer, Texts);

        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, _) = RunOnnx(session, ids);

        Assert.IsFalse(classifier.Network.named_parameters().Any(p => p.name.StartsWith("dense.", StringComparison.Ordinal)), "no dense layer");
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchProbabilities, onnxProbabilities), "probabilities differ");
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchWeights, onnxWeights), "attention weights differ");
    }

    [TestMethod]
    public void TheBigramHashStrideIsPartOfTheExportedGraph()
    {
        using var legacy = Build(EncoderKind.Conv, PoolingKind.Attention, bigrams: 97, bigramHashStride: TextClassifierOptions.LegacyBigramHashStride);
        using var strided = Build(EncoderKind.Conv, PoolingKind.Attention, bigrams: 97, bigramHashStride: 1_009);
        var ids = PaddedIds(strided.Tokenizer, Texts);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(strided));

        var (torchProbabilities, _) = RunTorch(strided, ids);
        var (onnxProbabilities, _, _) = RunOnnx(session, ids);
        var (legacyProbabilities, _) = RunTorch(legacy, ids);

        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchProbabilities, onnxProbabilities), "the graph hashes as the network does");
        Assert.IsGreaterThan(1e-4f, MaxAbsDiff(torchProbabilities, legacyProbabilities), "same weights, another stride: other buckets, other scores");
    }

    [TestMethod]
    public void ATextScoresTheSameAloneAndPaddedInOnnxRuntime()
    {
        using var classifier = Build(EncoderKind.BiLstm, PoolingKind.Attention);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        var batch = PaddedIds(classifier.Tokenizer, Texts);
        int row = Array.IndexOf(Texts, Texts.First(t => classifier.Tokenizer.EncodeToIds(t, MaxLength, out _).Length is > 3 and < 20));
        var alone = PaddedIds(classifier.Tokenizer, [Texts[row]]);
        int length = alone.GetLength(1);

        var (probabilities, weights, _) = RunOnnx(session, batch);
        var (aloneProbabilities, aloneWeights, _) = RunOnnx(session, alone);

        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneProbabilities, probabilities.AsSpan(row * 3, 3).ToArray()));
        int seq = batch.GetLength(1);
        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneWeights, weights.AsSpan(row * seq, length).ToArray()));
        Assert.IsTrue(weights.AsSpan(row * seq + length, seq - length).ToArray().All(w => w == 0f), "padding got weight");
    }

    [TestMethod]
    public void MixedModeModelsExportToo()
    {
        using var classifier = Build(EncoderKind.Conv, PoolingKind.Attention, mode: TokenizationMode.Mixed);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, _) = RunOnnx(session, ids);
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchProbabilities, onnxProbabilities));
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(torchWeights, onnxWeights));
    }

    [TestMethod]
    public void OneRunOnBatch32By64IsTimed()
    {
        // The default architecture (embedding, encoder, attention and dense widths 128).
        var tokenizer = Tokenizer();
        manual_seed(5);
        var network = new TextClassifier(new TextClassifierOptions { VocabularySize = tokenizer.VocabularySize, NumClasses = 2, MaxLength = 64 });
        using var classifier = AttentionClassifier.Create(network, tokenizer, ["a", "b"]);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        var random = new Random(3);
        var ids = new long[32, 64];
        for (int r = 0; r < 32; r++)
            for (int t = 0; t < 64; t++) ids[r, t] = random.Next(2, classifier.Tokenizer.VocabularySize);
        double milliseconds = MillisecondsPerRun(session, ids, runs: 20);
        TestContext.WriteLine($"ONNX Runtime, default conv/attention (widths 128): {milliseconds:0.000} ms per Run on 32 x 64 tokens");
        Assert.IsGreaterThan(0, milliseconds);
    }
}
