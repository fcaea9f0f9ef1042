using System.Globalization;
using System.Text;

namespace MLNetAttention.Text;

/// <summary>
/// Finds token boundaries. Works on spans of the original text so offsets never move and no strings are allocated.
/// </summary>
internal static class TextSegmentation
{
    /// <summary>Length in chars of the text element (grapheme cluster) that starts at <paramref name="index"/>.</summary>
    public static int TextElementLength(ReadOnlySpan<char> text, int index)
    {
        // Most text is ASCII or CJK; a character there followed by one that can never extend a cluster ends the
        // element, which saves the Unicode grapheme rules for emoji, combining marks and the like.
        if (index + 1 >= text.Length || (IsSimpleStart(text[index]) && NeverExtends(text[index + 1])))
            return 1;
        return StringInfo.GetNextTextElementLength(text[index..]);
    }

    /// <summary>Whether the text element at <paramref name="index"/> begins a word run in <see cref="TokenizationMode.Mixed"/>.</summary>
    public static bool IsWordStart(ReadOnlySpan<char> text, int index)
    {
        char c = text[index];
        if (c < 0x80)
            return char.IsAsciiLetterOrDigit(c);
        return Rune.DecodeFromUtf16(text[index..], out Rune rune, out _) == System.Buffers.OperationStatus.Done
            && Rune.IsLetterOrDigit(rune)
            && !IsIdeographic(rune.Value);
    }

    /// <summary>CJK ideographs and kana: scripts written without spaces, so each character is a token.</summary>
    private static bool IsIdeographic(int codePoint) =>
        codePoint is (>= 0x3000 and <= 0x30FF)     // CJK symbols, hiragana, katakana
            or (>= 0x31F0 and <= 0x31FF)           // katakana phonetic extensions
            or (>= 0x3400 and <= 0x4DBF)           // CJK extension A
            or (>= 0x4E00 and <= 0x9FFF)           // CJK unified ideographs
            or (>= 0xF900 and <= 0xFAFF)           // CJK compatibility ideographs
            or (>= 0xFF66 and <= 0xFF9F)           // half-width katakana
            or (>= 0x20000 and <= 0x3FFFF);        // CJK extensions B and later

    // No character here is a Prepend, CR, Hangul jamo, regional indicator or pictographic start of a longer cluster.
    private static bool IsSimpleStart(char c) =>
        (c < 0x300 && c != '\r' && c != 0xA9 && c != 0xAE)
        || c is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3000' and <= '\u3029') or (>= '\u3030' and <= '\u303F')
            or (>= '\uFF01' and <= '\uFF5E');

    // None of these is an Extend, SpacingMark, ZWJ or variation selector, so a cluster always ends before them.
    private static bool NeverExtends(char next) =>
        next < 0x300
        || next is (>= '\u4E00' and <= '\u9FFF') or (>= '\u3000' and <= '\u3029') or (>= '\u3030' and <= '\u303F')
            or (>= '\uFF01' and <= '\uFF5E');
}
