using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetAttention.Models;
using MLNetAttention.Text;

namespace MLNetAttention.Training.Matching;

public sealed partial class AttentionMatcher
{
    /// <summary>The format name in model.json.</summary>
    public const string FormatName = "MLNetAttention.Matcher";

    /// <summary>The newest model-directory format this library reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "model.json";

    /// <summary>The vocabulary's file name.</summary>
    public const string VocabularyFile = "vocab.json";

    /// <summary>The TorchSharp weights' file name (the triplet matcher's calibration is a buffer in it).</summary>
    public const string WeightsFile = "weights.bin";

    private sealed class Manifest
    {
        public string Format { get; set; } = "";
        public int FormatVersion { get; set; }
        public string LibraryVersion { get; set; } = "";
        public string TorchSharpVersion { get; set; } = "";
        public DateTime CreatedUtc { get; set; }
        public string[] Labels { get; set; } = Array.Empty<string>();
        public TextMatcherOptions Model { get; set; } = new();
        public TrainingOptions Training { get; set; } = new();
        public TrainingSummary? Summary { get; set; }
        public float[]? Calibration { get; set; }
        public string VocabularySha256 { get; set; } = "";
        public string WeightsSha256 { get; set; } = "";
    }

    /// <summary>
    /// Whether <paramref name="directory"/> holds a matcher (a model.json whose format is <see cref="FormatName"/>),
    /// so tools can tell matchers from classifiers. False when the directory or manifest is missing or unreadable.
    /// </summary>
    public static bool IsMatcherDirectory(string directory)
    {
        try
        {
            string path = System.IO.Path.Combine(directory, ManifestFile);
            if (!File.Exists(path)) return false;
            return JsonNode.Parse(File.ReadAllText(path)) is JsonObject node && node["format"]?.GetValue<string>() == FormatName;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Writes model.json (format, options, training settings, summary, versions), vocab.json and weights.bin into
    /// <paramref name="directory"/>, each atomically; model.json goes last and records the other files' hashes.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        string vocabularyPath = System.IO.Path.Combine(directory, VocabularyFile);
        string weightsPath = System.IO.Path.Combine(directory, WeightsFile);
        AtomicFile.Write(vocabularyPath, Tokenizer.Save);
        AtomicFile.Write(weightsPath, stream => AttentionClassifier.SaveWeights(Network, stream));
        var manifest = new Manifest
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            LibraryVersion = typeof(AttentionMatcher).Assembly.GetName().Version?.ToString() ?? "",
            TorchSharpVersion = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "",
            CreatedUtc = DateTime.UtcNow,
            Labels = Labels.ToArray(),
            Model = Network.Options,
            Training = TrainingOptions,
            Summary = Summary,
            Calibration = Network is TripletMatcher triplet ? new[] { triplet.Calibration.Scale, triplet.Calibration.Bias } : null,
            VocabularySha256 = Sha256Of(vocabularyPath),
            WeightsSha256 = Sha256Of(weightsPath),
        };
        AtomicFile.WriteAllText(System.IO.Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, ModelJson.Options));
    }

    /// <summary>Loads a model directory written by <see cref="Save"/>, checking its format, hashes, vocabulary and weight shapes.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="ModelLoadException">A file is missing, damaged, from a newer version, a classifier, or does not match the others.</exception>
    public static AttentionMatcher Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The model directory '{directory}' does not exist. Train one with 'mlnet-attention train --task match --out {directory}'.");
        string manifestPath = System.IO.Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
            throw new ModelLoadException(directory, $"no {ManifestFile}: this is not a model directory. Pass the directory 'train --task match --out' wrote.");

        Manifest manifest;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject
                ?? throw new JsonException("the file is not a JSON object");
            string format = node["format"]?.GetValue<string>() ?? "";
            if (format != FormatName)
                throw new ModelLoadException(manifestPath, format == AttentionClassifier.FormatName
                    ? $"this is a classifier (format '{format}'), not a matcher. Load it with AttentionClassifier, or train a matcher with 'train --task match'."
                    : $"this is not an MLNetAttention matcher (format '{format}', expected '{FormatName}').");
            int version = node["formatVersion"]?.GetValue<int>() ?? 0;
            if (version > FormatVersion)
                throw new ModelLoadException(manifestPath, $"the model was written by a newer MLNetAttention (format version {version}; this version reads up to {FormatVersion}). Upgrade MLNetAttention to load it.");
            if (version < 1)
                throw new ModelLoadException(manifestPath, $"format version {version} is not valid. Retrain the model.");
            manifest = node.Deserialize<Manifest>(ModelJson.Options) ?? throw new JsonException("the manifest is empty");
            manifest.Model.Validate();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new ModelLoadException(manifestPath, $"the manifest is damaged ({e.Message}). Retrain the model or restore the file.", e);
        }
        if (!manifest.Labels.SequenceEqual(Labels))
            throw new ModelLoadException(manifestPath, $"the labels are [{string.Join(", ", manifest.Labels)}]; a matcher's are [0, 1]. Retrain the model or restore the file.");

        string vocabularyPath = System.IO.Path.Combine(directory, VocabularyFile);
        string weightsPath = System.IO.Path.Combine(directory, WeightsFile);
        foreach (var required in new[] { vocabularyPath, weightsPath })
            if (!File.Exists(required))
                throw new ModelLoadException(required, "the file is missing. Copy the whole model directory, or retrain.");
        if (Sha256Of(vocabularyPath) != manifest.VocabularySha256)
            throw new ModelLoadException(vocabularyPath, $"the vocabulary does not belong to this model (its hash differs from the one in {ManifestFile}). Restore the vocab.json that was saved with the model, or retrain.");
        if (Sha256Of(weightsPath) != manifest.WeightsSha256)
            throw new ModelLoadException(weightsPath, $"the weights do not belong to this model (their hash differs from the one in {ManifestFile}). Restore the weights.bin that was saved with the model, or retrain.");

        var tokenizer = AttentionTokenizer.Load(vocabularyPath);
        if (tokenizer.VocabularySize != manifest.Model.VocabularySize)
            throw new ModelLoadException(vocabularyPath, $"the vocabulary has {tokenizer.VocabularySize} tokens but the model was built for {manifest.Model.VocabularySize}.");

        var network = TextMatcher.Create(manifest.Model);
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
        return new AttentionMatcher(network, tokenizer, manifest.Training, manifest.Summary);
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
