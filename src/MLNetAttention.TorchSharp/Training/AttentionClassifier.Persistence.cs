using MLNetAttention.Models;

namespace MLNetAttention.Training;

public sealed partial class AttentionClassifier
{
    /// <summary>The format name in model.json.</summary>
    public const string FormatName = ModelDirectory.ClassifierFormat;

    /// <summary>The newest model-directory format this library reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = ModelDirectory.ManifestFile;

    /// <summary>The vocabulary's file name.</summary>
    public const string VocabularyFile = ModelDirectory.VocabularyFile;

    /// <summary>The TorchSharp weights' file name.</summary>
    public const string WeightsFile = ModelDirectory.WeightsFile;

    /// <summary>
    /// Writes model.json (options, labels, tokenizer settings, metrics, versions), vocab.json and weights.bin
    /// into <paramref name="directory"/>, each atomically; model.json goes last and records the other files'
    /// hashes, so a crash midway can never pair a manifest with the wrong files.
    /// </summary>
    public void Save(string directory) =>
        ModelDirectory.Save(directory, Tokenizer, Network, new ModelManifest<TextClassifierOptions>
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            Labels = Labels.ToArray(),
            Model = Network.Options,
            Training = TrainingOptions,
            Summary = Summary,
        });

    /// <summary>Loads a model directory written by <see cref="Save"/>, checking its format, vocabulary and weight shapes.</summary>
    /// <exception cref="ModelLoadException">The directory or a file is missing, damaged, from a newer version or does not match the others.</exception>
    public static AttentionClassifier Load(string directory)
    {
        var manifest = ModelDirectory.ReadManifest<ModelManifest<TextClassifierOptions>>(directory, FormatName, FormatVersion);
        string manifestPath = System.IO.Path.Combine(directory, ManifestFile);
        if (manifest.Labels.Length != manifest.Model.NumClasses)
            throw new ModelLoadException(manifestPath, $"{manifest.Labels.Length} labels but the model has {manifest.Model.NumClasses} outputs.");
        var tokenizer = ModelDirectory.LoadTokenizer(directory, manifest, manifest.Model.VocabularySize);
        var network = ModelDirectory.LoadWeights(directory, new TextClassifier(manifest.Model));
        return new AttentionClassifier(network, tokenizer, manifest.Labels, manifest.Training, manifest.Summary);
    }
}
