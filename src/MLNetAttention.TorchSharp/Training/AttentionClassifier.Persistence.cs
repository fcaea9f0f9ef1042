using MLNetAttention.Models;

namespace MLNetAttention.Training;

public sealed partial class AttentionClassifier
{
    /// <summary>The format name in model.json.</summary>
    public const string FormatName = ModelDirectory.ClassifierFormat;

    /// <summary>
    /// The newest model-directory format this library reads: 1 = weights.bin beside model.onnx, 2 = the compact layout,
    /// weights in model.onnx only, 3 = a classifier with a companion network, 4 = compact tables whose row index is a
    /// rank per bucket, 5 = a multi-head classifier whose companion pools with one head, 6 = a classifier whose companion
    /// pools its own way (<c>TextClassifierOptions.CompanionPooling</c>). Directories are written in the oldest version
    /// that holds them.
    /// </summary>
    public const int FormatVersion = ModelDirectory.CompanionPoolingFormatVersion;

    // The state-dict name of TextClassifier's hashed-bigram table.
    private const string BigramTableName = "bigram_embedding.weight";

    // The state-dict name of TextClassifier's token embedding.
    private const string TokenTableName = "embedding.weight";

    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = ModelDirectory.ManifestFile;

    /// <summary>The vocabulary's file name.</summary>
    public const string VocabularyFile = ModelDirectory.VocabularyFile;

    /// <summary>The TorchSharp weights' file name.</summary>
    public const string WeightsFile = ModelDirectory.WeightsFile;

    /// <summary>
    /// Writes model.json (options, labels, tokenizer settings, metrics, versions), vocab.json and weights.bin into a
    /// staging directory beside <paramref name="directory"/> and swaps it in as a whole, so a crash at any moment leaves
    /// the previous model or the new one; model.json records every file's hash. A directory holding files that are not
    /// a model's is refused. <c>OnnxExporter.SaveWithOnnx</c> adds model.onnx inside the same swap.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be written, or holds unrelated files.</exception>
    public void Save(string directory) => Save(directory, alsoWrite: null);

    /// <summary>
    /// Throws now if <see cref="Save(string)"/> into <paramref name="directory"/> would fail: a file in the way, files that
    /// are not a model's, or a location that cannot be written. Call it before a long training run.
    /// </summary>
    /// <exception cref="IOException">The directory cannot take a model; the message says why.</exception>
    public static void CheckSaveTarget(string directory) => ModelDirectory.CheckTarget(directory);

    internal void Save(string directory, Action<string>? alsoWrite, int weightsInOnnxFormat = 0) =>
        ModelDirectory.Save(directory, Tokenizer, Network, new ModelManifest<TextClassifierOptions>
        {
            Format = FormatName,
            // Versions that read only format 1 would ignore the trigrams and score such a model wrongly.
            FormatVersion = Network.Options is { Companion: not null, CompanionPooling: not null } ? ModelDirectory.CompanionPoolingFormatVersion
                : Network.Options.ResolvedCompanion() is { } companion && companion.WeightRows != Network.Options.WeightRows
                ? ModelDirectory.SingleHeadCompanionFormatVersion
                : Network.Options.Companion is not null ? ModelDirectory.CompanionFormatVersion
                : Network.Options.Trigrams ? ModelDirectory.CompactFormatVersion : 1,
            Labels = Labels.ToArray(),
            Model = Network.Options,
            Training = TrainingOptions,
            Summary = Summary,
        }, alsoWrite, weightsInOnnxFormat);

    /// <summary>Loads a model directory written by <see cref="Save(string)"/>, checking its format, vocabulary and weight shapes.</summary>
    /// <exception cref="ModelLoadException">The directory or a file is missing, damaged, from a newer version or does not match the others.</exception>
    public static AttentionClassifier Load(string directory)
    {
        var manifest = ModelDirectory.ReadManifest<ModelManifest<TextClassifierOptions>>(directory, FormatName, FormatVersion);
        string manifestPath = System.IO.Path.Combine(directory, ManifestFile);
        try
        {
            manifest.Model.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelLoadException(manifestPath, $"the manifest is damaged ({e.Message}). Retrain the model or restore the file.", e);
        }
        if (manifest.Labels.Length != manifest.Model.NumClasses)
            throw new ModelLoadException(manifestPath, $"{manifest.Labels.Length} labels but the model has {manifest.Model.NumClasses} outputs.");
        var tokenizer = ModelDirectory.LoadTokenizer(directory, manifest, manifest.Model.VocabularySize);
        var network = ModelDirectory.LoadWeights(directory, new TextClassifier(manifest.Model), manifest.WeightsInOnnx, out var tables);
        return new AttentionClassifier(network, tokenizer, manifest.Labels, manifest.Training, manifest.Summary)
        {
            BigramTable = tables?.TableStorage(BigramTableName) ?? EmbeddingTableStorage.Dense,
            TokenTable = tables?.TableStorage(TokenTableName) ?? EmbeddingTableStorage.Dense,
        };
    }
}
