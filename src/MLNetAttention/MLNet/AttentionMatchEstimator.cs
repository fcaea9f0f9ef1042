using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Onnx;

namespace MLNetAttention.MLNet;

/// <summary>
/// Scores a pair of text columns with an exported MLNetAttention matcher (an .onnx file of kind "matcher" written by
/// <c>OnnxExporter</c>) and adds the columns of <see cref="AttentionMatchColumns"/>: <c>Tokens1</c>,
/// <c>TokenOffsets1</c>, <c>AttentionWeights1</c>, <c>Tokens2</c>, <c>TokenOffsets2</c>, <c>AttentionWeights2</c>,
/// <c>Score</c> (the two probabilities, slot 1 = match) and <c>PredictedLabel</c> (a key over "0", "1"), and for a
/// cross-attention matcher <c>Alignment</c> (row-major tokens1 × tokens2). Create it with
/// <c>mlContext.Transforms.AttentionMatch(...)</c>.
/// </summary>
/// <remarks>
/// The same chain of ML.NET's own transformers as <see cref="AttentionPoolEstimator"/>, with the copy, segmentation,
/// token → id and token steps once per text and one <c>ApplyOnnxModel</c> for the pair, so it saves with
/// <c>mlContext.Model.Save</c> and loads with <c>mlContext.Model.LoadAttentionPool</c> (or <c>Model.Load</c>) after
/// <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c>. An empty text is scored as one unknown token, as in
/// <see cref="AttentionPoolEstimator"/>.
/// </remarks>
public sealed class AttentionMatchEstimator : IEstimator<AttentionMatchTransformer>
{
    private readonly TransformsCatalog _catalog;
    private readonly byte[] _model;
    private readonly AttentionPoolOptions _options;

    internal AttentionMatchEstimator(TransformsCatalog catalog, byte[] model, string source, string text1ColumnName, string text2ColumnName,
        AttentionPoolOptions? options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(text1ColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(text2ColumnName);
        Info = PipelineChain.ReadInfo(model, source, OnnxModelInfo.MatcherKindName);
        _catalog = catalog;
        _model = model;
        _options = options ?? new AttentionPoolOptions();
        Text1ColumnName = text1ColumnName;
        Text2ColumnName = text2ColumnName;
    }

    /// <summary>The model's metadata: kind "matcher", labels "0" and "1", maximum length and tokenizer.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>The first text column.</summary>
    public string Text1ColumnName { get; }

    /// <summary>The second text column.</summary>
    public string Text2ColumnName { get; }

    /// <summary>Checks both text columns and returns the schema with the added columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A text column is missing or not a scalar String.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        SchemaChecks.CheckText(inputSchema, Text1ColumnName);
        SchemaChecks.CheckText(inputSchema, Text2ColumnName);
        return BuildChain(out _, out _).GetOutputSchema(inputSchema);
    }

    /// <summary>Checks both text columns and builds the scoring chain; no data is read.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A text column is missing or not a scalar String.</exception>
    /// <exception cref="InvalidOperationException">A GPU was requested without fallback and ONNX Runtime has no CUDA provider.</exception>
    public AttentionMatchTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        SchemaChecks.CheckText(input.Schema, Text1ColumnName);
        SchemaChecks.CheckText(input.Schema, Text2ColumnName);
        var chain = BuildChain(out int? gpu, out byte[] variant).Fit(input);
        var batched = PipelineChain.Batched(chain, variant, gpu, _options);
        return new AttentionMatchTransformer(chain, batched, Info, Text1ColumnName, Text2ColumnName, gpu);
    }

    private IEstimator<ITransformer> BuildChain(out int? gpuDeviceId, out byte[] variant) =>
        PipelineChain.Build(_catalog, Info, _model, _options, [Text1ColumnName, Text2ColumnName], out gpuDeviceId, out variant);
}
