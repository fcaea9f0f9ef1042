using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using MLNetAttention.Models;
using MLNetAttention.Text;
using Onnx;

namespace MLNetAttention.Onnx;

/// <summary>
/// What an exported MLNetAttention ONNX file says about itself: the labels, the tokenizer (vocabulary and mode),
/// the architecture options, the number of weight heads and the maximum length. A consumer needs only the .onnx
/// file: every value here is stored in the model's <c>metadata_props</c> under the <c>mlnet_attention.*</c> keys.
/// </summary>
/// <remarks>
/// A classifier (<see cref="Kind"/> = <see cref="ClassifierKindName"/>) has one input, <see cref="InputIdsName"/> (int64, [batch, seq], token ids with 0 = padding, at most
/// <see cref="MaxLength"/> steps); the padding mask is computed inside the graph as <c>ids != 0</c>. It has two
/// outputs: <see cref="ProbabilitiesName"/> (float, [batch, classes], the softmax of the logits) and
/// <see cref="AttentionWeightsName"/> (float, [batch, seq], or [batch, heads, seq] for multi-head pooling; 0 on padding).
/// A matcher (<see cref="Kind"/> = <see cref="MatcherKindName"/>, labels "0" and "1") has two inputs,
/// <see cref="InputIds1Name"/> [batch, seq1] and <see cref="InputIds2Name"/> [batch, seq2], and three outputs:
/// <see cref="ProbabilitiesName"/> [batch, 2] (column 1 = match), <see cref="AttentionWeights1Name"/> [batch, seq1]
/// and <see cref="AttentionWeights2Name"/> [batch, seq2]; the cross-attention matcher (<see cref="MatcherKind"/> =
/// <see cref="Models.MatcherKind.Cross"/>, metadata <see cref="MatcherKindKey"/> = "Cross") has a fourth,
/// <see cref="AlignmentName"/> [batch, seq1, seq2] (see <see cref="HasAlignment"/>).
/// </remarks>
public sealed class OnnxModelInfo
{
    /// <summary>The newest format version this library writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The producer name written in the model and in <see cref="ProducerKey"/>.</summary>
    public const string ProducerName = "MLNetAttention";

    /// <summary>The <see cref="Kind"/> of a text classifier.</summary>
    public const string ClassifierKindName = "classifier";

    /// <summary>The <see cref="Kind"/> of a sentence-pair matcher.</summary>
    public const string MatcherKindName = "matcher";

    /// <summary>Metadata key of the format version; its presence marks an MLNetAttention model.</summary>
    public const string FormatKey = "mlnet_attention.format";
    /// <summary>Metadata key of the model kind ("classifier" or "matcher").</summary>
    public const string KindKey = "mlnet_attention.kind";
    /// <summary>Metadata key of the producer ("MLNetAttention").</summary>
    public const string ProducerKey = "mlnet_attention.producer";
    /// <summary>Metadata key of the labels, a JSON array of strings in output order.</summary>
    public const string LabelsKey = "mlnet_attention.labels";
    /// <summary>Metadata key of the tokenizer: the vocabulary JSON of <see cref="AttentionTokenizer.ToJson"/>.</summary>
    public const string TokenizerKey = "mlnet_attention.tokenizer";
    /// <summary>Metadata key of the architecture: <see cref="TextClassifierOptions"/> (or, for a matcher, <see cref="TextMatcherOptions"/>) as JSON.</summary>
    public const string OptionsKey = "mlnet_attention.options";
    /// <summary>Metadata key of the number of weight rows per text (heads).</summary>
    public const string HeadsKey = "mlnet_attention.heads";
    /// <summary>Metadata key of the maximum number of tokens per input.</summary>
    public const string MaxLengthKey = "mlnet_attention.max_length";
    /// <summary>
    /// Metadata key of a matcher's <see cref="Models.MatcherKind"/> ("Siamese", "Interactive", "Triplet" or "Cross");
    /// "Cross" means the model has the <see cref="AlignmentName"/> output. Absent from classifiers.
    /// </summary>
    public const string MatcherKindKey = "mlnet_attention.matcher_kind";

    /// <summary>Name of the token-id input.</summary>
    public const string InputIdsName = "input_ids";
    /// <summary>Name of a matcher's first-sentence token-id input.</summary>
    public const string InputIds1Name = "input_ids_1";
    /// <summary>Name of a matcher's second-sentence token-id input.</summary>
    public const string InputIds2Name = "input_ids_2";
    /// <summary>Name of the probabilities output.</summary>
    public const string ProbabilitiesName = "probabilities";
    /// <summary>Name of the attention-weights output.</summary>
    public const string AttentionWeightsName = "attention_weights";
    /// <summary>Name of a matcher's first-sentence attention-weights output.</summary>
    public const string AttentionWeights1Name = "attention_weights_1";
    /// <summary>Name of a matcher's second-sentence attention-weights output.</summary>
    public const string AttentionWeights2Name = "attention_weights_2";
    /// <summary>
    /// Name of the cross-attention matcher's alignment output, float [batch, seq1, seq2]: row i is how token i of
    /// sentence 1 attends over sentence 2 (it sums to 1 over the real tokens of sentence 2); rows of padded steps and
    /// columns of padding are 0.
    /// </summary>
    public const string AlignmentName = "alignment";
    /// <summary>The symbolic batch dimension.</summary>
    public const string BatchAxis = "batch";
    /// <summary>The symbolic sequence dimension.</summary>
    public const string SequenceAxis = "seq";
    /// <summary>A matcher's symbolic first-sentence dimension.</summary>
    public const string Sequence1Axis = "seq1";
    /// <summary>A matcher's symbolic second-sentence dimension.</summary>
    public const string Sequence2Axis = "seq2";

