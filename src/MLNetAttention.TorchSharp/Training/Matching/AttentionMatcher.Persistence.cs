using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetAttention.Models;

namespace MLNetAttention.Training.Matching;

public sealed partial class AttentionMatcher
{
    /// <summary>The format name in model.json.</summary>
    public const string FormatName = ModelDirectory.MatcherFormat;

    /// <summary>The newest model-directory format this library reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = ModelDirectory.ManifestFile;

    /// <summary>The vocabulary's file name.</summary>
    public const string VocabularyFile = ModelDirectory.VocabularyFile;

    /// <summary>The TorchSharp weights' file name (the triplet matcher's calibration is a buffer in it).</summary>
    public const string WeightsFile = ModelDirectory.WeightsFile;

    // The calibration is also in weights.bin; model.json shows it to people.
    private sealed class Manifest : ModelManifest<TextMatcherOptions>
    {
        public float[]? Calibration { get; set; }
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
    /// Writes model.json (format, options, training settings, summary, versions), vocab.json and weights.bin into a
    /// staging directory beside <paramref name="directory"/> and swaps it in as a whole (see <c>AttentionClassifier.Save</c>).
    /// </summary>
    /// <exception cref="IOException">The directory cannot be written, or holds unrelated files.</exception>
    public void Save(string directory) => Save(directory, alsoWrite: null);

    internal void Save(string directory, Action<string>? alsoWrite) =>
        ModelDirectory.Save(directory, Tokenizer, Network, new Manifest
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            Labels = Labels.ToArray(),
            Model = Network.Options,
            Training = TrainingOptions,
            Summary = Summary,
            Calibration = Network is TripletMatcher triplet ? new[] { triplet.Calibration.Scale, triplet.Calibration.Bias } : null,
        }, alsoWrite);

    /// <summary>Loads a model directory written by <see cref="Save(string)"/>, checking its format, hashes, vocabulary and weight shapes.</summary>
    /// <exception cref="ModelLoadException">The directory or a file is missing, damaged, from a newer version, a classifier, or does not match the others.</exception>
    public static AttentionMatcher Load(string directory)
    {
        var manifest = ModelDirectory.ReadManifest<Manifest>(directory, FormatName, FormatVersion);
        string manifestPath = System.IO.Path.Combine(directory, ManifestFile);
        try
        {
            manifest.Model.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelLoadException(manifestPath, $"the manifest is damaged ({e.Message}). Retrain the model or restore the file.", e);
        }
        if (!manifest.Labels.SequenceEqual(Labels))
            throw new ModelLoadException(manifestPath, $"the labels are [{string.Join(", ", manifest.Labels)}]; a matcher's are [0, 1]. Retrain the model or restore the file.");
        var tokenizer = ModelDirectory.LoadTokenizer(directory, manifest, manifest.Model.VocabularySize);
        var network = ModelDirectory.LoadWeights(directory, TextMatcher.Create(manifest.Model));
        return new AttentionMatcher(network, tokenizer, manifest.Training, manifest.Summary);
    }
}
