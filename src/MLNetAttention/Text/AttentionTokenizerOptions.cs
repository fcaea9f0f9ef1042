namespace MLNetAttention.Text;

/// <summary>
/// Options of an <see cref="AttentionTokenizer"/>. They are saved with the vocabulary, so a loaded tokenizer splits
/// text exactly like the one that was trained. Use a <c>with</c> expression to derive changed options.
/// </summary>
public sealed record AttentionTokenizerOptions
{
    /// <summary>How text is split into tokens. Default: <see cref="TokenizationMode.Char"/>.</summary>
    public TokenizationMode Mode { get; init; } = TokenizationMode.Char;

    /// <summary>
    /// Tokens seen fewer times than this in the training corpus are not in the vocabulary and encode as
    /// <see cref="AttentionTokenizer.UnknownId"/>. Must be at least 1. Default: 16 (the original model's <c>min_freq</c>).
    /// </summary>
    public int MinFrequency { get; init; } = 16;

    /// <summary>
    /// Maximum number of tokens in one model input, or 0 when not set yet (see <see cref="AttentionTokenizer.ChooseMaxLength"/>).
    /// Used by <see cref="AttentionTokenizer.EncodeWindows(string)"/>; the base <see cref="Microsoft.ML.Tokenizers.Tokenizer"/>
    /// methods always encode the whole text. Default: 0.
    /// </summary>
    public int MaxLength { get; init; }

    /// <summary>What happens to texts longer than <see cref="MaxLength"/>. Default: <see cref="Text.LongTextHandling.Truncate"/>.</summary>
    public LongTextHandling LongTextHandling { get; init; } = LongTextHandling.Truncate;

    /// <summary>
    /// With <see cref="Text.LongTextHandling.Window"/>, the number of tokens between the starts of two consecutive windows;
    /// a value below <see cref="MaxLength"/> makes windows overlap. 0 means <see cref="MaxLength"/> (no overlap). Default: 0.
    /// </summary>
    public int WindowStride { get; init; }

    /// <summary>The stride actually used: <see cref="WindowStride"/>, or <see cref="MaxLength"/> when that is 0.</summary>
    internal int EffectiveStride => WindowStride > 0 ? WindowStride : MaxLength;

    /// <summary>Returns what is wrong with these options, or <see langword="null"/> when they are valid.</summary>
    internal string? FindProblem()
    {
        if (!Enum.IsDefined(Mode))
            return $"Mode {(int)Mode} is not a tokenization mode (use {string.Join(" or ", Enum.GetNames<TokenizationMode>())})";
        if (MinFrequency < 1)
            return $"MinFrequency must be at least 1 (it is {MinFrequency})";
        if (MaxLength < 0)
            return $"MaxLength must be 0 (not set) or positive (it is {MaxLength})";
        if (!Enum.IsDefined(LongTextHandling))
            return $"LongTextHandling {(int)LongTextHandling} is not defined (use {string.Join(" or ", Enum.GetNames<LongTextHandling>())})";
        if (WindowStride < 0)
            return $"WindowStride must be 0 (same as MaxLength) or positive (it is {WindowStride})";
        if (WindowStride > 0 && MaxLength > 0 && WindowStride > MaxLength)
            return $"WindowStride ({WindowStride}) must not exceed MaxLength ({MaxLength}), or tokens between windows would be lost";
        return null;
    }
}
