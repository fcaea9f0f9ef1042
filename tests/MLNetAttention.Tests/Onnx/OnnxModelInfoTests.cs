using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;

namespace MLNetAttention.Tests.Onnx;

[TestClass]
public sealed class OnnxModelInfoTests
{
    [TestMethod]
    public void MetadataRoundTripsLabelsTokenizerAndOptions()
    {
        using var classifier = Build(EncoderKind.ResConv, PoolingKind.MultiHead, bigrams: 17);
        string path = Path.Combine(TempDirectory(), "model.onnx");
        OnnxExporter.Export(classifier, path);

        var info = OnnxModelInfo.Read(path);
        Assert.AreEqual(OnnxModelInfo.CurrentFormatVersion, info.FormatVersion);
        Assert.AreEqual("classifier", info.Kind);
        Assert.AreEqual(17, info.Opset);
        CollectionAssert.AreEqual(classifier.Labels.ToArray(), info.Labels.ToArray());
        Assert.AreEqual(3, info.Heads);
        Assert.AreEqual(MaxLength, info.MaxLength);
        Assert.AreEqual("MLNetAttention", info.Metadata[OnnxModelInfo.ProducerKey]);
        Assert.IsNotNull(info.ModelOptions);
        Assert.IsNull(info.MatcherOptions);
        Assert.AreEqual(EncoderKind.ResConv, info.ModelOptions.Encoder);
        Assert.AreEqual(17, info.ModelOptions.BigramBuckets);
        Assert.AreEqual(classifier.Network.Options.VocabularySize, info.ModelOptions.VocabularySize);

        var tokenizer = info.CreateTokenizer();
        Assert.AreEqual(classifier.Tokenizer.Options, tokenizer.Options);
        CollectionAssert.AreEqual(classifier.Tokenizer.Vocabulary.ToArray(), tokenizer.Vocabulary.ToArray());
        Assert.AreEqual(classifier.Tokenizer.ToJson(), tokenizer.ToJson());
        foreach (string text in Texts)
            CollectionAssert.AreEqual(classifier.Tokenizer.EncodeToIds(text, MaxLength, out _), tokenizer.EncodeToIds(text, MaxLength, out _));
    }

