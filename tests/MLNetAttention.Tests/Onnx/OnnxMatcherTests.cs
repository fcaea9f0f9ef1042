using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;

namespace MLNetAttention.Tests.Onnx;

[TestClass]
public sealed class OnnxMatcherTests
{
    private const float Tolerance = 1e-5f;

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Architectures() =>
        from kind in Enum.GetValues<MatcherKind>()
        from encoder in Enum.GetValues<EncoderKind>()
        select new object[] { kind, encoder, 8 };

    // The interactive matcher without its query projection (encoder width = attention width).
    public static IEnumerable<object[]> UnprojectedQueries() =>
    [
        [MatcherKind.Interactive, EncoderKind.Conv, 12],
        [MatcherKind.Interactive, EncoderKind.ResConv, 16],
    ];

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    [DynamicData(nameof(UnprojectedQueries))]
    public void OnnxRuntimeMatchesTorchSharpOnPaddedRealPairs(MatcherKind kind, EncoderKind encoder, int attentionHiddenDim)
    {
        using var matcher = BuildMatcher(kind, encoder, attentionHiddenDim);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(matcher));
        var (ids1, ids2) = PaddedPairIds(matcher.Tokenizer, Pairs);
        int batch = Pairs.Length;
        Assert.IsTrue(Enumerable.Range(0, batch).Any(r => ids1[r, 1] == 0) && Enumerable.Range(0, batch).Any(r => ids2[r, 1] == 0), "both sides should have a one-token text");
        Assert.AreEqual(MaxLength, ids1.GetLength(1), "side 1 should hold a text truncated to the maximum length");
        Assert.AreEqual(MaxLength, ids2.GetLength(1), "side 2 should hold a text truncated to the maximum length");

        var (torchProbabilities, torchWeights1, torchWeights2) = RunTorch(matcher, ids1, ids2);
        var (onnxProbabilities, onnxWeights1, onnxWeights2, shape1, shape2) = RunOnnx(session, ids1, ids2);

        CollectionAssert.AreEqual(new[] { batch, ids1.GetLength(1) }, shape1);
        CollectionAssert.AreEqual(new[] { batch, ids2.GetLength(1) }, shape2);
        float probabilityDiff = MaxAbsDiff(torchProbabilities, onnxProbabilities);
        float weightDiff1 = MaxAbsDiff(torchWeights1, onnxWeights1);
        float weightDiff2 = MaxAbsDiff(torchWeights2, onnxWeights2);
        TestContext.WriteLine($"{kind}/{encoder}/hidden={attentionHiddenDim}: max |diff| probabilities {probabilityDiff:E2}, weights1 {weightDiff1:E2}, weights2 {weightDiff2:E2}");
        Assert.IsLessThanOrEqualTo(Tolerance, probabilityDiff, "probabilities differ");
        Assert.IsLessThanOrEqualTo(Tolerance, weightDiff1, "weights of sentence 1 differ");
        Assert.IsLessThanOrEqualTo(Tolerance, weightDiff2, "weights of sentence 2 differ");

