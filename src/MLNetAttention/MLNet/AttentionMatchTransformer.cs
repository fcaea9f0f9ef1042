using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Onnx;

namespace MLNetAttention.MLNet;

/// <summary>
/// The fitted <see cref="AttentionMatchEstimator"/>: scores a pair of text columns and adds the columns of
/// <see cref="AttentionMatchColumns"/>. It holds a chain of ML.NET's own transformers (<see cref="Chain"/>) and saves as
/// that chain, so <c>mlContext.Model.Load</c> gives back a <c>TransformerChain</c> with the same outputs (after
/// <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c>).
/// </summary>
/// <remarks>
/// As <see cref="AttentionPoolTransformer"/>: <see cref="Transform"/> batches the ONNX step (pairs grouped by the sum of
/// both texts' lengths, each side padded to its longest), <see cref="Chain"/> and a <c>PredictionEngine</c> score one pair
/// per ONNX Runtime call; outputs agree within float rounding (1e-6).
/// </remarks>
public sealed class AttentionMatchTransformer : ITransformer, IDisposable
{
    private readonly TransformerChain<ITransformer> _batched;

    internal AttentionMatchTransformer(ITransformer chain, TransformerChain<ITransformer> batched, OnnxModelInfo info, string text1ColumnName,
        string text2ColumnName, int? gpuDeviceId)
    {
        Chain = chain;
        _batched = batched;
        Info = info;
        Text1ColumnName = text1ColumnName;
        Text2ColumnName = text2ColumnName;
        GpuDeviceId = gpuDeviceId;
    }

    /// <summary>
    /// The chain of ML.NET transformers that does the work one pair per ONNX Runtime call: what gets saved, and what a
    /// <c>PredictionEngine</c> runs. <see cref="Transform"/> runs it with the ONNX step batched.
    /// </summary>
    public ITransformer Chain { get; }

    /// <summary>The chain <see cref="Transform"/> runs: <see cref="Chain"/>'s steps with the ONNX step batched.</summary>
    internal TransformerChain<ITransformer> Batched => _batched;

    /// <summary>The model's metadata.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>The first text column.</summary>
    public string Text1ColumnName { get; }

    /// <summary>The second text column.</summary>
    public string Text2ColumnName { get; }

    /// <summary>The labels, "0" (no match) and "1" (match): slot i of <c>Score</c> is <c>Labels[i]</c>, and key i + 1 of <c>PredictedLabel</c>.</summary>
    public IReadOnlyList<string> Labels => Info.Labels;

    /// <summary>The most tokens scored per text; later tokens are left out of its tokens and weights.</summary>
    public int MaxLength => Info.MaxLength;

    /// <summary>The CUDA device ONNX Runtime was given, or null when it scores on the CPU (including after a fallback).</summary>
    public int? GpuDeviceId { get; }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => Chain.IsRowToRowMapper;

    /// <summary>Checks both text columns and returns the output schema.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A text column is missing or not a scalar String.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        Check(inputSchema);
        return Chain.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        Check(inputSchema);
        return Chain.GetRowToRowMapper(inputSchema);
    }

    /// <summary>Scores <paramref name="input"/> lazily, like every ML.NET transformer, many pairs per ONNX Runtime call (in input order).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A text column is missing or not a scalar String.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input.Schema);
        return _batched.Transform(input);
    }

    /// <summary>Saves the chain of ML.NET transformers (called by <c>mlContext.Model.Save</c>).</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Chain.Save(ctx);

    /// <summary>Disposes the ONNX Runtime sessions (of <see cref="Chain"/> too).</summary>
    public void Dispose() => PipelineChain.Dispose(_batched);

    private void Check(DataViewSchema schema)
    {
        SchemaChecks.CheckText(schema, Text1ColumnName);
        SchemaChecks.CheckText(schema, Text2ColumnName);
    }
}
