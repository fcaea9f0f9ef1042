namespace MLNetAttention.Text;

/// <summary>
/// Splits a text into the vocabulary form of its tokens (lowercased word runs in <see cref="TokenizationMode.Mixed"/>,
/// the text itself otherwise) and where each token lies in the text, without a vocabulary. Looking each form up in
/// <see cref="AttentionTokenizer.Vocabulary"/> gives exactly the ids of <see cref="AttentionTokenizer.EncodeToIds(string, int, out int)"/>
/// (a form that is not in the vocabulary is <see cref="AttentionTokenizer.UnknownId"/>).
/// </summary>
internal static class VocabularySegmenter
{
    /// <summary>Segments <paramref name="text"/>; <paramref name="offsets"/> receives (start, length) pairs in UTF-16 code units.</summary>
    public static void Segment(string text, TokenizationMode mode, List<string> tokens, List<int> offsets)
    {
        var scanner = new TokenScanner(text, mode);
        while (scanner.MoveNext(out int start, out int length, out bool isWord))
        {
            string token = text.Substring(start, length);
            tokens.Add(isWord ? token.ToLowerInvariant() : token);
            offsets.Add(start);
            offsets.Add(length);
        }
    }
}
