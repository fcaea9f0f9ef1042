using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Onnx;

/// <summary>
/// The compact layout: only the bigram rows training touched, found through a rank per bucket (a LabelEncoder in
/// files of earlier versions), in float32 or int8, and one copy of the weights (model.onnx) in the directory.
/// </summary>
[TestClass]
public sealed class CompactModelTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>A bigram model whose table has random rows in one bucket of five and zeros elsewhere, as training leaves it.</summary>
    private static AttentionClassifier PartlyTouched(EncoderKind encoder = EncoderKind.None, PoolingKind pooling = PoolingKind.Attention, int buckets = 997)
    {
        var classifier = Build(encoder, pooling, buckets);
        using (no_grad())
        {
            var table = classifier.Network.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter;
            var untouched = arange(table.shape[0]).remainder(5).ne(0).unsqueeze(1);
            table.masked_fill_(untouched, 0f);
        }
        return classifier;
    }

    [TestMethod]
    [DataRow(EmbeddingTableStorage.TouchedRows, 1e-5f)]
    [DataRow(EmbeddingTableStorage.TouchedRowsInt8, 2e-2f)]
    public void TouchedRowsMatchTheDenseTableWithinTheStorageTolerance(EmbeddingTableStorage storage, float tolerance)
    {
        using var classifier = PartlyTouched();
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        using var dense = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        byte[] compactBytes = OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = storage });
        using var compact = new InferenceSession(compactBytes);

        var (denseProbabilities, denseWeights, _) = RunOnnx(dense, ids);
        var (compactProbabilities, compactWeights, _) = RunOnnx(compact, ids);
        float probabilityDiff = MaxAbsDiff(denseProbabilities, compactProbabilities), weightDiff = MaxAbsDiff(denseWeights, compactWeights);
        TestContext.WriteLine($"{storage}: {compactBytes.Length:N0} bytes; max |diff| probabilities {probabilityDiff:E2}, weights {weightDiff:E2}");
        Assert.IsLessThanOrEqualTo(tolerance, probabilityDiff);
        Assert.IsLessThanOrEqualTo(tolerance, weightDiff);
        Assert.AreEqual(storage, OnnxWeights.FromBytes(compactBytes).TableStorage("bigram_embedding.weight"));
    }

    [TestMethod]
    [DataRow(EmbeddingTableStorage.Dense, 1e-5f)]
    [DataRow(EmbeddingTableStorage.TouchedRowsInt8, 2e-2f)]
    public void TrigramsExportAndMatchTorchSharpOnPaddedRealText(EmbeddingTableStorage storage, float tolerance)
    {
        using var classifier = Build(EncoderKind.None, PoolingKind.MultiHead, bigrams: 997, trigrams: true);
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = storage }));
        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, _) = RunOnnx(session, ids);
        float probabilityDiff = MaxAbsDiff(torchProbabilities, onnxProbabilities), weightDiff = MaxAbsDiff(torchWeights, onnxWeights);
        TestContext.WriteLine($"{storage}: max |diff| probabilities {probabilityDiff:E2}, weights {weightDiff:E2}");
        Assert.IsLessThanOrEqualTo(tolerance, probabilityDiff);
        Assert.IsLessThanOrEqualTo(tolerance, weightDiff);

        string directory = Path.Combine(TempDirectory(), "trigrams");
        OnnxExporter.SaveWithOnnx(classifier, directory, new OnnxExportOptions { BigramTable = storage, WeightsInOnnxOnly = true });
        using var loaded = AttentionClassifier.Load(directory);
        Assert.IsTrue(loaded.Network.Options.Trigrams);
        Assert.AreEqual(0f, MaxAbsDiff(RunOnnx(session, ids).Probabilities, RunTorch(loaded, ids).Probabilities), 1e-5f, "the directory scores as its ONNX file");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(16)]
    public void MLNetAttentionPoolScoresACompactTrigramModelWithACompanionAsOnnxRuntime(int batchSize)
    {
        using var classifier = Build(EncoderKind.None, PoolingKind.Attention, bigrams: 997, trigrams: true,
            companion: new TextClassifierOptions { Encoder = EncoderKind.Conv, EmbeddingDim = 10, EncoderDim = 8 });
        string path = Path.Combine(TempDirectory(), "compact.onnx");
        OnnxExporter.Export(classifier, path, OnnxExportOptions.Compact());
        using var onnx = AttentionOnnxModel.Load(path);
        var ml = new Microsoft.ML.MLContext(1);
        var model = ml.Transforms.AttentionPool(path, options: new global::MLNetAttention.MLNet.AttentionPoolOptions { BatchSize = batchSize })
            .Fit(ml.Data.LoadFromEnumerable(new[] { new global::MLNetAttention.Tests.MLNet.TextRow() }));
        global::MLNetAttention.Tests.MLNet.AttentionPoolTests.AssertMatches(onnx.Predict(Texts), global::MLNetAttention.Tests.MLNet.AttentionPoolTests.Score(ml, model, Texts));
    }

    [TestMethod]
    public void MaxBigramRowsKeepsTheLargestRows()
    {
        using var classifier = PartlyTouched();
        var table = classifier.Network.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter;
        var norms = table.norm(1).data<float>().ToArray();
        int touched = norms.Count(n => n > 0);
        const int limit = 50;
        Assert.IsGreaterThan(limit, touched);

        var bytes = OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = EmbeddingTableStorage.TouchedRows, MaxBigramRows = limit });
        var stored = OnnxWeights.FromBytes(bytes);
        Assert.IsTrue(stored.Holds("bigram_embedding.weight", table.shape));
        Assert.IsFalse(stored.Holds("bigram_embedding.weight", [table.shape[0], table.shape[1] + 1]), "another width is another table");
        Assert.IsTrue(stored.TryGet("bigram_embedding.weight", table.shape, out var values));
        int dim = (int)table.shape[1];
        var kept = Enumerable.Range(0, norms.Length).Where(r => values.AsSpan(r * dim, dim).ContainsAnyExcept(0f)).ToHashSet();
        Assert.HasCount(limit, kept);
        float smallestKept = kept.Min(r => norms[r]);
        float largestDropped = Enumerable.Range(0, norms.Length).Where(r => !kept.Contains(r)).Max(r => norms[r]);
        Assert.IsGreaterThanOrEqualTo(largestDropped, smallestKept, "the kept rows are the largest");
        using var session = new InferenceSession(bytes);
        var probabilities = RunOnnx(session, PaddedIds(classifier.Tokenizer, Texts)).Probabilities;
        Assert.IsTrue(probabilities.All(float.IsFinite));
    }

    [TestMethod]
    public void EveryBucketTouchedFillsEachBlockOfTheRowIndex()
    {
        // A table trained on every bucket: each block of 128 buckets holds 128 rows, the most a rank byte counts.
        using var classifier = Build(EncoderKind.None, PoolingKind.Attention, bigrams: 1000);
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        using var dense = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        byte[] compactBytes = OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = EmbeddingTableStorage.TouchedRows });
        using var compact = new InferenceSession(compactBytes);
        Assert.AreEqual(0f, MaxAbsDiff(RunOnnx(dense, ids).Probabilities, RunOnnx(compact, ids).Probabilities), 1e-6f);
        var table = classifier.Network.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter;
        Assert.IsTrue(OnnxWeights.FromBytes(compactBytes).TryGet("bigram_embedding.weight", table.shape, out var readBack));
        CollectionAssert.AreEqual(table.data<float>().ToArray(), readBack);
    }

    [TestMethod]
    public void CompactFilesOfEarlierVersionsWithALabelEncoderStillLoadAndScoreTheSame()
    {
        using var classifier = PartlyTouched(EncoderKind.Conv, PoolingKind.Attention);
        string directory = Path.Combine(TempDirectory(), "labelencoder");
        OnnxExporter.SaveWithOnnx(classifier, directory, OnnxExportOptions.Compact());
        string onnxPath = Path.Combine(directory, OnnxExporter.OnnxFileName);
        using var current = AttentionOnnxModel.Load(onnxPath);
        var expected = current.Predict(Texts);

        // Rewrite the bigram row index as earlier versions wrote it: one LabelEncoder from touched bucket to row.
        const string table = "bigram_embedding.weight";
        var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnxPath));
        var graph = model.Graph;
        var ranks = graph.Initializer.Single(t => t.Name == table + OnnxWeights.RowRanksSuffix);
        var starts = graph.Initializer.Single(t => t.Name == table + OnnxWeights.BlockStartsSuffix);
        var rankBytes = ranks.RawData.ToByteArray();
        var startValues = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(starts.RawData.Span).ToArray();
        var keys = Enumerable.Range(0, rankBytes.Length).Where(b => rankBytes[b] != 0).Select(b => (long)b).ToArray();
        var rows = keys.Select(b => startValues[b / OnnxWeights.RowIndexBlock] + rankBytes[b]).ToArray();
        var lookup = graph.Node.Single(n => n.Output.Contains(table + OnnxWeights.RowIndexSuffix));
        // The lookup gathers the buckets' rows from the folded index; the LabelEncoder takes the buckets directly.
        string buckets = lookup.Input[1];
        var encoder = new global::Onnx.NodeProto { OpType = "LabelEncoder", Domain = OnnxWeights.MlDomain, Name = "legacy_row_index" };
        encoder.Input.Add(buckets);
        encoder.Output.Add(table + OnnxWeights.RowIndexSuffix);
        encoder.Attribute.Add(new global::Onnx.AttributeProto { Name = "keys_int64s", Type = global::Onnx.AttributeProto.Types.AttributeType.Ints, Ints = { keys } });
        encoder.Attribute.Add(new global::Onnx.AttributeProto { Name = "values_int64s", Type = global::Onnx.AttributeProto.Types.AttributeType.Ints, Ints = { rows } });
        encoder.Attribute.Add(new global::Onnx.AttributeProto { Name = "default_int64", Type = global::Onnx.AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Insert(graph.Node.IndexOf(lookup), encoder);
        graph.Node.Remove(lookup);
        // Then the rank arithmetic that fed it, now read by nothing.
        while (graph.Node.FirstOrDefault(n => !n.Output.Any(o => graph.Output.Any(g => g.Name == o) || graph.Node.Any(m => m.Input.Contains(o)))) is { } dead)
            graph.Node.Remove(dead);
        graph.Initializer.Remove(ranks);
        graph.Initializer.Remove(starts);
        model.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Domain = OnnxWeights.MlDomain, Version = 2 });
        string legacyPath = Path.Combine(TempDirectory(), "legacy.onnx");
        File.WriteAllBytes(legacyPath, Google.Protobuf.MessageExtensions.ToByteArray(model));

        var legacyWeights = OnnxWeights.Read(legacyPath);
        Assert.IsFalse(legacyWeights.HasRankedRowIndex);
        Assert.AreEqual(EmbeddingTableStorage.TouchedRowsInt8, legacyWeights.TableStorage(table));
        var shape = classifier.Network.named_parameters().Single(p => p.name == table).parameter.shape;
        Assert.IsTrue(legacyWeights.TryGet(table, shape, out var legacyTable));
        Assert.IsTrue(OnnxWeights.Read(onnxPath).TryGet(table, shape, out var currentTable));
        CollectionAssert.AreEqual(currentTable, legacyTable, "both row indexes expand to the same table");
        using var legacy = AttentionOnnxModel.Load(legacyPath);
        var scored = legacy.Predict(Texts);
        for (int i = 0; i < Texts.Length; i++)
            Assert.AreEqual(0f, MaxAbsDiff(expected[i].Probabilities.ToArray(), scored[i].Probabilities.ToArray()), 1e-6f, Texts[i]);
    }

    [TestMethod]
    public void OnnxRuntimeFoldsTheRowIndexSoACallDoesOneGatherPerTable()
    {
        using var classifier = PartlyTouched();
        string optimized = Path.Combine(TempDirectory(), "optimized.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, OptimizedModelFilePath = optimized })
        using (new InferenceSession(OnnxExporter.ExportToBytes(classifier, OnnxExportOptions.Compact()), options)) { }

        var graph = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        // What remains of the index at scoring time: a Gather of the ids from one int32 row per bucket, computed at load.
        const string table = "bigram_embedding.weight";
        long buckets = classifier.Network.named_parameters().Single(p => p.name == table).parameter.shape[0];
        var lookup = graph.Node.Single(n => n.Output.Contains(table + OnnxWeights.RowIndexSuffix));
        Assert.AreEqual("Gather", lookup.OpType);
        Assert.IsTrue(initializers.TryGetValue(lookup.Input[0], out var folded), "the row per bucket was not folded into an initializer");
        Assert.AreEqual((int)global::Onnx.TensorProto.Types.DataType.Int32, folded.DataType);
        CollectionAssert.AreEqual(new[] { buckets }, folded.Dims.ToArray());
        // The operators that compute the index (block starts repeated over their buckets, the sign of the rank).
        Assert.IsFalse(graph.Node.Any(n => n.OpType is "Expand" or "Sign"), "index arithmetic is left for each call");
    }

    [TestMethod]
    public void UntouchedBucketsLookUpTheZeroRow()
    {
        // Every row zero but one: only texts with that bigram move away from the bigram-free model.
        using var classifier = Build(EncoderKind.None, PoolingKind.Attention, bigrams: 997);
        using (no_grad())
        {
            var table = classifier.Network.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter;
            table.zero_();
        }
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        using var dense = new InferenceSession(OnnxExporter.ExportToBytes(classifier));
        using var compact = new InferenceSession(OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = EmbeddingTableStorage.TouchedRowsInt8 }));
        Assert.AreEqual(0f, MaxAbsDiff(RunOnnx(dense, ids).Probabilities, RunOnnx(compact, ids).Probabilities), "an all-zero table stores no rows and changes nothing");
    }

    [TestMethod]
    public void Int8RowsAreWithinHalfAStepOfTheTrainedWeights()
    {
        var random = new Random(3);
        const int dim = 6;
        var rows = Enumerable.Range(0, 40 * dim).Select(i => i < dim ? 0f : (float)(random.NextDouble() * 2 - 1) * (i % 7 + 1)).ToArray();
        var (values, scales) = ParameterSet.QuantizeRows(rows, dim);
        for (int r = 0; r < 40; r++)
        {
            float step = scales[r];
            for (int d = 0; d < dim; d++)
            {
                float restored = values[r * dim + d] * step;
                Assert.IsLessThanOrEqualTo(step / 2 + 1e-6f, Math.Abs(restored - rows[r * dim + d]), $"row {r}, column {d}");
            }
        }
        Assert.AreEqual(0f, scales[0], "a zero row keeps scale 0");
    }

    [TestMethod]
    public void CompactDirectoryKeepsOneCopyAndScoresLikeItsOwnOnnxFile()
    {
        // Enough buckets that the table dominates the size, as in the ngram preset.
        using var classifier = PartlyTouched(EncoderKind.Conv, PoolingKind.MultiHead, buckets: 20_011);
        string full = Path.Combine(TempDirectory(), "full"), compact = Path.Combine(TempDirectory(), "compact");
        OnnxExporter.SaveWithOnnx(classifier, full);
        OnnxExporter.SaveWithOnnx(classifier, compact, OnnxExportOptions.Compact());

        Assert.IsFalse(File.Exists(Path.Combine(compact, AttentionClassifier.WeightsFile)), "the compact layout keeps no weights.bin");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(compact, AttentionClassifier.ManifestFile)))!;
        Assert.AreEqual(4, manifest["formatVersion"]!.GetValue<int>(), "versions that know only the LabelEncoder row lookup must refuse it");
        Assert.AreEqual("model.onnx", manifest["weightsIn"]!.GetValue<string>());
        Assert.AreEqual(1, JsonNode.Parse(File.ReadAllText(Path.Combine(full, AttentionClassifier.ManifestFile)))!["formatVersion"]!.GetValue<int>(),
            "a full directory stays readable by versions that know only format 1");
        long fullBytes = Directory.EnumerateFiles(full).Sum(f => new FileInfo(f).Length);
        long compactBytes = Directory.EnumerateFiles(compact).Sum(f => new FileInfo(f).Length);
        TestContext.WriteLine($"full {fullBytes:N0} bytes, compact {compactBytes:N0} bytes");
        Assert.IsLessThan(fullBytes / 2, compactBytes, "one copy of int8 touched rows should take well under half the full directory");

        using var loaded = AttentionClassifier.Load(compact);
        using var onnx = AttentionOnnxModel.Load(Path.Combine(compact, OnnxExporter.OnnxFileName));
        var fromDirectory = loaded.Predict(Texts);
        var fromOnnx = onnx.Predict(Texts);
        var original = classifier.Predict(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.AreEqual(fromOnnx[i].Label, fromDirectory[i].Label, Texts[i]);
            Assert.AreEqual(0f, MaxAbsDiff(fromOnnx[i].Probabilities.ToArray(), fromDirectory[i].Probabilities.ToArray()), 1e-5f, "the directory's TorchSharp weights are the ONNX file's, dequantized the same way");
            Assert.AreEqual(0f, MaxAbsDiff(original[i].Probabilities.ToArray(), fromDirectory[i].Probabilities.ToArray()), 2e-2f, "int8 rows stay close to the trained model");
        }
    }

    [TestMethod]
    public void Int8TokenTableStaysWithinHalfAStepAndReadsBackAsTheGraphComputesIt()
    {
        using var classifier = Build(EncoderKind.Conv, PoolingKind.Attention);
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        byte[] denseBytes = OnnxExporter.ExportToBytes(classifier);
        byte[] int8Bytes = OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { TokenTable = EmbeddingTableStorage.Int8 });
        using var dense = new InferenceSession(denseBytes);
        using var int8 = new InferenceSession(int8Bytes);
        float probabilityDiff = MaxAbsDiff(RunOnnx(dense, ids).Probabilities, RunOnnx(int8, ids).Probabilities);
        TestContext.WriteLine($"dense {denseBytes.Length:N0} bytes, int8 tokens {int8Bytes.Length:N0} bytes; max |diff| probabilities {probabilityDiff:E2}");
        Assert.IsLessThanOrEqualTo(2e-2f, probabilityDiff);

        var table = classifier.Network.named_parameters().Single(p => p.name == "embedding.weight").parameter;
        var trained = table.data<float>().ToArray();
        int dim = (int)table.shape[1];
        var weights = OnnxWeights.FromBytes(int8Bytes);
        Assert.AreEqual(EmbeddingTableStorage.Int8, weights.TableStorage("embedding.weight"));
        Assert.IsTrue(weights.TryGet("embedding.weight", table.shape, out var readBack));
        for (int r = 0; r < trained.Length / dim; r++)
        {
            float step = trained.AsSpan(r * dim, dim).ToArray().Max(Math.Abs) / 127f;
            for (int d = 0; d < dim; d++)
                Assert.IsLessThanOrEqualTo(step / 2 + 1e-7f, Math.Abs(trained[r * dim + d] - readBack[r * dim + d]), $"row {r}");
        }

        string directory = Path.Combine(TempDirectory(), "int8-tokens");
        OnnxExporter.SaveWithOnnx(classifier, directory, new OnnxExportOptions { TokenTable = EmbeddingTableStorage.Int8, WeightsInOnnxOnly = true });
        using var loaded = AttentionClassifier.Load(directory);
        Assert.AreEqual(EmbeddingTableStorage.Int8, loaded.TokenTable, "a loaded directory remembers how its tokens were stored");
        Assert.AreEqual(0f, MaxAbsDiff(RunOnnx(int8, ids).Probabilities, RunTorch(loaded, ids).Probabilities), 1e-5f, "the directory scores as its ONNX file");
        Assert.AreEqual(int8Bytes.Length, OnnxExporter.ExportToBytes(loaded).Length, 4096, "re-exporting keeps the int8 tokens");

        Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { TokenTable = EmbeddingTableStorage.TouchedRows }));
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = EmbeddingTableStorage.Int8 }));
    }

    [TestMethod]
    public void CompactDirectoryWithoutItsOnnxFileNamesTheMissingFile()
    {
        using var classifier = PartlyTouched();
        string compact = Path.Combine(TempDirectory(), "compact");
        OnnxExporter.SaveWithOnnx(classifier, compact, OnnxExportOptions.Compact());
        File.Delete(Path.Combine(compact, OnnxExporter.OnnxFileName));
        var error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(compact));
        StringAssert.Contains(error.Message, "model.onnx");
        StringAssert.Contains(error.Message, "missing");
    }

    [TestMethod]
    public void ArchitecturesWhoseWeightsCannotBeReadBackKeepWeightsBin()
    {
        // The BiLSTM's gates are rearranged for ONNX: its weights cannot be read back from the graph.
        using var classifier = Build(EncoderKind.BiLstm, PoolingKind.Attention);
        string directory = Path.Combine(TempDirectory(), "lstm");
        OnnxExporter.SaveWithOnnx(classifier, directory, OnnxExportOptions.Compact());
        Assert.IsTrue(File.Exists(Path.Combine(directory, AttentionClassifier.WeightsFile)));
        using var loaded = AttentionClassifier.Load(directory);
        Assert.AreEqual(classifier.Predict(Texts[2]).Label, loaded.Predict(Texts[2]).Label);
    }

    [TestMethod]
    public void TrainedNgramModelKeepsItsAccuracyWhenCompacted()
    {
        var train = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
        var test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();
        var options = AttentionClassifierOptions.Ngram();
        options.Model.BigramBuckets = 200_000;
        options.Training.Epochs = 2;
        options.Training.Threads = 1;
        using var classifier = AttentionClassifier.Train(train, null, options);
        string directory = Path.Combine(TempDirectory(), "ngram");
        OnnxExporter.SaveWithOnnx(classifier, directory, OnnxExportOptions.Compact());
        using var compact = AttentionClassifier.Load(directory);

        var full = classifier.Evaluate(test);
        var small = compact.Evaluate(test);
        var agree = classifier.Predict(test.Select(t => t.Text)).Zip(compact.Predict(test.Select(t => t.Text))).Count(p => p.First.Label == p.Second.Label);
        long bytes = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
        TestContext.WriteLine($"accuracy full {full.Accuracy:0.0000}, compact {small.Accuracy:0.0000}; {agree}/{test.Count} predictions agree; {bytes:N0} bytes (full table alone {200_000 * 16 * 4:N0})");
        Assert.IsLessThanOrEqualTo(0.01, Math.Abs(full.Accuracy - small.Accuracy));
        Assert.IsGreaterThanOrEqualTo(0.98 * test.Count, agree);
        Assert.IsLessThan(200_000L * 16 * 4 / 2, bytes, "the touched rows of a small corpus are a fraction of the table");
    }
}
