using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Onnx;
using MLNetAttention.Training;

namespace MLNetAttention.Tests.Training;

/// <summary>A model directory is replaced as a whole, never mixed, and model.json vouches for every file in it.</summary>
[TestClass]
public sealed class ModelDirectoryReplaceTests
{
    private static string NewDirectory() => Path.Combine(Path.GetTempPath(), "mlna-replace-tests", Guid.NewGuid().ToString("N"));

    [TestMethod]
    public void SavingOverAModelReplacesEveryFileAndLeavesNothingBeside()
    {
        string directory = NewDirectory();
        using var first = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention, seed: 1);
        using var second = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention, seed: 2);
        OnnxExporter.SaveWithOnnx(first, directory);
        Directory.CreateDirectory(Path.Combine(directory, "checkpoint"));   // an interrupted run's leftovers belong to the model
        OnnxExporter.SaveWithOnnx(second, directory);

        string text = OnnxTestModels.Texts[2];
        using var loaded = AttentionClassifier.Load(directory);
        CollectionAssert.AreEqual(second.Predict(text).Probabilities, loaded.Predict(text).Probabilities);
        CollectionAssert.AreNotEqual(first.Predict(text).Probabilities, loaded.Predict(text).Probabilities);
        using var onnx = AttentionOnnxModel.Load(Path.Combine(directory, OnnxExporter.OnnxFileName));
        Assert.AreEqual(second.Predict(text).Label, onnx.Predict(text).Label);
        CollectionAssert.AreEquivalent(new[] { "model.json", "model.onnx", "vocab.json", "weights.bin" },
            Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).ToArray(), "the old model's checkpoint went with it");
        Assert.IsEmpty(Directory.GetFileSystemEntries(Path.GetDirectoryName(directory)!, $".{Path.GetFileName(directory)}*"),
            "no staging or old copy is left beside the model");
    }

    [TestMethod]
    public void ACrashInsideTheSaveLeavesTheOldModelWhole()
    {
        string directory = NewDirectory();
        using var first = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention, seed: 1);
        using var second = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention, seed: 2);
        OnnxExporter.SaveWithOnnx(first, directory);
        var before = Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

        // The new vocabulary and weights are written, then the export fails: nothing may reach the target.
        Assert.ThrowsExactly<IOException>(() => second.Save(directory, staging => throw new IOException("disk full")));

        foreach (var (name, bytes) in before)
            CollectionAssert.AreEqual(bytes, File.ReadAllBytes(Path.Combine(directory, name)), $"{name} changed");
        using var loaded = AttentionClassifier.Load(directory);
        string text = OnnxTestModels.Texts[2];
        CollectionAssert.AreEqual(first.Predict(text).Probabilities, loaded.Predict(text).Probabilities);
        Assert.IsEmpty(Directory.GetFileSystemEntries(Path.GetDirectoryName(directory)!, $".{Path.GetFileName(directory)}*"));
    }

    [TestMethod]
    public void ADirectoryHoldingOtherFilesIsRefusedAndLeftAlone()
    {
        string directory = NewDirectory();
        Directory.CreateDirectory(directory);
        string notes = Path.Combine(directory, "notes.txt");
        File.WriteAllText(notes, "my notes");
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        var error = Assert.ThrowsExactly<IOException>(() => classifier.Save(directory));
        StringAssert.Contains(error.Message, "notes.txt");
        Assert.ThrowsExactly<IOException>(() => AttentionClassifier.CheckSaveTarget(directory));
        Assert.AreEqual("my notes", File.ReadAllText(notes));
        Assert.HasCount(1, Directory.GetFileSystemEntries(directory));

        string file = Path.Combine(NewDirectory() + ".txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "x");
        StringAssert.Contains(Assert.ThrowsExactly<IOException>(() => AttentionClassifier.CheckSaveTarget(file)).Message, "a file is in the way");
    }

    [TestMethod]
    public void ADamagedOnnxFileInAModelDirectoryIsCaughtWhenTheDirectoryLoads()
    {
        string directory = NewDirectory();
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        OnnxExporter.SaveWithOnnx(classifier, directory);
        string onnxPath = Path.Combine(directory, OnnxExporter.OnnxFileName);
        byte[] bytes = File.ReadAllBytes(onnxPath);
        // 0xFF over a stretch inside the weights: ONNX Runtime would still load such a file and answer NaN.
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 256; i++) bytes[i] = 0xFF;
        File.WriteAllBytes(onnxPath, bytes);
        var error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(directory));
        Assert.AreEqual(onnxPath, error.Path);
        StringAssert.Contains(error.Message, "hash");
        // The ONNX scorer, used alone, checks the same hash in the model.json beside the file.
        error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionOnnxModel.Load(onnxPath));
        StringAssert.Contains(error.Message, "model.json");

        // Away from its manifest the damaged file either fails to load or is refused when it scores (NaN outputs).
        string alone = Path.Combine(NewDirectory() + "-alone.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(alone)!);
        File.WriteAllBytes(alone, bytes);
        Assert.ThrowsExactly<ModelLoadException>(() =>
        {
            using var damaged = AttentionOnnxModel.Load(alone);
            // Texts that between them hold every token, so the damaged rows of the embedding table are used.
            var tokens = Enumerable.Range(2, classifier.Tokenizer.VocabularySize - 2).Select(classifier.Tokenizer.IdToToken).ToList();
            damaged.Predict(tokens.Chunk(OnnxTestModels.MaxLength / 2).Select(chunk => string.Concat(chunk)));
        });
    }

    [TestMethod]
    public void AManifestWithInvalidUtf8IsReportedByTheDirectoryLoaderAndDoesNotBreakTheOnnxScorer()
    {
        // Found by the long fuzz run: bytes 0xE7 0xB5 inside a JSON string of model.json.
        string directory = NewDirectory();
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        OnnxExporter.SaveWithOnnx(classifier, directory);
        string manifest = Path.Combine(directory, "model.json");
        byte[] bytes = File.ReadAllBytes(manifest);
        int quote = Array.LastIndexOf(bytes, (byte)'"', bytes.Length - 10);
        bytes[quote - 2] = 0xE7;
        bytes[quote - 1] = 0xB5;
        File.WriteAllBytes(manifest, bytes);
        Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(directory));
        using var onnx = AttentionOnnxModel.Load(Path.Combine(directory, OnnxExporter.OnnxFileName));
        Assert.AreEqual(classifier.Predict(OnnxTestModels.Texts[2]).Label, onnx.Predict(OnnxTestModels.Texts[2]).Label);
    }

    [TestMethod]
    public void AbsurdSizesInTheManifestAreRefusedBeforeAnyAllocation()
    {
        string directory = NewDirectory();
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        classifier.Save(directory);
        string manifest = Path.Combine(directory, "model.json");
        string json = File.ReadAllText(manifest);
        // Without bounds, libtorch was asked for terabytes and the CLI reported a native error.
        File.WriteAllText(manifest, System.Text.RegularExpressions.Regex.Replace(json, "\"encoderDim\": *\\d+", "\"encoderDim\": 2147483647"));
        var error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(directory));
        StringAssert.Contains(error.Message, "EncoderDim");
        Assert.AreEqual(manifest, error.Path);
    }

    [TestMethod]
    public void NonFiniteOutputsAreAnErrorNamingTheModel()
    {
        OnnxModelInfo.CheckFinite([0.25f, 0.75f], "m.onnx", "probabilities");
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var error = Assert.ThrowsExactly<ModelLoadException>(() => OnnxModelInfo.CheckFinite([0.5f, bad], "m.onnx", "probabilities"));
            StringAssert.StartsWith(error.Message, "m.onnx: ");
            StringAssert.Contains(error.Message, "'probabilities'");
        }
    }
}
