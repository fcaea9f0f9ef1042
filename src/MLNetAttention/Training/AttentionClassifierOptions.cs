using MLNetAttention.Models;
using MLNetAttention.Text;

namespace MLNetAttention.Training;

/// <summary>Everything <see cref="AttentionClassifier.Train"/> needs: tokenizer, architecture and training settings.</summary>
public sealed class AttentionClassifierOptions
{
    /// <summary>Default cap on the chosen maximum length, in tokens.</summary>
    public const int DefaultMaxLengthCap = 512;

    /// <summary>How texts become tokens. Its <see cref="AttentionTokenizerOptions.MaxLength"/>, when 0, is chosen from the training texts.</summary>
    public AttentionTokenizerOptions Tokenizer { get; set; } = new();

    /// <summary>The architecture. <see cref="TextClassifierOptions.VocabularySize"/>, <see cref="TextClassifierOptions.NumClasses"/> and <see cref="TextClassifierOptions.MaxLength"/> are filled in from the data.</summary>
    public TextClassifierOptions Model { get; set; } = new();

    /// <summary>Optimizer, epochs, early stopping and the seed.</summary>
    public TrainingOptions Training { get; set; } = new();

    /// <summary>When the tokenizer's maximum length is 0: the percentile of training-text lengths to cover (100 = the longest, as the original).</summary>
    public double MaxLengthPercentile { get; set; } = 100;

    /// <summary>Upper bound on a chosen maximum length.</summary>
    public int MaxLengthCap { get; set; } = DefaultMaxLengthCap;
}
