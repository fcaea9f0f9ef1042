namespace MLNetAttention.MLNet;

/// <summary>Options of the <see cref="AttentionPoolEstimator"/>: where ONNX Runtime runs the model.</summary>
public sealed class AttentionPoolOptions
{
    /// <summary>Default <see cref="IntraOpNumThreads"/>: ML.NET already scores rows on several threads.</summary>
    public const int DefaultIntraOpNumThreads = 1;

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
    /// Threads ONNX Runtime uses inside one row's inference. Default 1: ML.NET's cursors already score rows in
    /// parallel, and more threads per row oversubscribe the cores. Null for ONNX Runtime's default (all cores).
    /// </summary>
    public int? IntraOpNumThreads { get; set; } = DefaultIntraOpNumThreads;

    /// <summary>
    /// Folder for the pipeline's variant of the ONNX graph (a file named by its hash, written once). Null for
    /// <c>mlnet-attention/pipeline</c> under the system temporary folder. The saved ML.NET model embeds the graph and
    /// does not need the file.
    /// </summary>
    public string? CacheDirectory { get; set; }
}
