using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Onnx;

namespace MLNetAttention.MLNet;

/// <summary>
/// Scores a text column with an exported MLNetAttention classifier (an .onnx file written by <c>OnnxExporter</c>)
/// and adds the columns of <see cref="AttentionPoolColumns"/>: <c>Tokens</c>, <c>TokenOffsets</c>, <c>AttentionWeights</c>,
/// <c>Score</c> and <c>PredictedLabel</c>. Create it with <c>mlContext.Transforms.AttentionPool(...)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The estimator needs no training data: <see cref="Fit"/> only checks the input column (a scalar String) and builds a
/// chain of ML.NET's own transformers, which is what <c>mlContext.Model.Save</c> writes: a copy of the text column, a
/// stateless segmentation <c>CustomMapping</c>, <c>MapValue</c> from token to id (the vocabulary), <c>ApplyOnnxModel</c>
/// on a variant of the graph (truncation to the maximum length and the unknown id are inside it), a stateless token
/// <c>CustomMapping</c>, a stateless arg-max <c>CustomMapping</c> and <c>MapValue</c> from index to label as a key.
/// Loading the saved model needs this assembly registered:
/// <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c>. The fitted transformer's <c>Transform</c> runs that chain
/// with its ONNX step batched (<see cref="AttentionPoolOptions.BatchSize"/> rows per ONNX Runtime call, grouped by
/// length, <see cref="AttentionPoolOptions.ParallelBatches"/> at a time); a <c>PredictionEngine</c> scores one row per call.
/// </para>
/// <para>
/// An empty text (or one of whitespace only, or a missing value) has no tokens: its <c>Tokens</c> and <c>TokenOffsets</c>
/// are empty, and it is scored as a single unknown token, so its <c>Score</c> is the model's answer for "&lt;unk&gt;" alone
/// (finite, never NaN) and its <c>AttentionWeights</c> hold one weight per head, 1 (the placeholder's). No row throws:
/// filter empty texts out beforehand (<c>FilterByCustomPredicate</c>, or at load time) if they should not be scored.
/// </para>
/// </remarks>
public sealed class AttentionPoolEstimator : IEstimator<AttentionPoolTransformer>
{
    private readonly TransformsCatalog _catalog;
    private readonly byte[] _model;
    private readonly AttentionPoolOptions _options;

    internal AttentionPoolEstimator(TransformsCatalog catalog, byte[] model, string source, string inputColumnName, AttentionPoolOptions? options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        Info = PipelineChain.ReadInfo(model, source, OnnxModelInfo.ClassifierKindName);
        _catalog = catalog;
        _model = model;
        _options = options ?? new AttentionPoolOptions();
        InputColumnName = inputColumnName;
    }

    /// <summary>The model's metadata: labels, maximum length, heads and tokenizer.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>The text column scored.</summary>
    public string InputColumnName { get; }

    /// <summary>Checks the input column and returns the schema with the added columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a scalar String.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.CheckText(inputSchema, InputColumnName);
        return BuildChain(out _, out _).GetOutputSchema(inputSchema);
    }

    /// <summary>Checks the input column and builds the scoring chain; no data is read.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a scalar String.</exception>
    /// <exception cref="InvalidOperationException">A GPU was requested without fallback and ONNX Runtime has no CUDA provider.</exception>
    public AttentionPoolTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        SchemaChecks.CheckText(input.Schema, InputColumnName);
        var chain = BuildChain(out int? gpu, out byte[] variant).Fit(input);
        var batched = PipelineChain.Batched(chain, variant, gpu, _options);
        return new AttentionPoolTransformer(chain, batched, Info, InputColumnName, gpu);
    }

    private IEstimator<ITransformer> BuildChain(out int? gpuDeviceId, out byte[] variant) =>
        PipelineChain.Build(_catalog, Info, _model, _options, [InputColumnName], out gpuDeviceId, out variant);
}
