using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.MLNet;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Tests.Onnx;

namespace MLNetAttention.Tests.MLNet;

public sealed class PassThroughRow
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
    public float Weight { get; set; }
    [VectorType(3)]
    public float[] Features { get; set; } = [];
    public string[] Tags { get; set; } = [];
}

public sealed class BatchedRow
{
    public string Label { get; set; } = "";
    public float Weight { get; set; }
    [VectorType(3)]
    public float[] Features { get; set; } = [];
    public string[] Tags { get; set; } = [];
    public string[] Tokens { get; set; } = [];
    public int[] TokenOffsets { get; set; } = [];
    public float[] AttentionWeights { get; set; } = [];
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
    public float UnknownShare { get; set; }
}

public sealed class BatchedPairRow
{
    public string Text1 { get; set; } = "";
    public string Text2 { get; set; } = "";
    public string[] Tokens1 { get; set; } = [];
    public int[] TokenOffsets1 { get; set; } = [];
    public float[] AttentionWeights1 { get; set; } = [];
    public string[] Tokens2 { get; set; } = [];
    public int[] TokenOffsets2 { get; set; } = [];
    public float[] AttentionWeights2 { get; set; } = [];
    public float[] Score { get; set; } = [];
    public uint PredictedLabel { get; set; }
}

public sealed class BatchedCrossPairRow
{
    public float[] AttentionWeights1 { get; set; } = [];
    public float[] AttentionWeights2 { get; set; } = [];
    public float[] Alignment { get; set; } = [];
    public float[] Score { get; set; } = [];
}

/// <summary>
/// The batched ONNX step behind <c>Transform</c>: the same outputs as the chain (one row per ONNX Runtime call) and the
/// ONNX scorers, input columns unchanged and aligned, saving and loading, early disposal.
/// </summary>
[TestClass]
public sealed class BatchedScoringTests
{
    // Batched and one row per call run different shapes through ONNX Runtime: equal within float rounding.
    private const float Tolerance = 1e-6f;
    private const int Rows = 50;

    private static string WorkDirectory = "";
    private static string CharPath = "";
    private static string MultiHeadPath = "";
    private static string MatcherPath = "";
    private static string CrossPath = "";

