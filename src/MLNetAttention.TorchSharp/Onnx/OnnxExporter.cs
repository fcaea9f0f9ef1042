using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Models;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using Onnx;

namespace MLNetAttention.Onnx;

/// <summary>Options of <see cref="OnnxExporter"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>Load the exported bytes in ONNX Runtime before returning or writing them. Default: true.</summary>
    public bool Validate { get; set; } = true;

    /// <summary>A free-text description stored as the model's doc_string; null for a default one.</summary>
    public string? Description { get; set; }

    /// <summary>
    /// How the hashed-bigram table is stored (classifiers with bigrams only); the compact forms keep only the rows training
    /// touched. Default null: as the classifier was loaded (<see cref="AttentionClassifier.BigramTable"/>), which is
    /// <see cref="EmbeddingTableStorage.Dense"/>, the table as trained, for a classifier fresh from training.
    /// </summary>
    public EmbeddingTableStorage? BigramTable { get; set; }

    /// <summary>
    /// With a compact <see cref="BigramTable"/>: keep at most this many touched rows, those with the largest L2 norm (as
    /// fastText's <c>quantize -cutoff</c> keeps the largest-norm n-gram rows); the rest become the zero row. A row
    /// that training touched rarely stays near its zero start, so the smallest rows matter least. 0 (the default): keep
    /// every touched row.
    /// </summary>
    public int MaxBigramRows { get; set; }

    /// <summary>
    /// How the token embeddings (the classifier's and its companion's) are stored: <see cref="EmbeddingTableStorage.Dense"/>
    /// float32 or <see cref="EmbeddingTableStorage.Int8"/> (every row in int8 with a per-row scale, a quarter of the size).
    /// Default null: as the classifier was loaded (<see cref="AttentionClassifier.TokenTable"/>).
    /// </summary>
    public EmbeddingTableStorage? TokenTable { get; set; }

    /// <summary>
    /// For <see cref="OnnxExporter.SaveWithOnnx(AttentionClassifier, string, OnnxExportOptions?)"/>: keep the weights in
    /// model.onnx only, without weights.bin beside it; loading the directory reads them back from the graph. Used
    /// only when every parameter can be read back (otherwise weights.bin is written as well). Default: false.
    /// </summary>
    public bool WeightsInOnnxOnly { get; set; }

    /// <summary>
    /// The compact layout (what <c>train --preset ngram</c> writes): one copy of the weights, in model.onnx, with the
    /// touched bigram rows and the token embeddings in int8 with per-row scales.
    /// </summary>
    public static OnnxExportOptions Compact() => new()
    {
        BigramTable = EmbeddingTableStorage.TouchedRowsInt8, TokenTable = EmbeddingTableStorage.Int8, WeightsInOnnxOnly = true,
    };
}

