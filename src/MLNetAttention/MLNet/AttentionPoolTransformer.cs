using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Onnx;

namespace MLNetAttention.MLNet;

/// <summary>
/// The fitted <see cref="AttentionPoolEstimator"/>: scores a text column and adds the columns of
/// <see cref="AttentionPoolColumns"/>. It holds a chain of ML.NET's own transformers (<see cref="Chain"/>) and saves as
/// that chain, so <c>mlContext.Model.Load</c> gives back a <c>TransformerChain</c> with the same outputs (after
/// <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c>).
/// </summary>
/// <remarks>
/// <see cref="Transform"/> runs the same chain with its ONNX step batched: many rows per ONNX Runtime call
/// (<see cref="AttentionPoolOptions.BatchSize"/>, <see cref="AttentionPoolOptions.ParallelBatches"/> at a time), with
/// outputs equal to <see cref="Chain"/>'s, which scores one row per call, within float rounding (1e-6). A
/// <c>PredictionEngine</c> maps one row at a time through <see cref="Chain"/>. Dispose the transformer to free its ONNX
/// Runtime sessions.
/// </remarks>
public sealed class AttentionPoolTransformer : ITransformer, IDisposable
{
    private readonly TransformerChain<ITransformer> _batched;

    internal AttentionPoolTransformer(ITransformer chain, TransformerChain<ITransformer> batched, OnnxModelInfo info, string inputColumnName, int? gpuDeviceId)
    {
        Chain = chain;
        _batched = batched;
        Info = info;
        InputColumnName = inputColumnName;
        GpuDeviceId = gpuDeviceId;
    }

    /// <summary>
    /// The chain of ML.NET transformers that does the work one row per ONNX Runtime call: what gets saved, and what a
    /// <c>PredictionEngine</c> runs. <see cref="Transform"/> runs it with the ONNX step batched.
    /// </summary>
    public ITransformer Chain { get; }

    /// <summary>The chain <see cref="Transform"/> runs: <see cref="Chain"/>'s steps with the ONNX step batched.</summary>
    internal TransformerChain<ITransformer> Batched => _batched;

    /// <summary>The model's metadata.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>The text column scored.</summary>
    public string InputColumnName { get; }

    /// <summary>The labels: slot i of <c>Score</c> is <c>Labels[i]</c>, and key i + 1 of <c>PredictedLabel</c>.</summary>
    public IReadOnlyList<string> Labels => Info.Labels;

    /// <summary>Weight rows per token: <c>AttentionWeights</c> holds <c>Heads × tokens</c> values, head-major.</summary>
    public int Heads => Info.Heads;

    /// <summary>The most tokens scored per text; later tokens are left out of <c>Tokens</c> and <c>AttentionWeights</c>.</summary>
    public int MaxLength => Info.MaxLength;

    /// <summary>The CUDA device ONNX Runtime was given, or null when it scores on the CPU (including after a fallback).</summary>
    public int? GpuDeviceId { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => Chain.IsRowToRowMapper;

    /// <summary>Checks the input column and returns the output schema.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a scalar String.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        SchemaChecks.CheckText(inputSchema, InputColumnName);
        return Chain.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        SchemaChecks.CheckText(inputSchema, InputColumnName);
        return Chain.GetRowToRowMapper(inputSchema);
    }

    /// <summary>
    /// Scores <paramref name="input"/> lazily, like every ML.NET transformer, many rows per ONNX Runtime call: a cursor
    /// reads rows ahead, scores them in batches of similar length and returns them in input order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a scalar String.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        SchemaChecks.CheckText(input.Schema, InputColumnName);
        return _batched.Transform(input);
    }

    /// <summary>Saves the chain of ML.NET transformers (called by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Chain.Save(ctx);

    /// <summary>Disposes the ONNX Runtime sessions (of <see cref="Chain"/> too).</summary>
    public void Dispose() => PipelineChain.Dispose(_batched);
}
