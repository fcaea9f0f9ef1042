namespace MLNetAttention.Text;

/// <summary>
/// How an <see cref="AttentionTokenizer"/> splits text into tokens. Whitespace only separates tokens and is never a token.
/// </summary>
public enum TokenizationMode
{
    /// <summary>
    /// Every non-whitespace character is a token, as in the original Keras model. A "character" is a user-perceived
    /// character (a text element): a surrogate pair, an emoji sequence joined by ZWJ or a letter with its combining marks
    /// is one token. Tokens keep their case.
    /// </summary>
    Char,

    /// <summary>
    /// Each CJK ideograph (and kana) is a token; a run of letters and digits of an alphabetic script (Latin, Greek,
    /// Cyrillic, ...) is one lowercased token; every other character (punctuation, symbol, emoji) is a token.
    /// </summary>
    Mixed,
}
