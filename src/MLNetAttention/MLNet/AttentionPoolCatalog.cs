using Microsoft.ML.Runtime;
using MLNetAttention.MLNet;
using MLNetAttention.Onnx;

namespace Microsoft.ML;

/// <summary>
/// ML.NET catalog extensions of MLNetAttention: <c>mlContext.Transforms.AttentionPool(...)</c> scores a text column with
/// an exported attention-pooling classifier and <c>mlContext.Transforms.AttentionMatch(...)</c> a text pair with
/// an exported matcher, and <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c> lets <c>mlContext.Model.Load</c> read their models.
/// </summary>
public static class AttentionPoolCatalog
{
    /// <summary>The default text column.</summary>
    public const string DefaultInputColumnName = "Text";

    /// <summary>
    /// Create an <see cref="AttentionPoolEstimator"/>, which scores the text column <paramref name="inputColumnName"/> with the
    /// classifier in <paramref name="modelPath"/> and adds <c>Tokens</c>, <c>TokenOffsets</c>, <c>AttentionWeights</c>,
    /// <c>Score</c> and <c>PredictedLabel</c> (see <see cref="AttentionPoolColumns"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">An .onnx file exported by MLNetAttention (<c>OnnxExporter</c> in MLNetAttention.TorchSharp, or <c>mlnet-attention export</c>).</param>
    /// <param name="inputColumnName">The text column, a scalar String.</param>
    /// <param name="options">GPU, threads, batches and cache folder; null for the defaults (CPU, batches of 32 rows, two at a time, one thread each).</param>
    /// <remarks>
    /// The estimator reads no data. Input: a String column. Needs Microsoft.ML.OnnxTransformer and ONNX Runtime (CPU, or
    /// Microsoft.ML.OnnxRuntime.Gpu for <see cref="AttentionPoolOptions.GpuDeviceId"/>). The fitted model saves with
    /// <c>mlContext.Model.Save</c>; loading it needs <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c> first.
    /// </remarks>
    /// <example>
    /// <code>
    /// var model = mlContext.Transforms.AttentionPool("model.onnx", "Text").Fit(data);
    /// var scored = model.Transform(data); // Tokens, TokenOffsets, AttentionWeights, Score, PredictedLabel
    /// </code>
    /// </example>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="MLNetAttention.ModelLoadException">The file is not an MLNetAttention classifier (a matcher is refused: use <c>AttentionMatch</c>).</exception>
    public static AttentionPoolEstimator AttentionPool(this TransformsCatalog catalog, string modelPath,
        string inputColumnName = DefaultInputColumnName, AttentionPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"The ONNX model '{modelPath}' does not exist. Export one with OnnxExporter.Export (MLNetAttention.TorchSharp).", modelPath);
        return new AttentionPoolEstimator(catalog, File.ReadAllBytes(modelPath), modelPath, inputColumnName, options);
    }

    /// <summary>
    /// Create an <see cref="AttentionPoolEstimator"/> from a stream holding an exported .onnx model (read to its end, not
    /// disposed); otherwise as <see cref="AttentionPool(TransformsCatalog, string, string, AttentionPoolOptions?)"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="model">The bytes of an .onnx file exported by MLNetAttention.</param>
    /// <param name="inputColumnName">The text column, a scalar String.</param>
    /// <param name="options">GPU, threads, batches and cache folder; null for the defaults.</param>
    /// <exception cref="MLNetAttention.ModelLoadException">The bytes are not an MLNetAttention classifier.</exception>
    public static AttentionPoolEstimator AttentionPool(this TransformsCatalog catalog, Stream model,
        string inputColumnName = DefaultInputColumnName, AttentionPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        using var buffer = new MemoryStream();
        model.CopyTo(buffer);
        return new AttentionPoolEstimator(catalog, buffer.ToArray(), "the ONNX model stream", inputColumnName, options);
    }

    /// <summary>The default first text column of <c>AttentionMatch</c>.</summary>
    public const string DefaultText1ColumnName = "Text1";

    /// <summary>The default second text column of <c>AttentionMatch</c>.</summary>
    public const string DefaultText2ColumnName = "Text2";

    /// <summary>
    /// Create an <see cref="AttentionMatchEstimator"/>, which scores the text pair in <paramref name="text1ColumnName"/> and
    /// <paramref name="text2ColumnName"/> with the matcher in <paramref name="modelPath"/> and adds <c>Tokens1</c>,
    /// <c>TokenOffsets1</c>, <c>AttentionWeights1</c>, <c>Tokens2</c>, <c>TokenOffsets2</c>, <c>AttentionWeights2</c>,
    /// <c>Score</c> (probabilities, slot 1 = match) and <c>PredictedLabel</c> (a key over "0", "1"), and for a cross-attention
    /// matcher <c>Alignment</c> (row-major tokens1 × tokens2; see <see cref="AttentionMatchColumns"/>).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">An .onnx matcher exported by MLNetAttention (<c>OnnxExporter</c> in MLNetAttention.TorchSharp).</param>
    /// <param name="text1ColumnName">The first text column, a scalar String.</param>
    /// <param name="text2ColumnName">The second text column, a scalar String.</param>
    /// <param name="options">GPU, threads, batches and cache folder; null for the defaults (CPU, batches of 32 rows, two at a time, one thread each).</param>
    /// <remarks>
    /// The estimator reads no data. The fitted model saves with <c>mlContext.Model.Save</c> and loads with
    /// <c>mlContext.Model.LoadAttentionPool</c> after <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c>.
    /// <c>MulticlassClassification.Evaluate</c> works on its output with a key label over "0", "1" (in that order).
    /// </remarks>
    /// <example>
    /// <code>
    /// var model = mlContext.Transforms.AttentionMatch("matcher.onnx", "Question1", "Question2").Fit(data);
    /// var scored = model.Transform(data); // Tokens1 … AttentionWeights2, Score, PredictedLabel
    /// </code>
    /// </example>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="MLNetAttention.ModelLoadException">The file is not an MLNetAttention matcher (a classifier is refused: use <c>AttentionPool</c>).</exception>
    public static AttentionMatchEstimator AttentionMatch(this TransformsCatalog catalog, string modelPath,
        string text1ColumnName = DefaultText1ColumnName, string text2ColumnName = DefaultText2ColumnName, AttentionPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"The ONNX model '{modelPath}' does not exist. Export a matcher with OnnxExporter.Export.", modelPath);
        return new AttentionMatchEstimator(catalog, File.ReadAllBytes(modelPath), modelPath, text1ColumnName, text2ColumnName, options);
    }

    /// <summary>
    /// Create an <see cref="AttentionMatchEstimator"/> from a stream holding an exported .onnx matcher (read to its end, not
    /// disposed); otherwise as <see cref="AttentionMatch(TransformsCatalog, string, string, string, AttentionPoolOptions?)"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="model">The bytes of an .onnx matcher exported by MLNetAttention.</param>
    /// <param name="text1ColumnName">The first text column, a scalar String.</param>
    /// <param name="text2ColumnName">The second text column, a scalar String.</param>
    /// <param name="options">GPU, threads, batches and cache folder; null for the defaults.</param>
    /// <exception cref="MLNetAttention.ModelLoadException">The bytes are not an MLNetAttention matcher.</exception>
    public static AttentionMatchEstimator AttentionMatch(this TransformsCatalog catalog, Stream model,
        string text1ColumnName = DefaultText1ColumnName, string text2ColumnName = DefaultText2ColumnName, AttentionPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        using var buffer = new MemoryStream();
        model.CopyTo(buffer);
        return new AttentionMatchEstimator(catalog, buffer.ToArray(), "the ONNX model stream", text1ColumnName, text2ColumnName, options);
    }

    /// <summary>
    /// Loads a model saved with <c>mlContext.Model.Save</c>, like <c>mlContext.Model.Load</c>, and gives its AttentionPool
    /// and AttentionMatch steps back the ONNX Runtime settings of <paramref name="options"/> (ML.NET does not save them: after a plain
    /// <c>Load</c>, ONNX Runtime uses all cores per row on top of ML.NET's row parallelism, which is slower) and their
    /// batching: the model's <c>Transform</c> scores many rows per ONNX Runtime call, as the fitted transformer's does (same
    /// outputs as the fitted transformer with the same <see cref="AttentionPoolOptions.BatchSize"/>, and as a plain
    /// <c>Load</c> within float rounding), while a <c>PredictionEngine</c> scores one row per call as after a plain
    /// <c>Load</c>. Call <c>mlContext.ComponentCatalog.RegisterAttentionPool()</c> first.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="filePath">The .zip written by <c>mlContext.Model.Save</c>.</param>
    /// <param name="inputSchema">The input schema saved with the model.</param>
    /// <param name="options">Threads, batches, GPU and cache folder; null for the defaults (one thread per call, batches of 32, two at a time, CPU).</param>
    /// <returns>The model: a <c>TransformerChain</c> whose ONNX steps batch; it saves as the chain of ML.NET transformers it was loaded from.</returns>
    /// <example>
    /// <code>
    /// mlContext.ComponentCatalog.RegisterAttentionPool();
    /// var model = mlContext.Model.LoadAttentionPool("model.zip", out var schema);
    /// </code>
    /// </example>
    public static ITransformer LoadAttentionPool(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema,
        AttentionPoolOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        return AttentionPoolModelLoader.Load(catalog, filePath, out inputSchema, options ?? new AttentionPoolOptions());
    }

    /// <summary>
    /// Registers MLNetAttention's pipeline steps so that <c>mlContext.Model.Load</c> can read a saved AttentionPool model.
    /// Call it once per <see cref="MLContext"/> before loading, as ML.NET requires for the <c>CustomMapping</c> steps
    /// (contracts <c>MLNetAttention.Segment.Char</c>, <c>.Segment.Mixed</c>, <c>.Tokens</c>, <c>.ArgMax</c>, and for
    /// <c>AttentionMatch</c> <c>.Segment2.Char</c>, <c>.Segment2.Mixed</c>, <c>.Tokens1</c>, <c>.Tokens2</c>).
    /// </summary>
    /// <param name="catalog">The context's component catalog (<c>mlContext.ComponentCatalog</c>).</param>
    public static void RegisterAttentionPool(this ComponentCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.RegisterAssembly(typeof(AttentionPoolEstimator).Assembly);
    }
}
