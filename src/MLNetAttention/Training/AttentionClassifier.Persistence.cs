using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetAttention.Models;
using MLNetAttention.Text;

namespace MLNetAttention.Training;

/// <summary>A model directory that cannot be loaded: the message says which file, what is wrong and how to fix it.</summary>
public sealed class ModelLoadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string path, string message, Exception? inner = null) : base($"{path}: {message}", inner) => Path = path;

    /// <summary>The file or directory that could not be loaded.</summary>
    public string Path { get; }
}

public sealed partial class AttentionClassifier
{
    /// <summary>The format name in model.json.</summary>
    public const string FormatName = "MLNetAttention.Classifier";

    /// <summary>The newest model-directory format this library reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "model.json";

    /// <summary>The vocabulary's file name.</summary>
    public const string VocabularyFile = "vocab.json";

    /// <summary>The TorchSharp weights' file name.</summary>
    public const string WeightsFile = "weights.bin";

    private sealed class Manifest
    {
        public string Format { get; set; } = "";
        public int FormatVersion { get; set; }
        public string LibraryVersion { get; set; } = "";
        public string TorchSharpVersion { get; set; } = "";
        public DateTime CreatedUtc { get; set; }
        public string[] Labels { get; set; } = Array.Empty<string>();
        public TextClassifierOptions Model { get; set; } = new();
        public TrainingOptions Training { get; set; } = new();
        public TrainingSummary? Summary { get; set; }
        public string VocabularySha256 { get; set; } = "";
        public string WeightsSha256 { get; set; } = "";
    }

    /// <summary>
    /// Writes model.json (options, labels, tokenizer settings, metrics, versions), vocab.json and weights.bin
    /// into <paramref name="directory"/>, each atomically; model.json goes last and records the other files'
    /// hashes, so a crash midway can never pair a manifest with the wrong files.
    /// </summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        string vocabularyPath = System.IO.Path.Combine(directory, VocabularyFile);
        string weightsPath = System.IO.Path.Combine(directory, WeightsFile);
        AtomicFile.Write(vocabularyPath, Tokenizer.Save);
        AtomicFile.Write(weightsPath, stream => SaveWeights(Network, stream));
        var manifest = new Manifest
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            LibraryVersion = typeof(AttentionClassifier).Assembly.GetName().Version?.ToString() ?? "",
            TorchSharpVersion = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "",
            CreatedUtc = DateTime.UtcNow,
            Labels = Labels.ToArray(),
            Model = Network.Options,
            Training = TrainingOptions,
            Summary = Summary,
            VocabularySha256 = Sha256Of(vocabularyPath),
            WeightsSha256 = Sha256Of(weightsPath),
        };
        AtomicFile.WriteAllText(System.IO.Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, ModelJson.Options));
    }

    /// <summary>Loads a model directory written by <see cref="Save"/>, checking its format, vocabulary and weight shapes.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="ModelLoadException">A file is missing, damaged, from a newer version or does not match the others.</exception>
    public static AttentionClassifier Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The model directory '{directory}' does not exist. Train one with 'mlnet-attention train --out {directory}'.");
        string manifestPath = System.IO.Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
            throw new ModelLoadException(directory, $"no {ManifestFile}: this is not a model directory. Pass the directory 'train --out' wrote.");

        Manifest manifest;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(manifestPath)) as JsonObject
                ?? throw new JsonException("the file is not a JSON object");
            string format = node["format"]?.GetValue<string>() ?? "";
            if (format != FormatName)
                throw new ModelLoadException(manifestPath, $"this is not an MLNetAttention classifier (format '{format}', expected '{FormatName}').");
            int version = node["formatVersion"]?.GetValue<int>() ?? 0;
            if (version > FormatVersion)
                throw new ModelLoadException(manifestPath, $"the model was written by a newer MLNetAttention (format version {version}; this version reads up to {FormatVersion}). Upgrade MLNetAttention to load it.");
            if (version < 1)
                throw new ModelLoadException(manifestPath, $"format version {version} is not valid. Retrain the model.");
            manifest = node.Deserialize<Manifest>(ModelJson.Options) ?? throw new JsonException("the manifest is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException(manifestPath, $"the manifest is damaged ({e.Message}). Retrain the model or restore the file.", e);
        }

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
        if (manifest.Labels.Length != manifest.Model.NumClasses)
            throw new ModelLoadException(manifestPath, $"{manifest.Labels.Length} labels but the model has {manifest.Model.NumClasses} outputs.");

        var network = new TextClassifier(manifest.Model);
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
        return new AttentionClassifier(network, tokenizer, manifest.Labels, manifest.Training, manifest.Summary);
    }

    // Module.save(Stream) closes the stream; the atomic writer still has to flush it.
    internal static void SaveWeights(TorchSharp.torch.nn.Module module, Stream stream)
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