        var outputs = session.OutputMetadata.Keys.ToArray();
        Assert.AreEqual(kind == MatcherKind.Cross, outputs.Contains(OnnxModelInfo.AlignmentName), string.Join(", ", outputs));
        if (kind != MatcherKind.Cross) return;
        var torchAlignment = RunTorchAlignment(matcher, ids1, ids2);
        var (onnxAlignment, alignmentShape) = RunOnnxAlignment(session, ids1, ids2);
        CollectionAssert.AreEqual(new[] { batch, ids1.GetLength(1), ids2.GetLength(1) }, alignmentShape);
        float alignmentDiff = MaxAbsDiff(torchAlignment, onnxAlignment);
        TestContext.WriteLine($"{kind}/{encoder}: max |diff| alignment {alignmentDiff:E2}");
        Assert.IsLessThanOrEqualTo(Tolerance, alignmentDiff, "alignments differ");
    }

    [TestMethod]
    [DataRow(EncoderKind.ResConv)]
    [DataRow(EncoderKind.Conv)]
    public void ACrossPairScoresTheSameAloneAndInABatchPaddedLonger(EncoderKind encoder)
    {
        using var matcher = BuildMatcher(MatcherKind.Cross, encoder);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(matcher));
        var (ids1, ids2) = PaddedPairIds(matcher.Tokenizer, Pairs);
        int Length(string text) => matcher.Tokenizer.EncodeToIds(text, MaxLength, out _).Length;
        int row = Array.FindIndex(Pairs, p => Length(p.Text1) is > 1 and < MaxLength - 8 && Length(p.Text2) is > 1 and < MaxLength - 8 && Length(p.Text1) != Length(p.Text2));
        Assert.IsGreaterThanOrEqualTo(0, row);
        var (alone1, alone2) = PaddedPairIds(matcher.Tokenizer, [Pairs[row]]);
        int length1 = alone1.GetLength(1), length2 = alone2.GetLength(1);
        // The batch pads side 1 to the maximum length and side 2 further still than its longest sentence needs.
        (ids1, ids2) = (PadTo(ids1, MaxLength), PadTo(ids2, MaxLength));
        int seq1 = MaxLength, seq2 = MaxLength;

        var (probabilities, weights1, weights2, _, _) = RunOnnx(session, ids1, ids2);
        var (aloneProbabilities, aloneWeights1, aloneWeights2, _, _) = RunOnnx(session, alone1, alone2);
        var (alignment, _) = RunOnnxAlignment(session, ids1, ids2);
        var (aloneAlignment, aloneShape) = RunOnnxAlignment(session, alone1, alone2);
        CollectionAssert.AreEqual(new[] { 1, length1, length2 }, aloneShape);

        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneProbabilities, probabilities.AsSpan(row * 2, 2).ToArray()));
        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneWeights1, weights1.AsSpan(row * seq1, length1).ToArray()));
        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneWeights2, weights2.AsSpan(row * seq2, length2).ToArray()));
        for (int i = 0; i < seq1; i++)
        {
            var padded = alignment.AsSpan((row * seq1 + i) * seq2, seq2).ToArray();
            if (i >= length1)
            {
                Assert.IsTrue(padded.All(a => a == 0f), $"padded row {i} of the alignment is not 0");
                continue;
            }
            Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneAlignment.AsSpan(i * length2, length2).ToArray(), padded[..length2]), $"alignment row {i}");
            Assert.IsTrue(padded[length2..].All(a => a == 0f), $"row {i} of the alignment gives weight to padding");
            Assert.AreEqual(1f, padded.Sum(), 1e-5f, $"row {i} of the alignment does not sum to 1");
        }

        // The TorchSharp matcher agrees on the same padded batch.
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(RunTorchAlignment(matcher, ids1, ids2), alignment));
    }

    [TestMethod]
    public void MetadataAndOutputsOfACrossMatcherAnnounceTheAlignment()
    {
        using var matcher = BuildMatcher(MatcherKind.Cross, EncoderKind.ResConv);
        var bytes = OnnxExporter.ExportToBytes(matcher);
        var info = OnnxModelInfo.Read(bytes);
        Assert.AreEqual(OnnxModelInfo.MatcherKindName, info.Kind);
        Assert.AreEqual(MatcherKind.Cross, info.MatcherKind);
        Assert.IsTrue(info.HasAlignment);
        Assert.AreEqual("Cross", info.Metadata[OnnxModelInfo.MatcherKindKey]);
        Assert.AreEqual(matcher.Network.Options.MaxRelativeDistance, info.MatcherOptions!.MaxRelativeDistance);

        var model = global::Onnx.ModelProto.Parser.ParseFrom(bytes);
        CollectionAssert.AreEqual(new[] { "probabilities", "attention_weights_1", "attention_weights_2", "alignment" }, model.Graph.Output.Select(o => o.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "batch", "seq1", "seq2" }, model.Graph.Output[3].Type.TensorType.Shape.Dim.Select(d => d.DimParam).ToArray());
        Assert.AreEqual(17, info.Opset);

        using var other = BuildMatcher(MatcherKind.Siamese, EncoderKind.Conv);
        var siamese = OnnxModelInfo.Read(OnnxExporter.ExportToBytes(other));
        Assert.AreEqual(MatcherKind.Siamese, siamese.MatcherKind);
        Assert.IsFalse(siamese.HasAlignment);
        Assert.AreEqual("Siamese", siamese.Metadata[OnnxModelInfo.MatcherKindKey]);
    }

    [TestMethod]
    public void AMatcherKindThatDisagreesWithTheOptionsIsRefused()
    {
        using var matcher = BuildMatcher(MatcherKind.Cross, EncoderKind.Conv);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ExportToBytes(matcher));
        model.MetadataProps.Single(p => p.Key == OnnxModelInfo.MatcherKindKey).Value = "Siamese";
        var error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.Read(Google.Protobuf.MessageExtensions.ToByteArray(model)));
        StringAssert.Contains(error.Message, "'mlnet_attention.matcher_kind' is 'Siamese' but the options say 'Cross'");
        model.MetadataProps.Single(p => p.Key == OnnxModelInfo.MatcherKindKey).Value = "Quantum";
        error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.Read(Google.Protobuf.MessageExtensions.ToByteArray(model)));
        StringAssert.Contains(error.Message, "the matcher kind 'Quantum' is unknown");
    }

    [TestMethod]
    public void DifferentLengthsOnTheTwoSidesAndAPairAloneScoreTheSame()
    {
        using var matcher = BuildMatcher(MatcherKind.Interactive, EncoderKind.BiLstm);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(matcher));
        var (ids1, ids2) = PaddedPairIds(matcher.Tokenizer, Pairs);
        int Length(string text) => matcher.Tokenizer.EncodeToIds(text, MaxLength, out _).Length;
        int row = Array.FindIndex(Pairs, p => Length(p.Text1) is > 1 and < MaxLength && Length(p.Text2) is > 1 and < MaxLength && Length(p.Text1) != Length(p.Text2));
        Assert.IsGreaterThanOrEqualTo(0, row);
        var (alone1, alone2) = PaddedPairIds(matcher.Tokenizer, [Pairs[row]]);
        int length1 = alone1.GetLength(1), length2 = alone2.GetLength(1);

        var (probabilities, weights1, weights2, _, _) = RunOnnx(session, ids1, ids2);
        var (aloneProbabilities, aloneWeights1, aloneWeights2, _, _) = RunOnnx(session, alone1, alone2);

        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneProbabilities, probabilities.AsSpan(row * 2, 2).ToArray()));
        int seq1 = ids1.GetLength(1), seq2 = ids2.GetLength(1);
        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneWeights1, weights1.AsSpan(row * seq1, length1).ToArray()));
        Assert.IsLessThanOrEqualTo(1e-6f, MaxAbsDiff(aloneWeights2, weights2.AsSpan(row * seq2, length2).ToArray()));
        Assert.IsTrue(weights1.AsSpan(row * seq1 + length1, seq1 - length1).ToArray().All(w => w == 0f), "padding of sentence 1 got weight");
        Assert.IsTrue(weights2.AsSpan(row * seq2 + length2, seq2 - length2).ToArray().All(w => w == 0f), "padding of sentence 2 got weight");
    }

    [TestMethod]
    public void TheSharedEncoderIsStoredOnce()
    {
        using var matcher = BuildMatcher(MatcherKind.Siamese, EncoderKind.BiLstm);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ExportToBytes(matcher));
        var names = model.Graph.Initializer.Select(i => i.Name).ToArray();
        Assert.AreEqual(1, names.Count(n => n.StartsWith("encoder.embedding.weight", StringComparison.Ordinal)), string.Join(", ", names));
        Assert.AreEqual(1, names.Count(n => n.StartsWith("encoder.encoder.lstm.W", StringComparison.Ordinal)), string.Join(", ", names));
        Assert.AreEqual(1, names.Count(n => n.StartsWith("pooling.k_dense.weight", StringComparison.Ordinal)), string.Join(", ", names));
    }

    [TestMethod]
    public void MetadataDescribesTheMatcher()
    {
        using var matcher = BuildMatcher(MatcherKind.Triplet, EncoderKind.ResConv, mode: MLNetAttention.Text.TokenizationMode.Mixed);
        string path = Path.Combine(TempDirectory(), "matcher.onnx");
        OnnxExporter.Export(matcher, path);

        var info = OnnxModelInfo.Read(path);
        Assert.AreEqual(OnnxModelInfo.MatcherKindName, info.Kind);
        Assert.AreEqual("matcher", info.Kind);
        CollectionAssert.AreEqual(new[] { "0", "1" }, info.Labels.ToArray());
        Assert.IsNull(info.ModelOptions);
        Assert.IsNotNull(info.MatcherOptions);
        Assert.AreEqual(MatcherKind.Triplet, info.MatcherOptions.Kind);
        Assert.AreEqual(EncoderKind.ResConv, info.MatcherOptions.Encoder);
        Assert.AreEqual(6, info.MatcherOptions.ProjectionDim);
        Assert.AreEqual(1, info.Heads);
        Assert.AreEqual(MaxLength, info.MaxLength);
        Assert.AreEqual(matcher.Tokenizer.ToJson(), info.CreateTokenizer().ToJson());

        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "input_ids_1", "input_ids_2" }, model.Graph.Input.Select(i => i.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "probabilities", "attention_weights_1", "attention_weights_2" }, model.Graph.Output.Select(o => o.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "batch", "seq1" }, model.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimParam).ToArray());
        CollectionAssert.AreEqual(new[] { "batch", "seq2" }, model.Graph.Input[1].Type.TensorType.Shape.Dim.Select(d => d.DimParam).ToArray());
    }

    [TestMethod]
    [DataRow(MatcherKind.Siamese, EncoderKind.Conv)]
    [DataRow(MatcherKind.Interactive, EncoderKind.None)]
    [DataRow(MatcherKind.Triplet, EncoderKind.BiLstm)]
    [DataRow(MatcherKind.Cross, EncoderKind.ResConv)]
    public void TheOnnxMatcherPredictsLikeTheMatcher(MatcherKind kind, EncoderKind encoder)
    {
        using var matcher = BuildMatcher(kind, encoder);
        using var model = AttentionOnnxMatcher.Load(OnnxExporter.ExportToBytes(matcher));
        var expected = matcher.Predict(Pairs);
        var actual = model.Predict(Pairs);
        Assert.HasCount(Pairs.Length, actual);
        for (int i = 0; i < Pairs.Length; i++)
        {
            Assert.AreEqual(expected[i].Text1, actual[i].Text1);
            Assert.AreEqual(expected[i].Text2, actual[i].Text2);
            Assert.AreEqual(expected[i].Probability, actual[i].Probability, Tolerance);
            AssertSameTokens(expected[i].Tokens1, actual[i].Tokens1);
            AssertSameTokens(expected[i].Tokens2, actual[i].Tokens2);
            Assert.AreEqual(expected[i].TruncatedTokens1, actual[i].TruncatedTokens1);
            Assert.AreEqual(expected[i].TruncatedTokens2, actual[i].TruncatedTokens2);
            AssertSameAlignment(expected[i].Alignment, actual[i].Alignment, $"pair {i}");
        }
        Assert.AreEqual(kind == MatcherKind.Cross, model.HasAlignment);
        Assert.IsTrue(actual.Any(p => p.TruncatedTokens1 > 0), "a sentence should be truncated");

        var single = model.Predict(Pairs[3].Text1, Pairs[3].Text2);
        Assert.AreEqual(expected[3].Probability, single.Probability, Tolerance);
        AssertSameAlignment(expected[3].Alignment, single.Alignment, "the pair alone");
        Assert.ThrowsExactly<ArgumentException>(() => model.Predict("   ", "text"));
    }

    private static void AssertSameAlignment(float[,]? expected, float[,]? actual, string what)
    {
        if (expected is null)
        {
            Assert.IsNull(actual, what);
            return;
        }
        Assert.IsNotNull(actual, what);
        Assert.AreEqual(expected.GetLength(0), actual.GetLength(0), $"{what}: alignment rows");
        Assert.AreEqual(expected.GetLength(1), actual.GetLength(1), $"{what}: alignment columns");
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(expected.Cast<float>().ToArray(), actual.Cast<float>().ToArray()), $"{what}: alignment");
    }

    private static void AssertSameTokens(IReadOnlyList<TokenWeight> expected, IReadOnlyList<TokenWeight> actual)
    {
        CollectionAssert.AreEqual(expected.Select(t => (t.Token, t.Id, t.Offset, t.Length)).ToArray(), actual.Select(t => (t.Token, t.Id, t.Offset, t.Length)).ToArray());
        Assert.IsLessThanOrEqualTo(Tolerance, MaxAbsDiff(expected.Select(t => t.Weight).ToArray(), actual.Select(t => t.Weight).ToArray()));
    }

    [TestMethod]
    public void AMatcherDirectoryLoadsAndExportsLikeTheCommandLine()
    {
        using var matcher = BuildMatcher(MatcherKind.Triplet, EncoderKind.Conv);
        string directory = TempDirectory();
        matcher.Save(directory);
        Assert.IsTrue(AttentionMatcher.IsMatcherDirectory(directory));
        using var loaded = AttentionMatcher.Load(directory);
        string path = Path.Combine(directory, "model.onnx");
        OnnxExporter.Export(loaded, path);
        using var model = AttentionOnnxMatcher.Load(path);
        var expected = matcher.Predict(Pairs);
        var actual = model.Predict(Pairs);
        for (int i = 0; i < Pairs.Length; i++)
            Assert.AreEqual(expected[i].Probability, actual[i].Probability, Tolerance);
    }

    [TestMethod]
    public void LoadingTheWrongKindGivesAClearError()
    {
        using var matcher = BuildMatcher(MatcherKind.Siamese, EncoderKind.None);
        var error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionOnnxModel.Load(OnnxExporter.ExportToBytes(matcher)));
        StringAssert.Contains(error.Message, "the model is a 'matcher', not a 'classifier'; load it with AttentionOnnxMatcher.");

        using var classifier = Build(EncoderKind.None, PoolingKind.Attention);
        error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionOnnxMatcher.Load(OnnxExporter.ExportToBytes(classifier)));
        StringAssert.Contains(error.Message, "the model is a 'classifier', not a 'matcher'; load it with AttentionOnnxModel.");
    }
}
