using System.Runtime.InteropServices;

namespace MLNetAttention.Text;

public sealed partial class AttentionTokenizer
{
    /// <summary>
    /// Builds a tokenizer from a corpus, reading it once. Tokens seen at least <see cref="AttentionTokenizerOptions.MinFrequency"/>
    /// times get ids from 2 on, by descending count and, for equal counts, by first occurrence, so the same corpus
    /// always gives the same ids.
    /// </summary>
    /// <param name="corpus">The training texts.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid, a text is null, the corpus has no tokens, or no token is frequent enough.</exception>
    public static AttentionTokenizer Train(IEnumerable<string> corpus, AttentionTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        options ??= new AttentionTokenizerOptions();
        ThrowIfInvalid(options);

        var tallies = new Dictionary<string, TokenTally>(StringComparer.Ordinal);
        var tallyBySpan = tallies.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> lowered = stackalloc char[StackBufferLength];
        int textIndex = 0;
        foreach (string text in corpus)
        {
            if (text is null)
                throw new ArgumentException($"Text {textIndex} of the corpus is null; pass empty strings for empty texts.", nameof(corpus));
            var scanner = new TokenScanner(text, options.Mode);
            while (scanner.MoveNext(out int start, out int length, out bool isWord))
            {
                scoped ReadOnlySpan<char> token = text.AsSpan(start, length);
                if (isWord)
                {
                    // Words longer than the stack buffer are rare enough to allocate.
                    Span<char> buffer = length <= lowered.Length ? lowered : new char[length];
                    token = buffer[..token.ToLowerInvariant(buffer)];
                }
                ref TokenTally tally = ref CollectionsMarshal.GetValueRefOrAddDefault(tallyBySpan, token, out bool seen);
                if (!seen)
                    tally.FirstSeen = tallies.Count - 1;
                tally.Count++;
            }
            textIndex++;
        }

        if (tallies.Count == 0)
            throw new ArgumentException($"The corpus has no tokens ({textIndex} texts, all empty or whitespace); train on texts with content.", nameof(corpus));

        // Tokens with broken UTF-16 (a lone surrogate) stay unknown: they cannot be saved as JSON.
        var kept = tallies
            .Where(pair => pair.Value.Count >= options.MinFrequency && IsWellFormed(pair.Key))
            .OrderByDescending(pair => pair.Value.Count)
            .ThenBy(pair => pair.Value.FirstSeen)
            .ToList();
        if (kept.Count == 0)
        {
            var top = tallies.MaxBy(pair => pair.Value.Count);
            throw new ArgumentException(
                $"No token occurs at least MinFrequency = {options.MinFrequency} times in the corpus ({tallies.Count} distinct tokens; " +
                $"the most frequent, '{top.Key}', occurs {top.Value.Count} times); lower MinFrequency or use a larger corpus.",
                nameof(options));
        }

        var tokens = new string[kept.Count + 2];
        var counts = new long[kept.Count + 2];
        tokens[PaddingId] = PaddingToken;
        tokens[UnknownId] = UnknownToken;
        // The unknown "count" is how often rare tokens occurred, which tells how much MinFrequency hides.
        counts[UnknownId] = tallies.Values.Sum(tally => tally.Count) - kept.Sum(pair => pair.Value.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            tokens[i + 2] = kept[i].Key;
            counts[i + 2] = kept[i].Value.Count;
        }
        return new AttentionTokenizer(tokens, counts, options);
    }

    /// <summary>
    /// Chooses a maximum length from the token counts of <paramref name="texts"/>: the longest text (percentile 100)
    /// or the smallest length that fits the given percentage of the texts. Returns the statistics as well, for
    /// example to print "max length 64 (95th percentile; longest 212)".
    /// </summary>
    /// <param name="texts">The texts, usually the training set.</param>
    /// <param name="percentile">Percentage of texts that must fit, greater than 0 and at most 100.</param>
    /// <exception cref="ArgumentException"><paramref name="texts"/> is empty or <paramref name="percentile"/> is out of range.</exception>
    public MaxLengthChoice ChooseMaxLength(IEnumerable<string> texts, double percentile = 100)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new List<int>();
        foreach (string text in texts)
        {
            int count = 0;
            var scanner = new TokenScanner(text ?? string.Empty, Options.Mode);
            while (scanner.MoveNext(out _, out _, out _))
                count++;
            counts.Add(count);
        }
        if (counts.Count == 0)
            throw new ArgumentException("There are no texts to measure.", nameof(texts));
        return MaxLengthChoice.FromTokenCounts(counts, percentile);
    }

    private static bool IsWellFormed(string token)
    {
        for (int i = 0; i < token.Length; i++)
        {
            if (char.IsHighSurrogate(token[i]) && i + 1 < token.Length && char.IsLowSurrogate(token[i + 1]))
                i++;
            else if (char.IsSurrogate(token[i]))
                return false;
        }
        return true;
    }

    private struct TokenTally
    {
        public long Count;
        public int FirstSeen;
    }
}
