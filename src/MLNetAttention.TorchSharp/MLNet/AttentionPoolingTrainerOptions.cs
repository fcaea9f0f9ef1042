using MLNetAttention.Training;

namespace MLNetAttention.MLNet;

/// <summary>Options of the <see cref="AttentionPoolingTrainer"/>.</summary>
public sealed class AttentionPoolingTrainerOptions
{
    /// <summary>Default <see cref="LabelColumnName"/>.</summary>
    public const string DefaultLabelColumnName = "Label";

    /// <summary>Default <see cref="TextColumnName"/>.</summary>
    public const string DefaultTextColumnName = "Text";

    /// <summary>The label column: String, or a key whose key values are strings (e.g. from <c>MapValueToKey</c>). Default "Label".</summary>
    public string LabelColumnName { get; set; } = DefaultLabelColumnName;

    /// <summary>The text column, a scalar String. Default "Text".</summary>
    public string TextColumnName { get; set; } = DefaultTextColumnName;

    /// <summary>Tokenizer, architecture and training settings passed to <see cref="AttentionClassifier.Train"/>.</summary>
    public AttentionClassifierOptions Classifier { get; set; } = new();

    /// <summary>Where to write the exported .onnx file, or null (the default) to keep it in memory only (the saved ML.NET model embeds it anyway).</summary>
    public string? ModelPath { get; set; }

    /// <summary>How the trained model is scored (GPU, threads); see <see cref="AttentionPoolOptions"/>.</summary>
    public AttentionPoolOptions Scoring { get; set; } = new();

    /// <summary>Receives training progress (epochs, loss, validation accuracy); null for none.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }
}
