using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetAttention.Models;
using MLNetAttention.Text;
using TorchSharp;

namespace MLNetAttention.Training;

/// <summary>The manifest fields every model directory shares; <typeparamref name="TOptions"/> is the architecture.</summary>
internal class ModelManifest<TOptions> where TOptions : new()
{
    public string Format { get; set; } = "";
    public int FormatVersion { get; set; }
    public string LibraryVersion { get; set; } = "";
    public string TorchSharpVersion { get; set; } = "";
    public DateTime CreatedUtc { get; set; }
    public string[] Labels { get; set; } = Array.Empty<string>();
    public TOptions Model { get; set; } = new();
    public TrainingOptions Training { get; set; } = new();
    public TrainingSummary? Summary { get; set; }
    public string VocabularySha256 { get; set; } = "";
    public string WeightsSha256 { get; set; } = "";
    public string? OnnxSha256 { get; set; }

    /// <summary>The file holding the weights: weights.bin (also when absent, as in every directory before this field) or model.onnx.</summary>
    public string? WeightsIn { get; set; }

    internal bool WeightsInOnnx => WeightsIn == ModelDirectory.OnnxFile;
}

/// <summary>
/// A model directory: model.json (the manifest), vocab.json and weights.bin, or, in the compact layout (format version 2),
/// no weights.bin: the weights are read back from model.onnx. Every file is written atomically and
/// model.json last, recording the other files' hashes, so a crash midway can never pair a manifest with the wrong files;
/// loading checks format, version, hashes and the vocabulary size, and names the file and the fix in every error.
/// </summary>
internal static class ModelDirectory
{
    public const string ManifestFile = "model.json";
    public const string VocabularyFile = "vocab.json";
    public const string WeightsFile = "weights.bin";
    public const string OnnxFile = "model.onnx";
    public const string CheckpointDirectory = "checkpoint";

    /// <summary>
    /// The format version of a directory whose weights are in model.onnx, or whose classifier hashes trigrams: versions
    /// that read only format 1 refuse it with "upgrade" rather than score it wrongly.
    /// </summary>
    public const int CompactFormatVersion = 2;

    /// <summary>
    /// The format version of a classifier with a companion network: versions that read only formats 1 and 2 would
    /// build the first network alone and score with it, so they must refuse it.
    /// </summary>
    public const int CompanionFormatVersion = 3;

    /// <summary>
    /// The format version of a compact directory whose tables find their rows through a rank per bucket rather than a
    /// LabelEncoder: versions that read formats up to 3 know only the LabelEncoder and must refuse it.
    /// </summary>
    public const int RankedIndexFormatVersion = 4;

    /// <summary>
    /// The format version of a multi-head classifier whose companion pools with one head
    /// (<c>TextClassifierOptions.CompanionSingleHead</c>): versions that read formats up to 4 would build a multi-head
    /// companion and misread its pooling weights, so they must refuse it.
    /// </summary>
    public const int SingleHeadCompanionFormatVersion = 5;

    /// <summary>
    /// The format version of a classifier whose companion pools its own way (<c>TextClassifierOptions.CompanionPooling</c>):
    /// versions that read formats up to 5 would build the companion with the first network's pooling, so they must refuse it.
    /// </summary>
    public const int CompanionPoolingFormatVersion = 6;

    // What a model directory may hold; saving replaces the whole directory, so anything else there is refused.
    private static readonly string[] OwnedEntries = [ManifestFile, VocabularyFile, WeightsFile, OnnxFile, CheckpointDirectory];

    /// <summary>The format name in a classifier's model.json.</summary>
    public const string ClassifierFormat = "MLNetAttention.Classifier";

    /// <summary>The format name in a matcher's model.json.</summary>
    public const string MatcherFormat = "MLNetAttention.Matcher";

    // The formats this library writes, and what loads each: a directory of the other kind gets a pointer, not just "wrong format".
    private static readonly Dictionary<string, (string Kind, string Loader)> KnownFormats = new(StringComparer.Ordinal)
    {
        [ClassifierFormat] = ("classifier", "AttentionClassifier.Load"),
        [MatcherFormat] = ("matcher", "AttentionMatcher.Load"),
    };

    /// <summary>Fails now if saving into <paramref name="directory"/> would fail later (see <see cref="AtomicDirectory.CheckTarget"/>).</summary>
    public static void CheckTarget(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        AtomicDirectory.CheckTarget(directory, OwnedEntries);
    }