    [TestMethod]
    public void TheOnnxModelPredictsLikeTheClassifier()
    {
        using var classifier = Build(EncoderKind.Conv, PoolingKind.Max);
        using var model = AttentionOnnxModel.Load(OnnxExporter.ExportToBytes(classifier));
        var expected = classifier.Predict(Texts);
        var actual = model.Predict(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.AreEqual(expected[i].Label, actual[i].Label);
            Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(expected[i].Probabilities, actual[i].Probabilities));
            CollectionAssert.AreEqual(expected[i].Tokens.Select(t => (t.Token, t.Offset, t.Length)).ToArray(), actual[i].Tokens.Select(t => (t.Token, t.Offset, t.Length)).ToArray());
            Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(expected[i].Tokens.Select(t => t.Weight).ToArray(), actual[i].Tokens.Select(t => t.Weight).ToArray()));
            Assert.AreEqual(expected[i].TruncatedTokens, actual[i].TruncatedTokens);
        }
    }

    [TestMethod]
    public void AModelDirectoryLoadsAndExportsLikeTheCommandLine()
    {
        using var classifier = Build(EncoderKind.BiLstm, PoolingKind.Attention, bigrams: 11);
        string directory = TempDirectory();
        classifier.Save(directory);
        using var loaded = AttentionClassifier.Load(directory);
        string path = Path.Combine(directory, "model.onnx");
        OnnxExporter.Export(loaded, path);
        using var model = AttentionOnnxModel.Load(path);
        var expected = classifier.Predict(Texts);
        var actual = model.Predict(Texts);
        for (int i = 0; i < Texts.Length; i++)
            Assert.IsLessThanOrEqualTo(1e-5f, MaxAbsDiff(expected[i].Probabilities, actual[i].Probabilities));
    }

    [TestMethod]
    public void AnUnknownKindGivesAClearError()
    {
        using var classifier = Build(EncoderKind.None, PoolingKind.Attention);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.ExportToBytes(classifier));
        model.MetadataProps.Single(p => p.Key == OnnxModelInfo.KindKey).Value = "ranker";
        var error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.Read(Google.Protobuf.MessageExtensions.ToByteArray(model), "ranker.onnx"));
        Assert.AreEqual("ranker.onnx: the model kind 'ranker' is unknown to this MLNetAttention (it reads 'classifier' and 'matcher'). Upgrade MLNetAttention to read it.", error.Message);
    }

    [TestMethod]
    public void ATruncatedFileGivesAClearError()
    {
        using var classifier = Build(EncoderKind.None, PoolingKind.Attention);
        byte[] bytes = OnnxExporter.ExportToBytes(classifier);
        string directory = TempDirectory();
        foreach (int cut in new[] { bytes.Length / 2, bytes.Length - 7, 10 })
        {
            string path = Path.Combine(directory, $"cut{cut}.onnx");
            File.WriteAllBytes(path, bytes[..cut]);
            var error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.Read(path));
            StringAssert.StartsWith(error.Message, path + ": ");
            Assert.IsTrue(error.Message.Contains("truncated") || error.Message.Contains("not an MLNetAttention ONNX model"), error.Message);
            StringAssert.Contains(error.Message, "Export");
            Assert.IsFalse(error.Message.Contains("`mlnet-attention"), "the library names its API, not the command line: " + error.Message);
            Assert.ThrowsExactly<ModelLoadException>(() => AttentionOnnxModel.Load(path));
        }
    }

    [TestMethod]
    public void AFileThatIsNotAnMLNetAttentionModelGivesAClearError()
    {
        string directory = TempDirectory();
        string text = Path.Combine(directory, "notes.onnx");
        File.WriteAllText(text, "{\"this\": \"is JSON, not ONNX\"}\n");
        var error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.Read(text));
        StringAssert.StartsWith(error.Message, text + ": ");

        // A valid ONNX model from another producer: parses, but has no MLNetAttention metadata.
        var foreign = new global::Onnx.ModelProto { IrVersion = 8, ProducerName = "someone-else", Graph = new global::Onnx.GraphProto { Name = "g" } };
        string foreignPath = Path.Combine(directory, "foreign.onnx");
        File.WriteAllBytes(foreignPath, Google.Protobuf.MessageExtensions.ToByteArray(foreign));
        error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.Read(foreignPath));
        Assert.AreEqual($"{foreignPath}: not an MLNetAttention ONNX model (no 'mlnet_attention.format' metadata): export one with OnnxExporter.Export (MLNetAttention.TorchSharp).", error.Message);
        Assert.AreEqual(ModelLoadProblem.NotAModel, error.Problem);

        Assert.ThrowsExactly<FileNotFoundException>(() => OnnxModelInfo.Read(Path.Combine(directory, "missing.onnx")));
    }

    [TestMethod]
    public void ExportingToAnUnwritablePathGivesAClearErrorAndLeavesNoTemporaryFile()
    {
        using var classifier = Build(EncoderKind.None, PoolingKind.Mean);
        string directory = TempDirectory();
        // A regular file where the directory should be: unwritable even for root.
        string blocker = Path.Combine(directory, "not-a-directory");
        File.WriteAllText(blocker, "x");
        string path = Path.Combine(blocker, "model.onnx");
        var error = Assert.ThrowsExactly<IOException>(() => OnnxExporter.Export(classifier, path));
        StringAssert.StartsWith(error.Message, path + ": cannot write the ONNX model");
        CollectionAssert.AreEqual(new[] { blocker }, Directory.GetFiles(directory));
    }

    [TestMethod]
    public void ExportReplacesAnExistingFileAtomically()
    {
        using var first = Build(EncoderKind.None, PoolingKind.Attention, seed: 1);
        using var second = Build(EncoderKind.None, PoolingKind.Attention, seed: 2);
        string directory = TempDirectory();
        string path = Path.Combine(directory, "model.onnx");
        OnnxExporter.Export(first, path);
        OnnxExporter.Export(second, path);
        CollectionAssert.AreEqual(OnnxExporter.ExportToBytes(second, new OnnxExportOptions { Validate = false }), File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(directory));
    }
}
