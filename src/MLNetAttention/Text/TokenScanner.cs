namespace MLNetAttention.Text;

/// <summary>
/// Walks the tokens of a text without allocating: each step yields where the next token lies in the original text.
/// </summary>
internal ref struct TokenScanner
{
    private readonly ReadOnlySpan<char> _text;
    private readonly bool _mixed;
    private int _position;

    public TokenScanner(ReadOnlySpan<char> text, TokenizationMode mode)
    {
        _text = text;
        _mixed = mode == TokenizationMode.Mixed;
        _position = 0;
    }

    /// <summary>
    /// Moves to the next token. <paramref name="isWord"/> tells a <see cref="TokenizationMode.Mixed"/> word run,
    /// whose vocabulary form is lowercased, from a token whose vocabulary form is the text itself.
    /// </summary>
    public bool MoveNext(out int start, out int length, out bool isWord)
    {
        ReadOnlySpan<char> text = _text;
        int i = _position;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;

        isWord = false;
        if (i >= text.Length)
        {
            _position = text.Length;
            start = text.Length;
            length = 0;
            return false;
        }

        int end = i + TextSegmentation.TextElementLength(text, i);
        if (_mixed && TextSegmentation.IsWordStart(text, i))
        {
            isWord = true;
            while (end < text.Length && TextSegmentation.IsWordStart(text, end))
                end += TextSegmentation.TextElementLength(text, end);
        }

        _position = end;
        start = i;
        length = end - i;
        return true;
    }
}