/// <summary>
/// Exports a trained <see cref="AttentionClassifier"/> (or <see cref="AttentionMatcher"/>) to a self-contained ONNX model (opset 17, IR version 8)
/// whose second output is the attention weights. The labels, the tokenizer and the architecture travel in the
/// model's metadata (see <see cref="OnnxModelInfo"/>), so a consumer in any language needs only the .onnx file.
/// </summary>
/// <remarks>
/// Classifier: input <c>input_ids</c>: int64 [batch, seq] token ids, 0 = padding (the mask is ids != 0, computed in the graph).
/// Outputs <c>probabilities</c>: float [batch, classes]; <c>attention_weights</c>: float [batch, seq], or
/// [batch, heads, seq] for multi-head pooling (max pooling: each token's share of the maxima it supplied; mean
/// pooling: uniform). Matcher: see <see cref="Export(AttentionMatcher, string, OnnxExportOptions?)"/>.
/// Dropout is left out (inference), so the graph reproduces the network in eval mode.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>Exports <paramref name="classifier"/> to <paramref name="path"/>, replacing the file atomically.</summary>
    /// <exception cref="IOException">The file cannot be written (the message names the path).</exception>
    public static void Export(AttentionClassifier classifier, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Write(path, ExportToBytes(classifier, options));
    }

    /// <summary>
    /// Saves <paramref name="classifier"/> as a model directory with its export, model.onnx, inside: both are written
    /// beside <paramref name="directory"/> and swapped in as a whole, and model.json records model.onnx's hash, which
    /// loading checks.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be written, or holds unrelated files.</exception>
    public static void SaveWithOnnx(AttentionClassifier classifier, string directory, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        byte[] onnx = ExportToBytes(classifier, options);
        int weightsInOnnxFormat = options?.WeightsInOnnxOnly == true ? ModelDirectory.WeightsInOnnxFormat(onnx, classifier.Network) : 0;
        classifier.Save(directory, staging => Write(Path.Combine(staging, OnnxFileName), onnx), weightsInOnnxFormat);
    }

    /// <summary>Saves <paramref name="matcher"/> with model.onnx inside, as <see cref="SaveWithOnnx(AttentionClassifier, string, OnnxExportOptions?)"/>.</summary>
    /// <exception cref="IOException">The directory cannot be written, or holds unrelated files.</exception>
    public static void SaveWithOnnx(AttentionMatcher matcher, string directory, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        byte[] onnx = ExportToBytes(matcher, options);
        matcher.Save(directory, staging => Write(Path.Combine(staging, OnnxFileName), onnx));
    }

    /// <summary>The ONNX file's name inside a model directory.</summary>
    public const string OnnxFileName = ModelDirectory.OnnxFile;

    /// <summary>Exports <paramref name="classifier"/> and returns the bytes of the .onnx file.</summary>
    public static byte[] ExportToBytes(AttentionClassifier classifier, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        var network = classifier.Network;
        var modelOptions = network.Options;
        if (classifier.Labels.Count != modelOptions.NumClasses)
            throw new ArgumentException($"The classifier has {classifier.Labels.Count} labels but its network has {modelOptions.NumClasses} outputs.", nameof(classifier));
        var tokenTable = options?.TokenTable ?? classifier.TokenTable;
        if (tokenTable is not (EmbeddingTableStorage.Dense or EmbeddingTableStorage.Int8))
            throw new ArgumentException($"TokenTable {tokenTable}: the token embedding is stored Dense or Int8 (every row is in use).", nameof(options));
        if (options?.BigramTable == EmbeddingTableStorage.Int8)
            throw new ArgumentException("BigramTable Int8: a bigram table keeps its touched rows; use TouchedRowsInt8.", nameof(options));
        return Build(ClassifierGraph.Build(network, options?.BigramTable ?? classifier.BigramTable, options?.MaxBigramRows ?? 0, tokenTable), options,
            $"MLNetAttention text classifier ({modelOptions.Encoder} encoder, {modelOptions.Pooling} pooling, {modelOptions.NumClasses} classes). Input input_ids int64 [batch, seq], 0 = padding; outputs probabilities [batch, classes] and attention_weights.",
            OnnxModelInfo.ClassifierKindName, classifier.Labels, classifier.Tokenizer.ToJson(),
            JsonSerializer.Serialize(modelOptions, ModelJson.Options), modelOptions.WeightRows, modelOptions.MaxLength);
    }

    /// <summary>
    /// Exports <paramref name="matcher"/> (siamese, interactive, triplet or cross) to <paramref name="path"/>, replacing
    /// the file atomically. Inputs <c>input_ids_1</c> [batch, seq1] and <c>input_ids_2</c> [batch, seq2] (int64, 0 =
    /// padding); outputs <c>probabilities</c> [batch, 2] (column 1 = match; for the triplet matcher the softmax of
    /// the calibrated logits [0, a cos + b]), <c>attention_weights_1</c> [batch, seq1] and <c>attention_weights_2</c>
    /// [batch, seq2]; the cross-attention matcher adds <c>alignment</c> [batch, seq1, seq2] (as
    /// <see cref="CrossAttentionMatcher.Align"/>). The metadata has kind "matcher", the matcher kind
    /// (<c>mlnet_attention.matcher_kind</c>), the labels "0" and "1" and the <see cref="TextMatcherOptions"/>.
    /// </summary>
    /// <exception cref="IOException">The file cannot be written (the message names the path).</exception>
    public static void Export(AttentionMatcher matcher, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Write(path, ExportToBytes(matcher, options));
    }

    /// <summary>Exports <paramref name="matcher"/> and returns the bytes of the .onnx file.</summary>
    public static byte[] ExportToBytes(AttentionMatcher matcher, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        var modelOptions = matcher.Network.Options;
        string alignment = modelOptions.Kind == MatcherKind.Cross ? " and alignment [batch, seq1, seq2]" : "";
        return Build(MatcherGraph.Build(matcher.Network), options,
            $"MLNetAttention {modelOptions.Kind.ToString().ToLowerInvariant()} sentence-pair matcher ({modelOptions.Encoder} encoder). Inputs input_ids_1 int64 [batch, seq1] and input_ids_2 int64 [batch, seq2], 0 = padding; outputs probabilities [batch, 2] (column 1 = match), attention_weights_1, attention_weights_2{alignment}.",
            OnnxModelInfo.MatcherKindName, AttentionMatcher.Labels, matcher.Tokenizer.ToJson(),
            JsonSerializer.Serialize(modelOptions, ModelJson.Options), heads: 1, modelOptions.MaxLength,
            new Dictionary<string, string> { [OnnxModelInfo.MatcherKindKey] = modelOptions.Kind.ToString() });
    }

    private static void Write(string path, byte[] bytes)
    {
        try
        {
            AtomicFile.Write(path, stream => stream.Write(bytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot write the ONNX model ({e.Message}). Choose a writable file path.", e);
        }
    }

    private static byte[] Build(GraphProto graph, OnnxExportOptions? options, string description, string kind,
        IReadOnlyList<string> labels, string tokenizerJson, string optionsJson, int heads, int maxLength,
        IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        options ??= new OnnxExportOptions();
        var model = new ModelProto
        {
            IrVersion = OnnxGraphBuilder.IrVersion,
            ProducerName = OnnxModelInfo.ProducerName,
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Domain = "ai.mlnet_attention",
            ModelVersion = OnnxModelInfo.CurrentFormatVersion,
            DocString = options.Description ?? description,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxGraphBuilder.Opset });
        // Only when an ai.onnx.ml operator is in the graph (none since compact tables use a rank index); LabelEncoder
        // with int64 keys and values is version 2.
        if (graph.Node.Any(n => n.Domain == OnnxWeights.MlDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxWeights.MlDomain, Version = 2 });
        AddMetadata(model, new Dictionary<string, string>
        {
            [OnnxModelInfo.FormatKey] = OnnxModelInfo.CurrentFormatVersion.ToString(CultureInfo.InvariantCulture),
            [OnnxModelInfo.KindKey] = kind,
            [OnnxModelInfo.ProducerKey] = OnnxModelInfo.ProducerName,
            [OnnxModelInfo.LabelsKey] = JsonSerializer.Serialize(labels.ToArray()),
            [OnnxModelInfo.TokenizerKey] = tokenizerJson,
            [OnnxModelInfo.OptionsKey] = optionsJson,
            [OnnxModelInfo.HeadsKey] = heads.ToString(CultureInfo.InvariantCulture),
            [OnnxModelInfo.MaxLengthKey] = maxLength.ToString(CultureInfo.InvariantCulture),
        });
        if (extraMetadata is not null) AddMetadata(model, extraMetadata);

        byte[] bytes = model.ToByteArray();
        if (options.Validate) ValidateInOnnxRuntime(bytes);
        return bytes;
    }

    internal static void AddMetadata(ModelProto model, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (key, value) in metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    /// <summary>Loads <paramref name="bytes"/> in ONNX Runtime, which checks the graph, its types and its shapes.</summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime rejects the model (an exporter bug).</exception>
    internal static void ValidateInOnnxRuntime(byte[] bytes)
    {
        try
        {
            using var sessionOptions = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            using var session = new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"ONNX Runtime rejected the exported model ({e.Message}). This is an exporter bug; please report it.", e);
        }
    }
}
