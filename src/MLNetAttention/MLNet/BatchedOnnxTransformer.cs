using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MLNetAttention.MLNet;

/// <summary>
/// The ONNX step of the AttentionPool and AttentionMatch chains, scoring many rows per ONNX Runtime call. It stands where
/// ML.NET's <c>ApplyOnnxModel</c> step stands, with the same output columns and types, and wraps that step:
/// <see cref="Transform"/> returns a <see cref="BatchedOnnxDataView"/>, which reads rows ahead, groups them by length
/// into padded batches and runs several batches at once on the graph with a batch axis
/// (<see cref="PipelineGraph.ToBatched"/>); saving and row-to-row mapping (a <c>PredictionEngine</c>, one row per call
/// anyway) go to the wrapped step, so a saved model is still nothing but ML.NET's own transformers.
/// </summary>
internal sealed class BatchedOnnxTransformer : ITransformer, IDisposable
{
    private readonly ITransformer _rowByRow;
    private readonly int? _gpuDeviceId;
    private readonly int? _intraOpNumThreads;
    private readonly bool _fallbackToCpu;
    private readonly Lock _lock = new();
    private SessionOptions? _sessionOptions;
    private InferenceSession? _session;
    private bool _disposed;

    /// <summary>Wraps <paramref name="rowByRow"/>, the <c>ApplyOnnxModel</c> step on the variant <paramref name="graph"/> was recovered from.</summary>
    public BatchedOnnxTransformer(ITransformer rowByRow, BatchedGraph graph, int? gpuDeviceId, AttentionPoolOptions options)
    {
        _rowByRow = rowByRow;
        Graph = graph;
        _gpuDeviceId = gpuDeviceId;
        _intraOpNumThreads = options.IntraOpNumThreads;
        _fallbackToCpu = options.FallbackToCpu;
        BatchSize = options.BatchSize;
        ParallelBatches = options.ParallelBatches;
        InputNames = [.. graph.Sides.Select(s => s.GraphInput)];
        OutputNames =
        [
            PipelineGraph.ScoreName, .. graph.Sides.Select(s => s.Weights),
            .. graph.HasAlignment ? [Onnx.OnnxModelInfo.AlignmentName] : Array.Empty<string>(),
        ];
    }

    /// <summary>The graph with a batch axis.</summary>
    public BatchedGraph Graph { get; }

    /// <summary>Rows per ONNX Runtime call.</summary>
    public int BatchSize { get; }

    /// <summary>Batches scored at the same time.</summary>
    public int ParallelBatches { get; }

    /// <summary>The graph's inputs, one per side.</summary>
    public string[] InputNames { get; }

    /// <summary>The graph's outputs: the score, the weights of each side and the alignment when there is one.</summary>
    public string[] OutputNames { get; }

    /// <summary>The wrapped <c>ApplyOnnxModel</c> step.</summary>
    public ITransformer RowByRow => _rowByRow;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => _rowByRow.IsRowToRowMapper;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _rowByRow.GetOutputSchema(inputSchema);

    /// <summary>The wrapped step's mapper: one row per ONNX Runtime call.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _rowByRow.GetRowToRowMapper(inputSchema);

    /// <summary>Scores <paramref name="input"/> lazily, many rows per ONNX Runtime call.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new BatchedOnnxDataView(this, input, GetOutputSchema(input.Schema));
    }

    /// <summary>Saves the wrapped <c>ApplyOnnxModel</c> step.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _rowByRow.Save(ctx);

    /// <summary>
    /// The session, created on first use. <c>InferenceSession.Run</c> is thread-safe, so the parallel batches share it
    /// (one copy of the weights); each call runs on <see cref="AttentionPoolOptions.IntraOpNumThreads"/> threads.
    /// </summary>
    public InferenceSession Session
    {
        get
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _session ??= CreateSession();
            }
        }
    }

    /// <summary>Disposes the session and the wrapped step.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _session?.Dispose();
            _sessionOptions?.Dispose();
            _session = null;
            _sessionOptions = null;
        }
        (_rowByRow as IDisposable)?.Dispose();
    }

    private InferenceSession CreateSession()
    {
        if (_gpuDeviceId is { } id)
        {
            try
            {
                return Open(id);
            }
            catch (Exception e) when (_fallbackToCpu && e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                // ExecutionProvider.Resolve found CUDA, but the session could not start on it: score on the CPU, as ApplyOnnxModel does.
            }
        }
        return Open(null);
    }

    private InferenceSession Open(int? gpuDeviceId)
    {
        var options = new SessionOptions { InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        try
        {
            if (_intraOpNumThreads is { } threads)
                options.IntraOpNumThreads = threads;
            if (gpuDeviceId is { } id)
                options.AppendExecutionProvider_CUDA(id);
            var session = new InferenceSession(Graph.Model, options);
            _sessionOptions = options;
            return session;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
