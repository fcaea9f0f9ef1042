namespace MLNetAttention.Text;

/// <summary>
/// A run of consecutive tokens of one text that fits one model input: the token ids (not padded) and where each token
/// lies in the original text.
/// </summary>
public sealed class TokenWindow
{
    internal TokenWindow(int[] ids, Range[] offsets, int firstTokenIndex, int textTokenCount, int droppedTokenCount)
    {
        Ids = ids;
        Offsets = offsets;
        FirstTokenIndex = firstTokenIndex;
        TextTokenCount = textTokenCount;
        DroppedTokenCount = droppedTokenCount;
    }

    /// <summary>The token ids, at most <see cref="AttentionTokenizerOptions.MaxLength"/> of them; padding is left to the caller.</summary>
    public int[] Ids { get; }

    /// <summary>For each id in <see cref="Ids"/>, the characters of the original text it came from.</summary>
    public Range[] Offsets { get; }

    /// <summary>Index of this window's first token among all tokens of the text.</summary>
    public int FirstTokenIndex { get; }

    /// <summary>Number of tokens in the whole text.</summary>
    public int TextTokenCount { get; }

    /// <summary>Number of tokens of the text that truncation dropped (always 0 when the text is split into windows).</summary>
    public int DroppedTokenCount { get; }
}