    private static readonly string[] RequiredKeys = [KindKey, LabelsKey, TokenizerKey, OptionsKey, HeadsKey, MaxLengthKey];

    private OnnxModelInfo(string source, IReadOnlyDictionary<string, string> metadata, int formatVersion, string kind,
        IReadOnlyList<string> labels, TextClassifierOptions? options, TextMatcherOptions? matcherOptions, int heads, int maxLength, string producerVersion, long opset)
    {
        Source = source;
        Metadata = metadata;
        FormatVersion = formatVersion;
        Kind = kind;
        Labels = labels;
        ModelOptions = options;
        MatcherOptions = matcherOptions;
        Heads = heads;
        MaxLength = maxLength;
        ProducerVersion = producerVersion;
        Opset = opset;
    }

    /// <summary>The file (or description of the bytes) the information was read from.</summary>
    public string Source { get; }

    /// <summary>All metadata_props of the model.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The format version the model was written with.</summary>
    public int FormatVersion { get; }

    /// <summary>The model kind: <see cref="ClassifierKindName"/> or <see cref="MatcherKindName"/>.</summary>
    public string Kind { get; }

    /// <summary>Class names; output column i of <see cref="ProbabilitiesName"/> is <c>Labels[i]</c>.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The classifier architecture the model was exported from; null for a matcher.</summary>
    public TextClassifierOptions? ModelOptions { get; }

    /// <summary>The matcher architecture the model was exported from; null for a classifier.</summary>
    public TextMatcherOptions? MatcherOptions { get; }

    /// <summary>The matcher kind (from <see cref="MatcherKindKey"/>, else from the options); null for a classifier.</summary>
    public MatcherKind? MatcherKind => MatcherOptions?.Kind;

    /// <summary>Whether the model has the <see cref="AlignmentName"/> output (a cross-attention matcher).</summary>
    public bool HasAlignment => MatcherKind == Models.MatcherKind.Cross;

    /// <summary>Weight rows per text: the heads of multi-head pooling, else 1.</summary>
    public int Heads { get; }

    /// <summary>The longest input in tokens.</summary>
    public int MaxLength { get; }

    /// <summary>The MLNetAttention version that wrote the model.</summary>
    public string ProducerVersion { get; }

    /// <summary>The ONNX opset of the default domain.</summary>
    public long Opset { get; }

    /// <summary>The vocabulary JSON (as written by <see cref="AttentionTokenizer.ToJson"/>).</summary>
    public string TokenizerJson => Metadata[TokenizerKey];

