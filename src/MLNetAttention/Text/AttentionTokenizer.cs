using System.Buffers;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace MLNetAttention.Text;

/// <summary>
/// A character- or word-level <see cref="Tokenizer"/> with a vocabulary learned from a corpus, as used by the
/// attention-pooling classifiers. Id 0 is padding, id 1 unknown, then tokens by descending corpus frequency.
/// Every token keeps its offset and length in the original text, so attention weights map back onto the text.
/// </summary>
/// <remarks>
/// Create one with <see cref="Train"/> or <see cref="Load(string)"/>. Instances are immutable and thread-safe.
/// </remarks>
public sealed partial class AttentionTokenizer : Tokenizer
{
    /// <summary>Id of the padding token <see cref="PaddingToken"/>.</summary>
    public const int PaddingId = 0;

    /// <summary>Id of the unknown token <see cref="UnknownToken"/>, given to every token that is not in the vocabulary.</summary>
    public const int UnknownId = 1;

    /// <summary>Vocabulary entry of <see cref="PaddingId"/>.</summary>
    public const string PaddingToken = "<pad>";

    /// <summary>Vocabulary entry of <see cref="UnknownId"/>.</summary>
    public const string UnknownToken = "<unk>";

    // Tokens up to this length are lowercased on the stack.
    private const int StackBufferLength = 128;

    private readonly string[] _tokens;
    private readonly long[]? _counts;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _idsBySpan;
    // Id of every single-char token, indexed by the char; 0 (never a real token's id) means "not in the vocabulary".
    private readonly int[] _charIds;
    // Whether Decode separates the token from a neighbouring word with a space (Mixed mode only).
    private readonly bool[] _isWord;

    private AttentionTokenizer(string[] tokens, long[]? counts, AttentionTokenizerOptions options)
    {
        _tokens = tokens;
        _counts = counts;
        Options = options;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        _charIds = new int[char.MaxValue + 1];
        _isWord = new bool[tokens.Length];
        for (int id = 0; id < tokens.Length; id++)
        {
            string token = tokens[id];
            _ids.Add(token, id);
            if (token.Length == 1)
                _charIds[token[0]] = id;
            _isWord[id] = options.Mode == TokenizationMode.Mixed
                && (id == UnknownId || (id > UnknownId && TextSegmentation.IsWordStart(token, 0)));
        }
        _idsBySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Vocabulary = Array.AsReadOnly(tokens);
    }

    // Shares the (immutable) vocabulary with another tokenizer.
    private AttentionTokenizer(AttentionTokenizer other, AttentionTokenizerOptions options)
    {
        _tokens = other._tokens;
        _counts = other._counts;
        _ids = other._ids;
        _idsBySpan = other._idsBySpan;
        _charIds = other._charIds;
        _isWord = other._isWord;
        Vocabulary = other.Vocabulary;
        Options = options;
    }

    /// <summary>The options this tokenizer was trained (or loaded) with.</summary>
    public AttentionTokenizerOptions Options { get; }

    /// <summary>All tokens in id order, starting with <see cref="PaddingToken"/> and <see cref="UnknownToken"/>.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>Number of ids, including padding and unknown; the size of the model's embedding table.</summary>
    public int VocabularySize => _tokens.Length;

