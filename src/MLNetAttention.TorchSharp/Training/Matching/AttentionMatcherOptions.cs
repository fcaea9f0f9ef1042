using MLNetAttention.Models;
using MLNetAttention.Text;

namespace MLNetAttention.Training.Matching;

/// <summary>Everything <see cref="AttentionMatcher.Train"/> needs: tokenizer, architecture and training settings.</summary>
public sealed class AttentionMatcherOptions
{
    /// <summary>Default cap on the chosen maximum sentence length, in tokens.</summary>
    public const int DefaultMaxLengthCap = 128;

    /// <summary>How sentences become tokens. Its <see cref="AttentionTokenizerOptions.MaxLength"/>, when 0, is chosen from the training sentences (both sides).</summary>
    public AttentionTokenizerOptions Tokenizer { get; set; } = new();

    /// <summary>The architecture. <see cref="TextMatcherOptions.VocabularySize"/> and <see cref="TextMatcherOptions.MaxLength"/> are filled in from the data.</summary>
    public TextMatcherOptions Model { get; set; } = new();

    /// <summary>Optimizer, epochs, early stopping and the seed.</summary>
    public TrainingOptions Training { get; set; } = new();

    /// <summary>When the tokenizer's maximum length is 0: the percentile of training-sentence lengths to cover (100 = the longest).</summary>
    public double MaxLengthPercentile { get; set; } = 100;

    /// <summary>Upper bound on a chosen maximum length.</summary>
    public int MaxLengthCap { get; set; } = DefaultMaxLengthCap;
}