    [ClassInitialize]
    public static void BuildModels(TestContext context)
    {
        WorkDirectory = OnnxTestModels.TempDirectory();
        CharPath = Path.Combine(WorkDirectory, "char.onnx");
        MultiHeadPath = Path.Combine(WorkDirectory, "multi-head.onnx");
        MatcherPath = Path.Combine(WorkDirectory, "matcher.onnx");
        CrossPath = Path.Combine(WorkDirectory, "cross.onnx");
        using (var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention))
            OnnxExporter.Export(classifier, CharPath);
        using (var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead, mode: TokenizationMode.Mixed))
            OnnxExporter.Export(classifier, MultiHeadPath);
        using (var matcher = OnnxTestModels.BuildMatcher(MatcherKind.Interactive, EncoderKind.Conv))
            OnnxExporter.Export(matcher, MatcherPath);
        using (var matcher = OnnxTestModels.BuildMatcher(MatcherKind.Cross, EncoderKind.ResConv, mode: TokenizationMode.Mixed))
            OnnxExporter.Export(matcher, CrossPath);
    }

    /// <summary>
    /// 50 real texts of mixed lengths: poems (many past the maximum length of 48 tokens), sentences, an empty and a blank
    /// text, unknown characters and words.
    /// </summary>
    private static string[] Texts()
    {
        string[] special = ["", "Hello WORLD, unknownwordxyz 月 Ünïcödé!", "   ", "\u0001", "Съешь же ещё"];
        var texts = special.Concat(OnnxTestModels.Texts).Concat(BundledSamples.ReadTexts("poetry-dynasty.test").Select(e => e.Text)).Take(Rows).ToArray();
        Assert.IsTrue(texts.Any(t => t.Length > 2 * OnnxTestModels.MaxLength), "a text should be longer than the maximum length");
        return texts;
    }

    private static PassThroughRow[] RowsOf(string[] texts) =>
    [
        .. texts.Select((t, i) => new PassThroughRow
        {
            Text = t, Label = $"label {i}", Weight = i * 0.5f, Features = [i, -i, i * i], Tags = [.. Enumerable.Range(0, i % 4).Select(k => $"tag {i}.{k}")],
        }),
    ];

    private static List<BatchedRow> Score(MLContext ml, ITransformer model, IDataView data) =>
        ml.Data.CreateEnumerable<BatchedRow>(model.Transform(data), reuseRowObject: false).ToList();

    private static void AssertClose(IReadOnlyList<BatchedRow> expected, IReadOnlyList<BatchedRow> actual, string what, float tolerance = Tolerance)
    {
        Assert.HasCount(expected.Count, actual, what);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.IsLessThanOrEqualTo(tolerance, OnnxTestModels.MaxAbsDiff(e.Score, a.Score), $"{what}: row {i} score");
            Assert.IsLessThanOrEqualTo(tolerance, OnnxTestModels.MaxAbsDiff(e.AttentionWeights, a.AttentionWeights), $"{what}: row {i} weights");
            Assert.AreEqual(e.PredictedLabel, a.PredictedLabel, $"{what}: row {i} label");
            CollectionAssert.AreEqual(e.Tokens, a.Tokens, $"{what}: row {i} tokens");
            CollectionAssert.AreEqual(e.TokenOffsets, a.TokenOffsets, $"{what}: row {i} offsets");
            Assert.AreEqual(e.UnknownShare, a.UnknownShare, $"{what}: row {i} unknown share");
        }
    }

    private static void AssertIdentical(IReadOnlyList<BatchedRow> expected, IReadOnlyList<BatchedRow> actual, string what)
    {
        Assert.HasCount(expected.Count, actual, what);
        for (int i = 0; i < expected.Count; i++)
        {
            CollectionAssert.AreEqual(expected[i].Score, actual[i].Score, $"{what}: row {i} score");
            CollectionAssert.AreEqual(expected[i].AttentionWeights, actual[i].AttentionWeights, $"{what}: row {i} weights");
            CollectionAssert.AreEqual(expected[i].Tokens, actual[i].Tokens, $"{what}: row {i} tokens");
            CollectionAssert.AreEqual(expected[i].TokenOffsets, actual[i].TokenOffsets, $"{what}: row {i} offsets");
            Assert.AreEqual(expected[i].PredictedLabel, actual[i].PredictedLabel, $"{what}: row {i} label");
        }
    }

    private static void AssertPassedThrough(PassThroughRow[] input, IReadOnlyList<BatchedRow> output, string what)
    {
        Assert.HasCount(input.Length, output, what);
        for (int i = 0; i < input.Length; i++)
        {
            Assert.AreEqual(input[i].Label, output[i].Label, $"{what}: row {i}");
            Assert.AreEqual(input[i].Weight, output[i].Weight, $"{what}: row {i}");
            CollectionAssert.AreEqual(input[i].Features, output[i].Features, $"{what}: row {i}");
            CollectionAssert.AreEqual(input[i].Tags, output[i].Tags, $"{what}: row {i}");
        }
    }

    [TestMethod]
    [DataRow(false, 7, 2)]
    [DataRow(false, 7, 1)]
    [DataRow(false, 3, 2)]
    [DataRow(false, 32, 2)]
    [DataRow(true, 7, 2)]
    [DataRow(true, 1, 3)]
    [DataRow(true, 64, 2)]
    public void BatchedTransformEqualsTheChainAndTheOnnxModelRowByRow(bool multiHead, int batchSize, int parallelBatches)
    {
        string path = multiHead ? MultiHeadPath : CharPath;
        var texts = Texts();
        var rows = RowsOf(texts);
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.AttentionPool(path, options: new AttentionPoolOptions { BatchSize = batchSize, ParallelBatches = parallelBatches }).Fit(data);
        Assert.AreEqual(multiHead ? 3 : 1, model.Heads);
        var step = model.Batched.OfType<BatchedOnnxTransformer>().Single();
        Assert.AreEqual((batchSize, parallelBatches), (step.BatchSize, step.ParallelBatches));

        var batched = Score(ml, model, data);
        AssertPassedThrough(rows, batched, "batched");
        var rowByRow = Score(ml, model.Chain, data);
        AssertClose(rowByRow, batched, "batched vs chain");

        using var onnx = AttentionOnnxModel.Load(path);
        int truncated = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(texts[i]))
            {
                Assert.IsEmpty(batched[i].Tokens, $"row {i}");
                Assert.HasCount(model.Heads, batched[i].AttentionWeights, $"row {i}: one unknown token");
                continue;
            }
            var expected = onnx.Predict(texts[i]);
            truncated += expected.TruncatedTokens > 0 ? 1 : 0;
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected.Probabilities, batched[i].Score), $"row {i} score");
            var weights = Enumerable.Range(0, expected.Heads).SelectMany(h => expected.Tokens.Select(t => t.Weights[h])).ToArray();
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(weights, batched[i].AttentionWeights), $"row {i} weights");
            Assert.AreEqual((uint)expected.LabelIndex + 1, batched[i].PredictedLabel, $"row {i} label");
            CollectionAssert.AreEqual(expected.Tokens.Select(t => t.Token).ToArray(), batched[i].Tokens, $"row {i} tokens");
            CollectionAssert.AreEqual(expected.Tokens.SelectMany(t => new[] { t.Offset, t.Length }).ToArray(), batched[i].TokenOffsets, $"row {i} offsets");
            Assert.AreEqual(expected.UnknownShare, batched[i].UnknownShare, 1e-6f, $"row {i} unknown share");
        }
        Assert.IsGreaterThan(0, truncated, "some text should be truncated");
        Assert.IsTrue(batched.Any(r => r.UnknownShare > 0), "some token should be unknown");
    }

    [TestMethod]
    public void OnlyTheColumnsAskedForAreRead()
    {
        var rows = RowsOf(Texts());
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.AttentionPool(CharPath, options: new AttentionPoolOptions { BatchSize = 7 }).Fit(data);
        var scored = model.Transform(data);

        // Input columns alone (the ONNX step need not run), then the score alone.
        using (var cursor = scored.GetRowCursor([scored.Schema["Weight"]]))
        {
            Assert.IsFalse(cursor.IsColumnActive(scored.Schema[AttentionPoolColumns.Score]));
            var weight = cursor.GetGetter<float>(scored.Schema["Weight"]);
            float value = 0;
            int count = 0;
            while (cursor.MoveNext())
            {
                weight(ref value);
                Assert.AreEqual(rows[count].Weight, value);
                Assert.AreEqual(count, cursor.Position);
                count++;
            }
            Assert.AreEqual(Rows, count);
        }
        var expected = Score(ml, model.Chain, data);
        using (var cursor = scored.GetRowCursor([scored.Schema[AttentionPoolColumns.Score]]))
        {
            var score = cursor.GetGetter<VBuffer<float>>(scored.Schema[AttentionPoolColumns.Score]);
            Assert.ThrowsExactly<InvalidOperationException>(() => cursor.GetGetter<VBuffer<double>>(scored.Schema[AttentionPoolColumns.Score]));
            VBuffer<float> value = default;
            int count = 0;
            while (cursor.MoveNext())
            {
                score(ref value);
                Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected[count++].Score, value.DenseValues().ToArray()));
            }
            Assert.AreEqual(Rows, count);
        }
    }

    [TestMethod]
    public void SaveAndLoadGiveIdenticalOutputsOnEitherPath()
    {
        var rows = RowsOf(Texts());
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new AttentionPoolOptions { BatchSize = 7 };
        using var model = ml.Transforms.AttentionPool(MultiHeadPath, options: options).Fit(data);
        var batched = Score(ml, model, data);
        var rowByRow = Score(ml, model.Chain, data);
        string path = Path.Combine(WorkDirectory, "batched.zip");
        ml.Model.Save(model, data.Schema, path);

        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        // Model.Load: ML.NET's own chain, one row per call, bit for bit the chain that was saved.
        var loaded = fresh.Model.Load(path, out _);
        AssertIdentical(rowByRow, Score(fresh, loaded, data), "Model.Load");
        // LoadAttentionPool with the same batch size: bit for bit the fitted transformer's Transform.
        var pooled = fresh.Model.LoadAttentionPool(path, out _, options);
        Assert.AreEqual(7, StepsOf(pooled).OfType<BatchedOnnxTransformer>().Single().BatchSize);
        Assert.IsEmpty(StepsOf(loaded).OfType<BatchedOnnxTransformer>());
        var again = Score(fresh, pooled, data);
        AssertIdentical(batched, again, "LoadAttentionPool");
        AssertPassedThrough(rows, again, "LoadAttentionPool");
        AssertClose(rowByRow, Score(fresh, fresh.Model.LoadAttentionPool(path, out _), data), "LoadAttentionPool, default batches");

        // A PredictionEngine over the loaded model maps one row at a time.
        var engine = fresh.Model.CreatePredictionEngine<PassThroughRow, BatchedRow>(pooled);
        var one = engine.Predict(rows[9]);
        Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(rowByRow[9].Score, one.Score));
        CollectionAssert.AreEqual(rowByRow[9].Tokens, one.Tokens);

        // The loaded model saves again as the same chain.
        string resaved = Path.Combine(WorkDirectory, "resaved-batched.zip");
        fresh.Model.Save(pooled, data.Schema, resaved);
        var third = new MLContext(3);
        third.ComponentCatalog.RegisterAttentionPool();
        AssertIdentical(rowByRow, Score(third, third.Model.Load(resaved, out _), data), "saved again");
        (pooled as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void ACursorDisposedEarlyStopsItsWorkAndClosesItsInput()
    {
        var rows = RowsOf([.. Enumerable.Range(0, 10).SelectMany(_ => Texts())]);
        var ml = new MLContext(1);
        var tracked = new TrackingDataView(ml.Data.LoadFromEnumerable(rows));
        using var model = ml.Transforms.AttentionPool(CharPath, options: new AttentionPoolOptions { BatchSize = 7 }).Fit(tracked);

        var first = ml.Data.CreateEnumerable<BatchedRow>(model.Transform(tracked), reuseRowObject: false).Take(3).ToList();
        Assert.HasCount(3, first);
        AssertPassedThrough(rows[..3], first, "first three");
        WaitUntilClosed(tracked);

        var scored = model.Transform(tracked);
        using (var cursor = scored.GetRowCursor(scored.Schema))
        {
            for (int i = 0; i < 3; i++)
                Assert.IsTrue(cursor.MoveNext());
        }
        using (scored.GetRowCursor(scored.Schema))
        {
        }
        WaitUntilClosed(tracked);
        Assert.IsGreaterThan(0, tracked.Opened);

        model.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => model.Transform(tracked));
    }

    private static IEnumerable<ITransformer> StepsOf(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(StepsOf) : [transformer];

    // ML.NET may close a cursor of its own parallel readers on another thread: give it a moment.
    private static void WaitUntilClosed(TrackingDataView view)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (view.Open > 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.AreEqual(0, view.Open, "every cursor on the input should be disposed");
    }

    [TestMethod]
    public void AGpuRequestFallsBackToTheCpuInTheBatchedStep()
    {
        bool cuda = ExecutionProvider.IsCudaAvailable();
        var rows = RowsOf(Texts());
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var cpu = ml.Transforms.AttentionPool(CharPath, options: new AttentionPoolOptions { BatchSize = 7 }).Fit(data);
        using var gpu = ml.Transforms.AttentionPool(CharPath, options: new AttentionPoolOptions { BatchSize = 7, GpuDeviceId = 0 }).Fit(data);
        Assert.AreEqual(cuda ? 0 : null, gpu.GpuDeviceId);
        var onGpu = Score(ml, gpu, data);
        AssertPassedThrough(rows, onGpu, "GPU request");
        // Without CUDA the step scores on the CPU, as the CPU transformer does; on a GPU, within the GPU's rounding.
        if (cuda)
            AssertClose(Score(ml, cpu, data), onGpu, "GPU", tolerance: 1e-4f);
        else
            AssertIdentical(Score(ml, cpu, data), onGpu, "GPU fallback");
    }

    [TestMethod]
    public void BatchOptionsBelowOneAreRefused()
    {
        var options = new AttentionPoolOptions();
        Assert.AreEqual(AttentionPoolOptions.DefaultBatchSize, options.BatchSize);
        Assert.AreEqual(AttentionPoolOptions.DefaultParallelBatches, options.ParallelBatches);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.BatchSize = 0);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.ParallelBatches = 0);
    }

    [TestMethod]
    public void OnlyAPipelineVariantGraphIsBatched()
    {
        byte[] exported = File.ReadAllBytes(CharPath);
        Assert.IsNull(PipelineGraph.ToBatched(exported), "an exported graph is not a variant");
        Assert.IsNull(PipelineGraph.ToBatched([1, 2, 3, 4]));
        var info = OnnxModelInfo.Read(exported);
        var batched = PipelineGraph.ToBatched(PipelineGraph.Build(exported, info));
        Assert.IsNotNull(batched);
        Assert.AreEqual(OnnxTestModels.MaxLength, batched.MaxLength);
        Assert.IsFalse(batched.HasAlignment);
        Assert.AreEqual(OnnxModelInfo.InputIdsName, batched.Sides.Single().GraphInput);
        var cross = File.ReadAllBytes(CrossPath);
        var crossBatched = PipelineGraph.ToBatched(PipelineGraph.Build(cross, OnnxModelInfo.Read(cross)));
        Assert.IsTrue(crossBatched is { HasAlignment: true, Sides.Count: 2 });
    }

    private static (string Text1, string Text2)[] Pairs()
    {
        var texts = Texts();
        return [.. texts.Zip(texts.Reverse().Skip(3).Concat(texts.Take(3)))];
    }

    [TestMethod]
    public void BatchedMatchEqualsTheChainAndTheOnnxMatcher()
    {
        var pairs = Pairs();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(pairs.Select(p => new PairRow { Text1 = p.Text1, Text2 = p.Text2 }));
        using var model = ml.Transforms.AttentionMatch(MatcherPath, options: new AttentionPoolOptions { BatchSize = 7 }).Fit(data);
        var batched = ml.Data.CreateEnumerable<BatchedPairRow>(model.Transform(data), reuseRowObject: false).ToList();
        var rowByRow = ml.Data.CreateEnumerable<BatchedPairRow>(model.Chain.Transform(data), reuseRowObject: false).ToList();
        Assert.HasCount(pairs.Length, batched);
        using var onnx = AttentionOnnxMatcher.Load(MatcherPath);
        for (int i = 0; i < pairs.Length; i++)
        {
            var (b, r) = (batched[i], rowByRow[i]);
            Assert.AreEqual(pairs[i].Text1, b.Text1, $"pair {i}");
            Assert.AreEqual(pairs[i].Text2, b.Text2, $"pair {i}");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(r.Score, b.Score), $"pair {i} score");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(r.AttentionWeights1, b.AttentionWeights1), $"pair {i} weights 1");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(r.AttentionWeights2, b.AttentionWeights2), $"pair {i} weights 2");
            Assert.AreEqual(r.PredictedLabel, b.PredictedLabel, $"pair {i} label");
            CollectionAssert.AreEqual(r.Tokens1, b.Tokens1, $"pair {i}");
            CollectionAssert.AreEqual(r.Tokens2, b.Tokens2, $"pair {i}");
            CollectionAssert.AreEqual(r.TokenOffsets1, b.TokenOffsets1, $"pair {i}");
            CollectionAssert.AreEqual(r.TokenOffsets2, b.TokenOffsets2, $"pair {i}");
            if (string.IsNullOrWhiteSpace(pairs[i].Text1) || string.IsNullOrWhiteSpace(pairs[i].Text2))
                continue;
            var expected = onnx.Predict(pairs[i].Text1, pairs[i].Text2);
            Assert.AreEqual(expected.Probability, b.Score[1], Tolerance, $"pair {i} match probability");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected.Tokens1.Select(t => t.Weight).ToArray(), b.AttentionWeights1), $"pair {i}");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected.Tokens2.Select(t => t.Weight).ToArray(), b.AttentionWeights2), $"pair {i}");
        }
    }

    [TestMethod]
    public void BatchedCrossMatchKeepsEachPairsAlignment()
    {
        var pairs = Pairs();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(pairs.Select(p => new PairRow { Text1 = p.Text1, Text2 = p.Text2 }));
        var options = new AttentionPoolOptions { BatchSize = 7 };
        using var model = ml.Transforms.AttentionMatch(CrossPath, options: options).Fit(data);
        var batched = ml.Data.CreateEnumerable<BatchedCrossPairRow>(model.Transform(data), reuseRowObject: false).ToList();
        var rowByRow = ml.Data.CreateEnumerable<BatchedCrossPairRow>(model.Chain.Transform(data), reuseRowObject: false).ToList();
        using var onnx = AttentionOnnxMatcher.Load(CrossPath);
        for (int i = 0; i < pairs.Length; i++)
        {
            var (b, r) = (batched[i], rowByRow[i]);
            Assert.AreEqual(b.AttentionWeights1.Length * b.AttentionWeights2.Length, b.Alignment.Length, $"pair {i}: T1 x T2");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(r.Alignment, b.Alignment), $"pair {i} alignment");
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(r.Score, b.Score), $"pair {i} score");
            if (string.IsNullOrWhiteSpace(pairs[i].Text1) || string.IsNullOrWhiteSpace(pairs[i].Text2))
                continue;
            var expected = onnx.Predict(pairs[i].Text1, pairs[i].Text2);
            Assert.IsLessThanOrEqualTo(Tolerance, OnnxTestModels.MaxAbsDiff(expected.Alignment!.Cast<float>().ToArray(), b.Alignment), $"pair {i} alignment (ONNX matcher)");
        }

        string path = Path.Combine(WorkDirectory, "cross-batched.zip");
        ml.Model.Save(model, data.Schema, path);
        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        var loaded = fresh.Model.LoadAttentionPool(path, out _, options);
        var again = fresh.Data.CreateEnumerable<BatchedCrossPairRow>(loaded.Transform(data), reuseRowObject: false).ToList();
        for (int i = 0; i < pairs.Length; i++)
        {
            CollectionAssert.AreEqual(batched[i].Alignment, again[i].Alignment, $"pair {i} alignment after LoadAttentionPool");
            CollectionAssert.AreEqual(batched[i].Score, again[i].Score, $"pair {i} score after LoadAttentionPool");
        }
    }

    /// <summary>A view that counts the cursors opened on it and those not yet disposed.</summary>
    private sealed class TrackingDataView(IDataView inner) : IDataView
    {
        private int _open;
        private int _opened;

        public int Open => Volatile.Read(ref _open);

        public int Opened => Volatile.Read(ref _opened);

        public bool CanShuffle => inner.CanShuffle;

        public DataViewSchema Schema => inner.Schema;

        public long? GetRowCount() => inner.GetRowCount();

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
            Track(inner.GetRowCursor(columnsNeeded, rand));

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
            [.. inner.GetRowCursorSet(columnsNeeded, n, rand).Select(Track)];

        private TrackedCursor Track(DataViewRowCursor cursor)
        {
            Interlocked.Increment(ref _open);
            Interlocked.Increment(ref _opened);
            return new TrackedCursor(cursor, () => Interlocked.Decrement(ref _open));
        }

        private sealed class TrackedCursor(DataViewRowCursor inner, Action closed) : DataViewRowCursor
        {
            private bool _disposed;

            public override DataViewSchema Schema => inner.Schema;

            public override long Position => inner.Position;

            public override long Batch => inner.Batch;

            public override bool MoveNext() => inner.MoveNext();

            public override ValueGetter<DataViewRowId> GetIdGetter() => inner.GetIdGetter();

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => inner.GetGetter<TValue>(column);

            public override bool IsColumnActive(DataViewSchema.Column column) => inner.IsColumnActive(column);

            protected override void Dispose(bool disposing)
            {
                if (!_disposed && disposing)
                {
                    _disposed = true;
                    inner.Dispose();
                    closed();
                }
                base.Dispose(disposing);
            }
        }
    }
}