    /// <summary>
    /// Replaces <paramref name="directory"/> as a whole with the vocabulary, the weights, whatever <paramref name="alsoWrite"/>
    /// adds (the ONNX export) and last <paramref name="manifest"/> with every file's hash and the versions.
    /// </summary>
    /// <remarks>
    /// With <paramref name="weightsInOnnxFormat"/> &gt; 0 (from <see cref="WeightsInOnnxFormat"/>), <paramref name="alsoWrite"/>
    /// must write model.onnx holding every parameter (<see cref="OnnxWeights"/> reads them back); weights.bin is left out
    /// and the manifest says at least that format version.
    /// </remarks>
    public static void Save<TOptions>(string directory, AttentionTokenizer tokenizer, torch.nn.Module network,
        ModelManifest<TOptions> manifest, Action<string>? alsoWrite = null, int weightsInOnnxFormat = 0) where TOptions : new()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        AtomicDirectory.Replace(directory, OwnedEntries, staging => WriteFiles(staging, tokenizer, network, manifest, alsoWrite, weightsInOnnxFormat));
    }

    private static void WriteFiles<TOptions>(string directory, AttentionTokenizer tokenizer, torch.nn.Module network,
        ModelManifest<TOptions> manifest, Action<string>? alsoWrite, int weightsInOnnxFormat) where TOptions : new()
    {
        bool weightsInOnnx = weightsInOnnxFormat > 0;
        string vocabularyPath = Path.Combine(directory, VocabularyFile);
        string weightsPath = Path.Combine(directory, WeightsFile);
        AtomicFile.Write(vocabularyPath, tokenizer.Save);
        if (!weightsInOnnx) AtomicFile.Write(weightsPath, stream => SaveWeights(network, stream));
        manifest.LibraryVersion = typeof(ModelDirectory).Assembly.GetName().Version?.ToString() ?? "";
        manifest.TorchSharpVersion = typeof(torch).Assembly.GetName().Version?.ToString() ?? "";
        manifest.CreatedUtc = DateTime.UtcNow;
        manifest.VocabularySha256 = Sha256Of(vocabularyPath);
        manifest.WeightsSha256 = weightsInOnnx ? "" : Sha256Of(weightsPath);
        alsoWrite?.Invoke(directory);
        string onnxPath = Path.Combine(directory, OnnxFile);
        manifest.OnnxSha256 = File.Exists(onnxPath) ? Sha256Of(onnxPath) : null;
        if (weightsInOnnx)
        {
            if (manifest.OnnxSha256 is null) throw new InvalidOperationException("The weights were to travel in model.onnx, but none was written.");
            manifest.WeightsIn = OnnxFile;
            manifest.FormatVersion = Math.Max(manifest.FormatVersion, weightsInOnnxFormat);
        }
        AtomicFile.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, manifest.GetType(), ModelJson.Options));
    }

    /// <summary>
    /// Reads and checks the manifest of <paramref name="directory"/>: it exists, is JSON, has <paramref name="formatName"/>
    /// (one of <see cref="KnownFormats"/>) and a version this library reads.
    /// </summary>
    public static TManifest ReadManifest<TManifest>(string directory, string formatName, int formatVersion) where TManifest : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var (kind, loader) = KnownFormats[formatName];
        if (!Directory.Exists(directory))
            throw new ModelLoadException(directory, $"the model directory does not exist. Train a {kind} and save it there first.", ModelLoadProblem.Missing);
        string manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
            throw new ModelLoadException(directory, $"no {ManifestFile}: this is not a model directory. Pass the directory a {kind} was saved to.", ModelLoadProblem.NotAModel);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject
                ?? throw new JsonException("the file is not a JSON object");
            string format = node["format"]?.GetValue<string>() ?? "";
            if (format != formatName)
                throw KnownFormats.TryGetValue(format, out var other)
                    ? new ModelLoadException(manifestPath, $"this is a {other.Kind} (format '{format}'), not a {kind}. Load it with {other.Loader}.", ModelLoadProblem.WrongKind)
                    : new ModelLoadException(manifestPath, $"this is not an MLNetAttention {kind} (format '{format}', expected '{formatName}').", ModelLoadProblem.NotAModel);
            int version = node["formatVersion"]?.GetValue<int>() ?? 0;
            if (version > formatVersion)
                throw new ModelLoadException(manifestPath, $"the model was written by a newer MLNetAttention (format version {version}; this version reads up to {formatVersion}). Upgrade MLNetAttention to load it.", ModelLoadProblem.NewerVersion);
            if (version < 1)
                throw new ModelLoadException(manifestPath, $"format version {version} is not valid. Retrain the model.");
            return node.Deserialize<TManifest>(ModelJson.Options) ?? throw new JsonException("the manifest is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException(manifestPath, $"the manifest is damaged ({e.Message}). Retrain the model or restore the file.", e);
        }
    }

    /// <summary>Checks the vocabulary and weights against the manifest's hashes and loads the tokenizer.</summary>
    public static AttentionTokenizer LoadTokenizer<TOptions>(string directory, ModelManifest<TOptions> manifest, int vocabularySize)
        where TOptions : new()
    {
        string vocabularyPath = Path.Combine(directory, VocabularyFile);
        string weightsPath = Path.Combine(directory, WeightsFile);
        string onnxPath = Path.Combine(directory, OnnxFile);
        foreach (var required in new[] { vocabularyPath, manifest.WeightsInOnnx ? onnxPath : weightsPath })
            if (!File.Exists(required))
                throw new ModelLoadException(required, "the file is missing. Copy the whole model directory, or retrain.");
        if (Sha256Of(vocabularyPath) != manifest.VocabularySha256)
            throw new ModelLoadException(vocabularyPath, $"the vocabulary does not belong to this model (its hash differs from the one in {ManifestFile}). Restore the vocab.json that was saved with the model, or retrain.");
        if (manifest.WeightsIn is { } weightsIn && weightsIn != WeightsFile && weightsIn != OnnxFile)
            throw new ModelLoadException(Path.Combine(directory, ManifestFile), $"the manifest says the weights are in '{weightsIn}', which this version does not read (expected {WeightsFile} or {OnnxFile}). Upgrade MLNetAttention or retrain.");
        if (!manifest.WeightsInOnnx && Sha256Of(weightsPath) != manifest.WeightsSha256)
            throw new ModelLoadException(weightsPath, $"the weights do not belong to this model (their hash differs from the one in {ManifestFile}). Restore the weights.bin that was saved with the model, or retrain.");
        if (manifest.OnnxSha256 is { Length: > 0 } onnxHash && File.Exists(onnxPath) && Sha256Of(onnxPath) != onnxHash)
            throw new ModelLoadException(onnxPath, $"the ONNX file does not belong to this model or is damaged (its hash differs from the one in {ManifestFile}). Export it again from the model directory.");
        AttentionTokenizer tokenizer;
        try
        {
            tokenizer = AttentionTokenizer.Load(vocabularyPath);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            throw new ModelLoadException(vocabularyPath, $"the vocabulary is damaged ({e.Message}). Restore the vocab.json that was saved with the model, or retrain.", e);
        }
        if (tokenizer.VocabularySize != vocabularySize)
            throw new ModelLoadException(vocabularyPath, $"the vocabulary has {tokenizer.VocabularySize} tokens but the model was built for {vocabularySize}.");
        return tokenizer;
    }

    /// <summary>
    /// Loads weights.bin into <paramref name="network"/> (strict shapes); disposes the network on failure; leaves it in eval mode.
    /// </summary>
    public static TNetwork LoadWeights<TNetwork>(string directory, TNetwork network) where TNetwork : torch.nn.Module =>
        LoadWeights(directory, network, weightsInOnnx: false, out _);

    /// <summary>
    /// As <see cref="LoadWeights{TNetwork}(string, TNetwork)"/>, from model.onnx when <paramref name="weightsInOnnx"/>;
    /// <paramref name="onnx"/> is then the parsed model the weights came from (null otherwise).
    /// </summary>
    public static TNetwork LoadWeights<TNetwork>(string directory, TNetwork network, bool weightsInOnnx, out OnnxWeights? onnx) where TNetwork : torch.nn.Module
    {
        onnx = null;
        if (weightsInOnnx) return LoadWeightsFromOnnx(directory, network, out onnx);
        string weightsPath = Path.Combine(directory, WeightsFile);
        try
        {
            network.load(weightsPath, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            network.Dispose();
            throw new ModelLoadException(weightsPath, $"the weights do not fit the architecture in {ManifestFile} ({e.Message}). Retrain the model.", e);
        }
        network.eval();
        return network;
    }

    private static TNetwork LoadWeightsFromOnnx<TNetwork>(string directory, TNetwork network, out OnnxWeights weights) where TNetwork : torch.nn.Module
    {
        string onnxPath = Path.Combine(directory, OnnxFile);
        try
        {
            weights = OnnxWeights.Read(onnxPath);
            using var scope = torch.NewDisposeScope();
            using (torch.no_grad())
                foreach (var (name, tensor) in network.state_dict())
                {
                    if (!weights.TryGet(name, tensor.shape, out var values))
                        throw new InvalidDataException($"it holds no parameter '{name}' of shape [{string.Join(", ", tensor.shape)}]");
                    tensor.copy_(torch.tensor(values, tensor.shape));
                }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            network.Dispose();
            throw new ModelLoadException(onnxPath, $"the weights cannot be read from the ONNX model ({e.Message}). Restore the model.onnx that was saved with the model, or retrain.", e);
        }
        network.eval();
        return network;
    }

    /// <summary>
    /// The format version a directory needs to keep its weights in the exported <paramref name="onnx"/> only
    /// (<see cref="CompactFormatVersion"/> or, with a ranked row index, <see cref="RankedIndexFormatVersion"/>), or 0 when
    /// some parameter of <paramref name="network"/> cannot be read back from it.
    /// </summary>
    public static int WeightsInOnnxFormat(byte[] onnx, torch.nn.Module network)
    {
        var weights = OnnxWeights.FromBytes(onnx);
        foreach (var (name, tensor) in network.state_dict())
            if (!weights.Holds(name, tensor.shape)) return 0;
        return weights.HasRankedRowIndex ? RankedIndexFormatVersion : CompactFormatVersion;
    }

    /// <summary>Writes a module's weights; Module.save(Stream) would close the stream the atomic writer still flushes.</summary>
    public static void SaveWeights(torch.nn.Module module, Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        module.save(writer);
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
