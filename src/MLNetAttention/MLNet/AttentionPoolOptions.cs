namespace MLNetAttention.MLNet;

/// <summary>
/// Options of the <see cref="AttentionPoolEstimator"/> and <see cref="AttentionMatchEstimator"/> (and of
/// <c>Model.LoadAttentionPool</c>): where ONNX Runtime runs the model, with how many threads, and how many rows it scores
/// per call.
/// </summary>
public sealed class AttentionPoolOptions
{
    /// <summary>Default <see cref="IntraOpNumThreads"/>: batches (or rows) already run on several threads.</summary>
    public const int DefaultIntraOpNumThreads = 1;

    /// <summary>Default <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>Default <see cref="ParallelBatches"/>.</summary>
    public const int DefaultParallelBatches = 2;

    private int _batchSize = DefaultBatchSize;
    private int _parallelBatches = DefaultParallelBatches;

    /// <summary>
    /// The CUDA device to score on, or null (the default) for the CPU. Needs the <c>Microsoft.ML.OnnxRuntime.Gpu</c>
    /// package instead of <c>Microsoft.ML.OnnxRuntime</c>; without its CUDA execution provider the id is never passed to
    /// ONNX Runtime (see <see cref="FallbackToCpu"/>).
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>
    /// When <see cref="GpuDeviceId"/> is set but the GPU cannot be used, score on the CPU (true, the default) instead of
    /// throwing.
    /// </summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>
    /// Threads ONNX Runtime uses inside one call: a batch of rows (<see cref="BatchSize"/>) in <c>Transform</c>, one row
    /// in a <c>PredictionEngine</c>. Default 1: <see cref="ParallelBatches"/> batches (and ML.NET's cursors, row by row)
    /// already run in parallel, and more threads per call oversubscribe the cores. Null for ONNX Runtime's default (all
    /// cores).
    /// </summary>
    public int? IntraOpNumThreads { get; set; } = DefaultIntraOpNumThreads;

    /// <summary>
    /// The most rows per ONNX Runtime call when the fitted transformer's <c>Transform</c> scores an <c>IDataView</c>
    /// (default 32): the ONNX step reads rows ahead, sorts them by length, cuts batches of texts of similar length, pads
    /// each to its longest text and serves the rows in input order. 1 scores one row per call. Outputs equal those of
    /// one row per call within float rounding.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int BatchSize
    {
        get => _batchSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(BatchSize));
            _batchSize = value;
        }
    }

    /// <summary>
    /// Batches ONNX Runtime scores at the same time in <c>Transform</c>, each on its own thread (default 2; 1 = one batch at a
    /// time). With <see cref="IntraOpNumThreads"/> = 1, set it to the cores the scoring should use.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int ParallelBatches
    {
        get => _parallelBatches;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(ParallelBatches));
            _parallelBatches = value;
        }
    }

    /// <summary>
    /// Folder for the pipeline's variant of the ONNX graph (a file named by its hash, written once). Null for
    /// <c>mlnet-attention/pipeline</c> under the system temporary folder. The saved ML.NET model embeds the graph and
    /// does not need the file.
    /// </summary>
    public string? CacheDirectory { get; set; }
}