    /// <summary>Returns the vocabulary entry of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not below <see cref="VocabularySize"/>.</exception>
    public string IdToToken(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _tokens.Length);
        return _tokens[id];
    }

    /// <summary>
    /// Looks up the id of a vocabulary entry. The token must be in vocabulary form (lowercased words in
    /// <see cref="TokenizationMode.Mixed"/>); use the encode methods to tokenize raw text.
    /// </summary>
    public bool TryGetId(string token, out int id)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out id);
    }

    /// <summary>
    /// Returns a tokenizer with the same vocabulary and other options, for example a <see cref="AttentionTokenizerOptions.MaxLength"/>
    /// chosen after training. The <see cref="AttentionTokenizerOptions.Mode"/> must stay the same, since the vocabulary depends on it.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid or change the mode.</exception>
    public AttentionTokenizer WithOptions(AttentionTokenizerOptions options)
    {
        ThrowIfInvalid(options);
        if (options.Mode != Options.Mode)
            throw new ArgumentException($"The vocabulary was built in {Options.Mode} mode and cannot be used in {options.Mode} mode; train a new tokenizer instead.", nameof(options));
        return new AttentionTokenizer(this, options);
    }

    /// <summary>
    /// Fast path for model input: writes the ids of the first <c>destination.Length</c> tokens into
    /// <paramref name="destination"/> and fills the rest with <see cref="PaddingId"/> ("post" truncation and padding).
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="destination">Receives exactly <c>destination.Length</c> ids.</param>
    /// <param name="droppedTokenCount">Number of tokens that did not fit.</param>
    /// <returns>Number of real (non-padding) ids written.</returns>
    public int EncodeToIds(ReadOnlySpan<char> text, Span<int> destination, out int droppedTokenCount)
    {
        var scanner = new TokenScanner(text, Options.Mode);
        int written = 0;
        int dropped = 0;
        while (scanner.MoveNext(out int start, out int length, out bool isWord))
        {
            if (written < destination.Length)
                destination[written++] = GetId(text.Slice(start, length), isWord);
            else
                dropped++;
        }
        destination[written..].Fill(PaddingId);
        droppedTokenCount = dropped;
        return written;
    }

    /// <summary>
    /// The share of the first <paramref name="maxLength"/> tokens of <paramref name="text"/> that are outside the
    /// vocabulary (the unknown id); 0 for a text without tokens. A text made mostly of them is scored on almost nothing.
    /// </summary>
    public float UnknownShare(string text, int maxLength) => UnknownShareOf(EncodeToIds(text, maxLength, out _));

    /// <summary>The share of <paramref name="ids"/> that are <see cref="UnknownId"/>; 0 for no ids.</summary>
    public static float UnknownShareOf(ReadOnlySpan<int> ids)
    {
        if (ids.Length == 0) return 0;
        int unknown = 0;
        foreach (int id in ids)
            if (id == UnknownId) unknown++;
        return (float)unknown / ids.Length;
    }

    /// <summary>Encodes the first <paramref name="maxLength"/> tokens of <paramref name="text"/> (no padding).</summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="maxLength">Maximum number of ids to return; at least 1.</param>
    /// <param name="droppedTokenCount">Number of tokens beyond <paramref name="maxLength"/> that were dropped.</param>
    public int[] EncodeToIds(string text, int maxLength, out int droppedTokenCount)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        int[] buffer = ArrayPool<int>.Shared.Rent(maxLength);
        try
        {
            int count = EncodeToIds(text, buffer.AsSpan(0, maxLength), out droppedTokenCount);
            return buffer.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Encodes <paramref name="text"/> the way <see cref="Options"/> say: one window of all tokens when
    /// <see cref="AttentionTokenizerOptions.MaxLength"/> is 0; otherwise the first <c>MaxLength</c> tokens
    /// (<see cref="LongTextHandling.Truncate"/>) or windows of <c>MaxLength</c> tokens (<see cref="LongTextHandling.Window"/>).
    /// </summary>
    /// <returns>At least one window; an empty text gives one empty window.</returns>
    public IReadOnlyList<TokenWindow> EncodeWindows(string text)
    {
        AttentionTokenizerOptions options = Options;
        if (options.MaxLength == 0)
            return EncodeWindows(text, int.MaxValue, int.MaxValue, truncate: true);
        return options.LongTextHandling == LongTextHandling.Truncate
            ? EncodeWindows(text, options.MaxLength, options.MaxLength, truncate: true)
            : EncodeWindows(text, options.MaxLength, options.EffectiveStride, truncate: false);
    }

    /// <summary>
    /// Splits the tokens of <paramref name="text"/> into windows of at most <paramref name="maxLength"/> tokens whose
    /// starts are <paramref name="stride"/> tokens apart. With <c>stride == maxLength</c> every token is in exactly one window.
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="maxLength">Maximum tokens per window; at least 1.</param>
    /// <param name="stride">Tokens between window starts; from 1 to <paramref name="maxLength"/>.</param>
    /// <returns>At least one window; an empty text gives one empty window.</returns>
    public IReadOnlyList<TokenWindow> EncodeWindows(string text, int maxLength, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stride, maxLength);
        return EncodeWindows(text, maxLength, stride, truncate: false);
    }

    private TokenWindow[] EncodeWindows(string text, int maxLength, int stride, bool truncate)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        var offsets = new List<Range>();
        var scanner = new TokenScanner(text, Options.Mode);
        while (scanner.MoveNext(out int start, out int length, out bool isWord))
        {
            ids.Add(GetId(text.AsSpan(start, length), isWord));
            offsets.Add(new Range(start, start + length));
        }

        int total = ids.Count;
        if (truncate || total <= maxLength)
        {
            int kept = Math.Min(total, maxLength);
            return [new TokenWindow(ids.GetRange(0, kept).ToArray(), offsets.GetRange(0, kept).ToArray(), 0, total, total - kept)];
        }

        var windows = new List<TokenWindow>();
        for (int first = 0; ; first += stride)
        {
            int count = Math.Min(maxLength, total - first);
            windows.Add(new TokenWindow(ids.GetRange(first, count).ToArray(), offsets.GetRange(first, count).ToArray(), first, total, 0));
            if (first + count >= total)
                break;
        }
        return [.. windows];
    }

    /// <summary>
    /// Encodes text to tokens whose <see cref="EncodedToken.Offset"/> points into the original text and whose
    /// <see cref="EncodedToken.Value"/> is the vocabulary entry (<see cref="UnknownToken"/> for unknown tokens).
    /// The text is never normalized, so <see cref="EncodeResults{T}.NormalizedText"/> is <see langword="null"/>.
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="textSpan">The text to encode when <paramref name="text"/> is <see langword="null"/>.</param>
    /// <param name="settings">Only <see cref="EncodeSettings.MaxTokenCount"/> is used; there is no normalizer or pre-tokenizer to skip.</param>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> span = text is null ? textSpan : text.AsSpan();
        int maxTokens = settings.MaxTokenCount;
        var tokens = new List<EncodedToken>();
        int consumed = ScanUpTo(span, maxTokens, (id, start, length) =>
            tokens.Add(new EncodedToken(id, id == UnknownId ? UnknownToken : _tokens[id], new Range(start, start + length))));
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> span = text is null ? textSpan : text.AsSpan();
        var ids = new List<int>();
        int consumed = ScanUpTo(span, settings.MaxTokenCount, (id, _, _) => ids.Add(id));
        return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        ReadOnlySpan<char> span = text is null ? textSpan : text.AsSpan();
        int max = settings.MaxTokenCount;
        int count = 0;
        var scanner = new TokenScanner(span, Options.Mode);
        while (count < max && scanner.MoveNext(out _, out _, out _))
            count++;
        return count;
    }

    private delegate void TokenSink(int id, int start, int length);

    // Feeds up to maxTokens tokens to the sink; returns the chars consumed: the whole text when every token fit,
    // otherwise the end of the last token taken.
    private int ScanUpTo(ReadOnlySpan<char> text, int maxTokens, TokenSink sink)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1, "settings.MaxTokenCount");
        var scanner = new TokenScanner(text, Options.Mode);
        int taken = 0;
        int lastEnd = 0;
        while (scanner.MoveNext(out int start, out int length, out bool isWord))
        {
            if (taken == maxTokens)
                return lastEnd;
            sink(GetId(text.Slice(start, length), isWord), start, length);
            taken++;
            lastEnd = start + length;
        }
        return text.Length;
    }

    /// <summary>Decodes ids to text: tokens are joined, in <see cref="TokenizationMode.Mixed"/> with a space between two words; padding is skipped.</summary>
    /// <exception cref="InvalidOperationException">An id is negative or not below <see cref="VocabularySize"/>.</exception>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var builder = new StringBuilder();
        int previous = PaddingId;
        foreach (int id in ids)
        {
            if (CheckDecodable(id) == PaddingId)
                continue;
            if (_isWord[previous] && _isWord[id])
                builder.Append(' ');
            builder.Append(_tokens[id]);
            previous = id;
        }
        return builder.ToString();
    }

    /// <summary>Decodes ids into <paramref name="destination"/>, like <see cref="Decode(IEnumerable{int})"/>.</summary>
    /// <exception cref="InvalidOperationException">An id is negative or not below <see cref="VocabularySize"/>.</exception>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        idsConsumed = 0;
        charsWritten = 0;
        int previous = PaddingId;
        foreach (int id in ids)
        {
            if (CheckDecodable(id) != PaddingId)
            {
                bool space = _isWord[previous] && _isWord[id];
                string token = _tokens[id];
                int needed = token.Length + (space ? 1 : 0);
                if (destination.Length - charsWritten < needed)
                    return OperationStatus.DestinationTooSmall;
                if (space)
                    destination[charsWritten++] = ' ';
                token.CopyTo(destination[charsWritten..]);
                charsWritten += token.Length;
                previous = id;
            }
            idsConsumed++;
        }
        return OperationStatus.Done;
    }

    private int CheckDecodable(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new InvalidOperationException($"Id {id} is not in the vocabulary (ids go from 0 to {_tokens.Length - 1}).");
        return id;
    }

    // The hot path: id of one token given as a span of the original text.
    private int GetId(ReadOnlySpan<char> token, bool isWord)
    {
        if (token.Length == 1)
        {
            int id = _charIds[isWord ? char.ToLowerInvariant(token[0]) : token[0]];
            return id == 0 ? UnknownId : id;
        }
        if (isWord)
            return GetLowercasedId(token);
        return _idsBySpan.TryGetValue(token, out int found) ? found : UnknownId;
    }

    private int GetLowercasedId(ReadOnlySpan<char> word)
    {
        char[]? rented = null;
        Span<char> buffer = word.Length <= StackBufferLength
            ? stackalloc char[StackBufferLength]
            : (rented = ArrayPool<char>.Shared.Rent(word.Length));
        int length = word.ToLowerInvariant(buffer);
        int id = _idsBySpan.TryGetValue(buffer[..length], out int found) ? found : UnknownId;
        if (rented is not null)
            ArrayPool<char>.Shared.Return(rented);
        return id;
    }

    private static void ThrowIfInvalid(AttentionTokenizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.FindProblem() is { } problem)
            throw new ArgumentException($"Invalid tokenizer options: {problem}.", nameof(options));
    }
}