    /// <summary>Rebuilds the tokenizer the model was trained with from <see cref="TokenizerJson"/>.</summary>
    public AttentionTokenizer CreateTokenizer()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(TokenizerJson));
        return AttentionTokenizer.Load(stream);
    }

    /// <summary>Reads the metadata of the ONNX file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelLoadException">The file is not ONNX, is truncated, or was not written by MLNetAttention.</exception>
    public static OnnxModelInfo Read(string path) => Read(path, out _);

    // The scorers need the bytes too: reading the file once serves both (a model can be hundreds of MB).
    internal static OnnxModelInfo Read(string path, out byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The ONNX model '{path}' does not exist. Export one with OnnxExporter.Export (MLNetAttention.TorchSharp).", path);
        bytes = File.ReadAllBytes(path);
        return Read(bytes, path);
    }

    /// <summary>Reads the metadata of an ONNX model held in memory.</summary>
    /// <param name="model">The bytes of the .onnx file.</param>
    /// <param name="source">How to name the model in error messages (a path).</param>
    /// <exception cref="ModelLoadException">The bytes are not ONNX, are truncated, or were not written by MLNetAttention.</exception>
    public static OnnxModelInfo Read(byte[] model, string source = "the ONNX model")
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelLoadException(source, $"not a readable ONNX model: the file is truncated or damaged, or not ONNX at all ({e.Message}). Export the model again.", ModelLoadProblem.NotAModel, e);
        }
        var info = FromProto(proto, source);
        CheckAgainstManifest(model, source);
        return info;
    }

    /// <summary>The manifest's key for the hash of the model.onnx saved beside it in a model directory.</summary>
    internal const string ManifestOnnxHashKey = "onnxSha256";

    // A model.onnx inside a model directory is vouched for by the model.json beside it: damage that still parses (and
    // would make ONNX Runtime answer NaN) shows as a hash that differs from the recorded one.
    private static void CheckAgainstManifest(byte[] model, string source)
    {
        if (!string.Equals(Path.GetFileName(source), "model.onnx", StringComparison.Ordinal) || !File.Exists(source))
            return;
        string manifestPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(source))!, "model.json");
        string? recorded;
        try
        {
            if (!File.Exists(manifestPath)) return;
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            recorded = manifest.RootElement.ValueKind == JsonValueKind.Object
                && manifest.RootElement.TryGetProperty(ManifestOnnxHashKey, out var hash) && hash.ValueKind == JsonValueKind.String
                ? hash.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return;   // an unreadable manifest (bad JSON, invalid UTF-8) is the model directory's business; its loader reports it
        }
        if (recorded is { Length: > 0 } && !string.Equals(recorded, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model)), StringComparison.OrdinalIgnoreCase))
            throw new ModelLoadException(source, "the file does not match the hash that model.json beside it records: it is damaged, or belongs to another model. Export it again from the model directory.");
    }

    /// <summary>Throws when a model's output holds NaN or an infinity, which only a damaged file produces.</summary>
    internal static void CheckFinite(float[] values, string source, string output)
    {
        foreach (float value in values)
            if (!float.IsFinite(value))
                throw new ModelLoadException(source, $"the model's '{output}' output holds {value}: its weights are damaged. Export the model again.");
    }

    internal static OnnxModelInfo FromProto(ModelProto proto, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in proto.MetadataProps) metadata[entry.Key] = entry.Value;
        if (!metadata.TryGetValue(FormatKey, out string? formatText))
            throw new ModelLoadException(source, $"not an MLNetAttention ONNX model (no '{FormatKey}' metadata): export one with OnnxExporter.Export (MLNetAttention.TorchSharp).", ModelLoadProblem.NotAModel);
        if (!int.TryParse(formatText, NumberStyles.None, CultureInfo.InvariantCulture, out int format) || format < 1)
            throw new ModelLoadException(source, $"'{FormatKey}' is '{formatText}', not a format version. Export the model again.");
        if (format > CurrentFormatVersion)
            throw new ModelLoadException(source, $"the model was exported by a newer MLNetAttention (format version {format}; this version reads up to {CurrentFormatVersion}). Upgrade MLNetAttention to read it.", ModelLoadProblem.NewerVersion);
        foreach (string key in RequiredKeys)
            if (!metadata.ContainsKey(key))
                throw new ModelLoadException(source, $"the '{key}' metadata is missing: the file is truncated or damaged. Export the model again.");

        try
        {
            var labels = JsonSerializer.Deserialize<string[]>(metadata[LabelsKey]) ?? throw new JsonException("null labels");
            string kind = metadata[KindKey];
            TextClassifierOptions? options = null;
            TextMatcherOptions? matcherOptions = null;
            if (kind == ClassifierKindName)
            {
                options = JsonSerializer.Deserialize<TextClassifierOptions>(metadata[OptionsKey], ModelJson.Options) ?? throw new JsonException("null options");
                options.Validate();
            }
            else if (kind == MatcherKindName)
            {
                matcherOptions = JsonSerializer.Deserialize<TextMatcherOptions>(metadata[OptionsKey], ModelJson.Options) ?? throw new JsonException("null options");
                matcherOptions.Validate();
                if (metadata.TryGetValue(MatcherKindKey, out string? matcherKind))
                {
                    if (!Enum.GetNames<Models.MatcherKind>().Contains(matcherKind, StringComparer.Ordinal))
                        throw new ModelLoadException(source, $"the matcher kind '{matcherKind}' is unknown to this MLNetAttention (it reads {string.Join(", ", Enum.GetNames<Models.MatcherKind>())}). Upgrade MLNetAttention to read it.", ModelLoadProblem.NewerVersion);
                    if (matcherKind != matcherOptions.Kind.ToString())
                        throw new ModelLoadException(source, $"the metadata disagree: '{MatcherKindKey}' is '{matcherKind}' but the options say '{matcherOptions.Kind}'. Export the model again.");
                }
            }
            else
                throw new ModelLoadException(source, $"the model kind '{kind}' is unknown to this MLNetAttention (it reads '{ClassifierKindName}' and '{MatcherKindName}'). Upgrade MLNetAttention to read it.", ModelLoadProblem.NewerVersion);
            int heads = int.Parse(metadata[HeadsKey], NumberStyles.None, CultureInfo.InvariantCulture);
            int maxLength = int.Parse(metadata[MaxLengthKey], NumberStyles.None, CultureInfo.InvariantCulture);
            long opset = proto.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain)).Select(o => o.Version).FirstOrDefault();
            return new OnnxModelInfo(source, metadata, format, kind, labels, options, matcherOptions, heads, maxLength, proto.ProducerVersion, opset);
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or ArgumentException)
        {
            throw new ModelLoadException(source, $"the MLNetAttention metadata is damaged ({e.Message}). Export the model again.", e);
        }
    }
}
