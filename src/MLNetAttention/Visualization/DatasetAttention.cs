using System.Runtime.InteropServices;

namespace MLNetAttention.Visualization;

/// <summary>Which class a text counts for in a <see cref="DatasetAttention"/> summary.</summary>
public enum ClassGrouping
{
    /// <summary>The class the model predicted.</summary>
    Predicted,
    /// <summary>The text's true (gold) label, where one was given.</summary>
    True,
}

/// <summary>Options of <see cref="DatasetAttention"/>.</summary>
public sealed class DatasetAttentionOptions
{
    /// <summary>Example texts kept per token and per bigram (a uniform reservoir over the texts it occurs in); 0 for none.</summary>
    public int ExamplesPerEntry { get; set; } = 3;

    /// <summary>
    /// Characters kept on each side of the token in an example (the text is cut there, at a space when one is near), so
    /// that an example costs at most 2 × this + the token's length, however long the text is.
    /// </summary>
    public int ExampleContext { get; set; } = 40;

    /// <summary>
    /// The most token and bigram entries held over all classes and both groupings together. Past it, the largest table
    /// (the tokens, or the bigrams, of one class under one grouping) drops its rarest quarter (lowest count, then lowest
    /// total); see <see cref="DatasetAttention"/>.
    /// </summary>
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>Also count adjacent token pairs (bigrams).</summary>
    public bool Bigrams { get; set; } = true;

    /// <summary>Seed of the example reservoirs: the same predictions in the same order keep the same examples.</summary>
    public int Seed { get; set; }

    internal void Validate()
    {
        if (ExamplesPerEntry is < 0 or > 100) throw new ArgumentOutOfRangeException(nameof(ExamplesPerEntry), ExamplesPerEntry, "Between 0 and 100 examples per entry.");
        if (ExampleContext is < 0 or > 100_000) throw new ArgumentOutOfRangeException(nameof(ExampleContext), ExampleContext, "Between 0 and 100000 characters of context.");
        if (MaxEntries is < 16 or > 100_000_000) throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, "Between 16 and 100000000 entries.");
    }
}

/// <summary>
/// One occurrence of a token (or bigram) kept as an example: the text around it, where the token is in that excerpt,
/// and what the model said about the text.
/// </summary>
/// <param name="TextIndex">The text's position in the stream given to <see cref="DatasetAttention.Add"/> (0-based).</param>
/// <param name="Text">The excerpt: the whole text when it is short, else <see cref="DatasetAttentionOptions.ExampleContext"/> characters on each side of the token.</param>
/// <param name="Offset">Start of the token in <paramref name="Text"/>, in UTF-16 code units.</param>
/// <param name="Length">Length of the token (both tokens and what lies between them, for a bigram).</param>
/// <param name="Start">Where <paramref name="Text"/> starts in the scored text (0 when it is the whole text or its start).</param>
/// <param name="CutBefore">Whether the scored text goes on before the excerpt.</param>
/// <param name="CutAfter">Whether the scored text goes on after the excerpt.</param>
/// <param name="Weight">The token's weight in this text (mean over heads; a bigram's is the sum of its two tokens').</param>
/// <param name="PredictedLabel">The label the model gave the text.</param>
/// <param name="Probability">The probability of <paramref name="PredictedLabel"/>.</param>
/// <param name="TrueLabel">The text's true label, or null when none was given.</param>
public sealed record AttentionExample(long TextIndex, string Text, int Offset, int Length, int Start, bool CutBefore, bool CutAfter,
    float Weight, string PredictedLabel, float Probability, string? TrueLabel);

/// <summary>What the model gave one token (or one adjacent token pair) over all the texts of a class.</summary>
/// <param name="Token">The token, or the bigram's two tokens joined as in the text where it was first seen (with a space when one was between them).</param>
/// <param name="Parts">The token, or the bigram's two tokens.</param>
/// <param name="Count">Occurrences.</param>
/// <param name="Texts">Texts it occurs in.</param>
/// <param name="Total">The summed weight over its occurrences (mean over heads; for a bigram, both tokens' weights).</param>
/// <param name="HeadTotals">The summed weight per head (one value for single-head pooling).</param>
/// <param name="Examples">Up to <see cref="DatasetAttentionOptions.ExamplesPerEntry"/> texts it occurs in, in stream order.</param>
public sealed record TokenAttention(string Token, IReadOnlyList<string> Parts, long Count, long Texts, double Total,
    IReadOnlyList<double> HeadTotals, IReadOnlyList<AttentionExample> Examples)
{
    /// <summary>The mean weight per occurrence: <see cref="Total"/> / <see cref="Count"/>.</summary>
    public double Mean => Count == 0 ? 0 : Total / Count;

    /// <summary>The mean weight per occurrence of head <paramref name="head"/> (0-based).</summary>
    public double HeadMean(int head) => Count == 0 ? 0 : HeadTotals[head] / Count;

    /// <summary>Whether this is an adjacent token pair.</summary>
    public bool IsBigram => Parts.Count == 2;
}

/// <summary>The top tokens and bigrams of one head of a multi-head model, ranked by that head's weights.</summary>
/// <param name="Head">The head, 0-based.</param>
/// <param name="TokensByTotal">Tokens by the head's total weight.</param>
/// <param name="TokensByMean">Tokens by the head's mean weight per occurrence.</param>
/// <param name="BigramsByTotal">Bigrams by the head's total weight.</param>
/// <param name="BigramsByMean">Bigrams by the head's mean weight per occurrence.</param>
public sealed record HeadAttention(int Head, IReadOnlyList<TokenAttention> TokensByTotal, IReadOnlyList<TokenAttention> TokensByMean,
    IReadOnlyList<TokenAttention> BigramsByTotal, IReadOnlyList<TokenAttention> BigramsByMean);

/// <summary>What the model attended to in the texts of one class.</summary>
public sealed class ClassAttention
{
    /// <summary>The class label.</summary>
    public required string Label { get; init; }

    /// <summary>Texts in the class.</summary>
    public required long Texts { get; init; }

    /// <summary>Token occurrences in those texts.</summary>
    public required long Tokens { get; init; }

    /// <summary>The summed weight of every token of the class: one per text (each text's weights sum to 1), up to rounding.</summary>
    public required double Mass { get; init; }

    /// <summary>Distinct tokens held.</summary>
    public required int DistinctTokens { get; init; }

    /// <summary>Distinct bigrams held.</summary>
    public required int DistinctBigrams { get; init; }

    /// <summary>Token entries dropped to keep the table bounded (0: every token figure is exact).</summary>
    public required long PrunedTokens { get; init; }

    /// <summary>Bigram entries dropped to keep the table bounded (0: every bigram figure is exact).</summary>
    public required long PrunedBigrams { get; init; }

    /// <summary>The highest count an entry had when it was dropped (0 when none was).</summary>
    public required long LargestPrunedCount { get; init; }

    /// <summary>The top tokens by total weight (count ≥ the summary's minimum count).</summary>
    public required IReadOnlyList<TokenAttention> TokensByTotal { get; init; }

    /// <summary>The top tokens by mean weight per occurrence (count ≥ the summary's minimum count).</summary>
    public required IReadOnlyList<TokenAttention> TokensByMean { get; init; }

    /// <summary>The top bigrams by total weight (empty when bigrams are off).</summary>
    public required IReadOnlyList<TokenAttention> BigramsByTotal { get; init; }

    /// <summary>The top bigrams by mean weight per occurrence.</summary>
    public required IReadOnlyList<TokenAttention> BigramsByMean { get; init; }

    /// <summary>The same lists per head, for a multi-head model; empty for single-head pooling.</summary>
    public required IReadOnlyList<HeadAttention> Heads { get; init; }
}

/// <summary>A <see cref="DatasetAttention"/> ranked for one grouping: one <see cref="ClassAttention"/> per class.</summary>
public sealed class DatasetAttentionSummary
{
    /// <summary>How texts were assigned to classes.</summary>
    public required ClassGrouping By { get; init; }

    /// <summary>Texts aggregated (all of them, whichever class they went to).</summary>
    public required long Texts { get; init; }

    /// <summary>Texts that had a true label.</summary>
    public required long LabelledTexts { get; init; }

    /// <summary>Weight rows per token (1 for single-head pooling).</summary>
    public required int Heads { get; init; }

    /// <summary>Entries per list.</summary>
    public required int Top { get; init; }

    /// <summary>The fewest occurrences an entry needs to be listed.</summary>
    public required int MinCount { get; init; }

    /// <summary>The classes: the model's labels in its order, then (for <see cref="ClassGrouping.True"/>) true labels the model does not have.</summary>
    public required IReadOnlyList<ClassAttention> Classes { get; init; }

    /// <summary>Whether some table was pruned, so that some counts and totals may be too low (see <see cref="DatasetAttention"/>).</summary>
    public bool Approximate => Classes.Any(c => c.PrunedTokens + c.PrunedBigrams > 0);
}

/// <summary>
/// Adds up what a classifier attends to over a whole data set, one prediction at a time: per class (the predicted class,
/// and the true class where labels are given), for every token and every adjacent token pair, the total weight, the
/// number of occurrences and texts, the mean weight per occurrence, the same per head, and a few example texts.
/// Takes the <see cref="ClassPrediction"/>s of either scorer (the TorchSharp classifier or <c>AttentionOnnxModel</c>).
/// </summary>
/// <remarks>
/// <para>
/// Memory is bounded whatever the length of the stream: all tables together (the tokens, and the bigrams, of each class
/// under each grouping) hold at most <see cref="DatasetAttentionOptions.MaxEntries"/> entries, each with at most
/// <see cref="DatasetAttentionOptions.ExamplesPerEntry"/> excerpts of at most 2 × <see cref="DatasetAttentionOptions.ExampleContext"/>
/// + token-length characters; besides, at most the last 256 texts are held whole until their examples are cut. An
/// entry costs about 150 bytes, and each of its examples about 100 bytes + 2 bytes per character. Measured: 25,000
/// synthetic reviews of 230 tokens (a 50,000-word Zipf vocabulary, two classes, true labels given) leave 83 MB on the
/// managed heap at the defaults (100,000 entries, 3 examples, 40 characters), 158 MB with 200,000 entries. Tokens are
/// bounded by the vocabulary anyway (except unknown tokens, which keep their own spelling); bigrams are what the cap is
/// for.
/// </para>
/// <para>
/// Past the cap the largest table drops its rarest quarter (lowest count, then lowest total). A dropped entry that
/// comes back starts again from zero, so its count and total are then too low; the summary says so
/// (<see cref="ClassAttention.PrunedTokens"/>, <see cref="DatasetAttentionSummary.Approximate"/>). While nothing is
/// dropped every figure is exact. Class figures (texts, tokens, mass) are always exact.
/// </para>
/// <para>Not thread-safe: add from one thread (score in parallel if you like, then add in order).</para>
/// </remarks>
public sealed class DatasetAttention
{
    // Examples first point into the whole text; every this many texts they are cut to their excerpts, so at most this
    // many whole texts are held at any time (and excerpts are cut only for examples that are still kept).
    private const int CompactEvery = 256;

    private readonly DatasetAttentionOptions _options;
    private readonly Random _random;
    private readonly Dictionary<string, ClassState> _byPredicted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClassState> _byTrue = new(StringComparer.Ordinal);
    private readonly List<string> _trueOrder = new();
    private readonly List<Example> _pending = new();
    private IReadOnlyList<string>? _labels;
    // Entries over all tables.
    private long _entries;

    /// <summary>Creates an empty aggregate.</summary>
    /// <param name="options">Options; null for the defaults.</param>
    public DatasetAttention(DatasetAttentionOptions? options = null)
    {
        _options = options ?? new DatasetAttentionOptions();
        _options.Validate();
        _random = new Random(_options.Seed);
    }

    /// <summary>Texts added.</summary>
    public long Texts { get; private set; }

    /// <summary>Texts added with a true label.</summary>
    public long LabelledTexts { get; private set; }

    /// <summary>Weight rows per token of the model (0 before the first text).</summary>
    public int Heads { get; private set; }

    /// <summary>The model's labels (empty before the first text).</summary>
    public IReadOnlyList<string> Labels => _labels ?? Array.Empty<string>();

    /// <summary>Adds one prediction.</summary>
    /// <param name="prediction">A classifier's prediction.</param>
    /// <param name="trueLabel">The text's true label, or null when unknown.</param>
    /// <exception cref="ArgumentException">The prediction comes from a model with other labels or another number of heads than the earlier ones.</exception>
    public void Add(ClassPrediction prediction, string? trueLabel = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        if (_labels is null)
        {
            if (prediction.Heads < 1) throw new ArgumentException($"The prediction has {prediction.Heads} heads.", nameof(prediction));
        }
        else if (prediction.Heads != Heads || !prediction.Labels.SequenceEqual(_labels, StringComparer.Ordinal))
            throw new ArgumentException(
                $"The prediction's model ({prediction.Heads} heads; labels {string.Join(", ", prediction.Labels)}) is not the one of the earlier predictions ({Heads} heads; labels {string.Join(", ", _labels)}).",
                nameof(prediction));
        if (prediction.LabelIndex < 0 || prediction.LabelIndex >= prediction.Labels.Count || prediction.Labels[prediction.LabelIndex] != prediction.Label)
            throw new ArgumentException($"The prediction's label '{prediction.Label}' is not label {prediction.LabelIndex} of its labels.", nameof(prediction));
        var tokens = prediction.Tokens;
        for (int i = 0; i < tokens.Count; i++)
            if (tokens[i].Weights.Length != prediction.Heads)
                throw new ArgumentException($"Token {i} of the prediction has {tokens[i].Weights.Length} weights for {prediction.Heads} heads.", nameof(prediction));
        if (_labels is null)
        {
            _labels = prediction.Labels.ToArray();
            Heads = prediction.Heads;
            foreach (string label in _labels) _byPredicted.TryAdd(label, new ClassState(Heads));
        }

        var predicted = _byPredicted[prediction.Label];
        ClassState? truth = null;
        if (trueLabel is not null)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_byTrue, trueLabel, out bool exists);
            if (!exists)
            {
                slot = new ClassState(Heads);
                _trueOrder.Add(trueLabel);
            }
            truth = slot;
            LabelledTexts++;
        }
        var text = new TextInfo(prediction.Text, Texts++, prediction.Label, prediction.Probability, trueLabel);
        predicted.AddText(prediction);
        truth?.AddText(prediction);

        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            Example? shared = null;
            var occurrence = new Occurrence(text, token.Offset, token.Length, token.Weight, token.Weights, null, false);
            predicted.Tokens.Add(token.Token, occurrence, this, ref shared);
            truth?.Tokens.Add(token.Token, occurrence, this, ref shared);
            if (!_options.Bigrams || i == 0) continue;
            var previous = tokens[i - 1];
            int end = Math.Max(previous.Offset + previous.Length, token.Offset + token.Length);
            bool spaced = token.Offset > previous.Offset + previous.Length;
            var pair = new Occurrence(text, previous.Offset, end - previous.Offset, previous.Weight + token.Weight, previous.Weights, token.Weights, spaced);
            shared = null;
            predicted.Bigrams.Add((previous.Token, token.Token), pair, this, ref shared);
            truth?.Bigrams.Add((previous.Token, token.Token), pair, this, ref shared);
        }
        if (_entries > _options.MaxEntries) Prune();
        if (Texts % CompactEvery == 0) Compact();
    }

    /// <summary>Adds predictions, each with the true label at the same position (or none).</summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="trueLabels">One true label per prediction (null entries for unknown), or null for none.</param>
    public void AddRange(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<string?>? trueLabels = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (trueLabels is not null && trueLabels.Count != predictions.Count)
            throw new ArgumentException($"{trueLabels.Count} true labels for {predictions.Count} predictions.", nameof(trueLabels));
        for (int i = 0; i < predictions.Count; i++) Add(predictions[i], trueLabels?[i]);
    }

    /// <summary>The top tokens and bigrams of every class.</summary>
    /// <param name="by">Group texts by the predicted or the true class.</param>
    /// <param name="top">Entries per list (at least 1).</param>
    /// <param name="minCount">The fewest occurrences an entry needs to be listed, by total as well as by mean (at least 1).</param>
    /// <exception cref="InvalidOperationException"><paramref name="by"/> is <see cref="ClassGrouping.True"/> and no text had a true label.</exception>
    public DatasetAttentionSummary Summarize(ClassGrouping by = ClassGrouping.Predicted, int top = 20, int minCount = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        if (by == ClassGrouping.True && LabelledTexts == 0)
            throw new InvalidOperationException("No text had a true label: group by the predicted class, or pass the true labels to Add.");
        Compact();
        int heads = Math.Max(1, Heads);
        IEnumerable<(string Label, ClassState? State)> classes = by == ClassGrouping.Predicted
            ? Labels.Select(l => (l, (ClassState?)_byPredicted[l]))
            : Labels.Select(l => (l, _byTrue.GetValueOrDefault(l))).Concat(_trueOrder.Where(l => !Labels.Contains(l)).Select(l => (l, _byTrue.GetValueOrDefault(l))));
        return new DatasetAttentionSummary
        {
            By = by, Texts = Texts, LabelledTexts = LabelledTexts, Heads = heads, Top = top, MinCount = minCount,
            Classes = classes.Select(c => (c.State ?? new ClassState(heads)).Summarize(c.Label, top, minCount, heads)).ToList(),
        };
    }

    // Cuts the excerpts of the examples still kept; the dropped ones are let go with their texts.
    private void Compact()
    {
        foreach (var example in _pending)
            if (example.References > 0) example.Cut(_options.ExampleContext);
        _pending.Clear();
    }

    private long NextLong(long maxExclusive) => _random.NextInt64(maxExclusive);

    // The largest table drops its rarest quarter until all tables together are back under the cap.
    private void Prune()
    {
        var tables = _byPredicted.Values.Concat(_byTrue.Values).SelectMany(c => new ITable[] { c.Tokens, c.Bigrams }).ToList();
        while (_entries > _options.MaxEntries)
        {
            var largest = tables.MaxBy(t => t.Count)!;
            _entries -= largest.Prune(Math.Max(1, largest.Count / 4));
        }
    }

    private Example NewExample(in Occurrence occurrence)
    {
        var t = occurrence.Text;
        var example = new Example
        {
            TextIndex = t.Index, Text = t.Text, Offset = occurrence.Offset, Length = occurrence.Length, Weight = occurrence.Weight,
            PredictedLabel = t.PredictedLabel, Probability = t.Probability, TrueLabel = t.TrueLabel,
        };
        _pending.Add(example);
        return example;
    }

    /// <summary>What every occurrence of one text shares.</summary>
    private sealed record TextInfo(string Text, long Index, string PredictedLabel, float Probability, string? TrueLabel);

    /// <summary>One token (weights) or one bigram (first and second weights; whether text lies between them) of a text.</summary>
    private readonly record struct Occurrence(TextInfo Text, int Offset, int Length, float Weight, float[] Weights, float[]? SecondWeights, bool Spaced);

    /// <summary>A kept example: first the whole text, cut to its excerpt by <see cref="Compact"/>; shared by the predicted and the true table.</summary>
    private sealed class Example
    {
        public long TextIndex;
        public string Text = "";
        public int Offset;
        public int Length;
        public int Start;
        public bool CutBefore;
        public bool CutAfter;
        public bool IsCut;
        public float Weight;
        public string PredictedLabel = "";
        public float Probability;
        public string? TrueLabel;
        // Reservoir slots that hold it (at most two: the predicted and the true table).
        public int References;

        public void Cut(int context)
        {
            if (IsCut) return;
            IsCut = true;
            string full = Text;
            int offset = Math.Clamp(Offset, 0, full.Length), end = Math.Clamp(Offset + Length, offset, full.Length);
            int start = Math.Max(0, offset - context), stop = Math.Min(full.Length, end + context);
            // Cut at a space when one is near, so words stay whole; never between the halves of a surrogate pair.
            if (start > 0)
            {
                int space = full.IndexOf(' ', start, Math.Min(12, offset - start));
                if (space >= 0) start = space + 1;
                else if (char.IsLowSurrogate(full[start])) start--;
            }
            if (stop < full.Length)
            {
                int from = Math.Max(end, stop - 12);
                int space = stop > from ? full.LastIndexOf(' ', stop - 1, stop - from) : -1;
                if (space >= 0) stop = space;
                else if (char.IsLowSurrogate(full[stop])) stop++;
            }
            Text = start == 0 && stop == full.Length ? full : full[start..stop];
            Offset = offset - start;
            Length = end - offset;
            Start = start;
            CutBefore = start > 0;
            CutAfter = stop < full.Length;
        }

        public AttentionExample ToPublic() =>
            new(TextIndex, Text, Offset, Length, Start, CutBefore, CutAfter, Weight, PredictedLabel, Probability, TrueLabel);
    }

    private sealed class Entry
    {
        public long Count;
        public long Texts;
        public double Total;
        // Per head, for multi-head models only (null for one head: the head's total is Total).
        public double[]? HeadTotals;
        public long LastText = -1;
        // A bigram whose tokens were apart (a space between them) where it was first seen: written with a space.
        public bool Spaced;
        public Example[]? Examples;
        public int ExampleCount;

        public void Release()
        {
            for (int i = 0; i < ExampleCount; i++) Examples![i].References--;
        }
    }

    private interface ITable
    {
        int Count { get; }

        int Prune(int drop);
    }

    private sealed class Table<TKey>(int heads) : ITable where TKey : notnull
    {
        private readonly Dictionary<TKey, Entry> _entries = new();

        public long Pruned { get; private set; }
        public long LargestPrunedCount { get; private set; }
        public int Count => _entries.Count;
        public IEnumerable<KeyValuePair<TKey, Entry>> Entries => _entries;

        public void Add(TKey key, in Occurrence occurrence, DatasetAttention owner, ref Example? shared)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out bool exists);
            if (!exists)
            {
                slot = new Entry { HeadTotals = heads > 1 ? new double[heads] : null, Spaced = occurrence.Spaced };
                owner._entries++;
            }
            var entry = slot!;
            entry.Count++;
            entry.Total += occurrence.Weight;
            if (entry.HeadTotals is { } headTotals)
                for (int h = 0; h < heads; h++)
                    headTotals[h] += occurrence.Weights[h] + (occurrence.SecondWeights is { } second ? second[h] : 0);
            if (entry.LastText == occurrence.Text.Index) return;
            // The first occurrence in a text: one more text, and a reservoir step (algorithm R) over the texts.
            entry.LastText = occurrence.Text.Index;
            entry.Texts++;
            int k = owner._options.ExamplesPerEntry;
            if (k == 0) return;
            int place;
            if (entry.ExampleCount < k)
            {
                entry.Examples ??= new Example[Math.Min(k, 4)];
                if (entry.ExampleCount == entry.Examples.Length) Array.Resize(ref entry.Examples, k);
                place = entry.ExampleCount++;
            }
            else
            {
                long j = owner.NextLong(entry.Texts);
                if (j >= k) return;
                place = (int)j;
                entry.Examples![place].References--;
            }
            shared ??= owner.NewExample(occurrence);
            shared.References++;
            entry.Examples[place] = shared;
        }

        /// <summary>Drops <paramref name="drop"/> of the rarest entries: the lowest counts, and among equal counts the lowest totals.</summary>
        public int Prune(int drop)
        {
            drop = Math.Min(drop, _entries.Count);
            // The count up to which entries go: counts are mostly small, so a histogram finds it in one pass.
            var small = new int[64];
            var large = new SortedDictionary<long, int>();
            foreach (var entry in _entries.Values)
            {
                if (entry.Count < small.Length) small[entry.Count]++;
                else large[entry.Count] = large.GetValueOrDefault(entry.Count) + 1;
            }
            long threshold = 0;
            int below = 0;
            foreach (var (count, entries) in small.Select((n, c) => ((long)c, n)).Concat(large.Select(p => (p.Key, p.Value))))
            {
                threshold = count;
                if (below + entries >= drop) break;
                below += entries;
            }
            // Everything under the threshold, then the lowest totals of those at it.
            var dropped = new List<TKey>(drop);
            var tiedKeys = new List<TKey>();
            var tiedTotals = new List<double>();
            foreach (var (key, entry) in _entries)
            {
                if (entry.Count < threshold) dropped.Add(key);
                else if (entry.Count == threshold)
                {
                    tiedKeys.Add(key);
                    tiedTotals.Add(entry.Total);
                }
            }
            var keys = tiedKeys.ToArray();
            Array.Sort(tiedTotals.ToArray(), keys);
            dropped.AddRange(keys.Take(drop - dropped.Count));
            foreach (var key in dropped)
            {
                _entries.Remove(key, out var entry);
                entry!.Release();
                LargestPrunedCount = Math.Max(LargestPrunedCount, entry.Count);
            }
            Pruned += dropped.Count;
            return dropped.Count;
        }
    }

    private sealed class ClassState(int heads)
    {
        public long Texts { get; private set; }
        public long TokenCount { get; private set; }
        public double Mass { get; private set; }
        public Table<string> Tokens { get; } = new(heads);
        public Table<(string, string)> Bigrams { get; } = new(heads);

        public void AddText(ClassPrediction prediction)
        {
            Texts++;
            TokenCount += prediction.Tokens.Count;
            foreach (var token in prediction.Tokens) Mass += token.Weight;
        }

        public ClassAttention Summarize(string label, int top, int minCount, int headCount)
        {
            var tokens = Tokens.Entries.Where(e => e.Value.Count >= minCount).Select(e => (Text: e.Key, Parts: (string[])[e.Key], Entry: e.Value)).ToList();
            var bigrams = Bigrams.Entries.Where(e => e.Value.Count >= minCount)
                .Select(e => (Text: e.Value.Spaced ? e.Key.Item1 + " " + e.Key.Item2 : e.Key.Item1 + e.Key.Item2, Parts: (string[])[e.Key.Item1, e.Key.Item2], Entry: e.Value)).ToList();
            return new ClassAttention
            {
                Label = label, Texts = Texts, Tokens = TokenCount, Mass = Mass,
                DistinctTokens = Tokens.Count, DistinctBigrams = Bigrams.Count,
                PrunedTokens = Tokens.Pruned, PrunedBigrams = Bigrams.Pruned,
                LargestPrunedCount = Math.Max(Tokens.LargestPrunedCount, Bigrams.LargestPrunedCount),
                TokensByTotal = Rank(tokens, top, e => e.Total),
                TokensByMean = Rank(tokens, top, e => e.Total / e.Count),
                BigramsByTotal = Rank(bigrams, top, e => e.Total),
                BigramsByMean = Rank(bigrams, top, e => e.Total / e.Count),
                Heads = headCount == 1 ? Array.Empty<HeadAttention>() : Enumerable.Range(0, headCount).Select(h => new HeadAttention(h,
                    Rank(tokens, top, e => e.HeadTotals![h]), Rank(tokens, top, e => e.HeadTotals![h] / e.Count),
                    Rank(bigrams, top, e => e.HeadTotals![h]), Rank(bigrams, top, e => e.HeadTotals![h] / e.Count))).ToList(),
            };
        }

        // Highest score first; ties by more occurrences, then by the token in ordinal order, so the lists are stable.
        private static List<TokenAttention> Rank(List<(string Text, string[] Parts, Entry Entry)> entries, int top, Func<Entry, double> score) =>
            entries.OrderByDescending(e => score(e.Entry)).ThenByDescending(e => e.Entry.Count).ThenBy(e => e.Text, StringComparer.Ordinal)
                .Take(top)
                .Select(e => new TokenAttention(e.Text, e.Parts, e.Entry.Count, e.Entry.Texts, e.Entry.Total, e.Entry.HeadTotals?.ToArray() ?? [e.Entry.Total],
                    e.Entry.Examples is null ? Array.Empty<AttentionExample>()
                        : e.Entry.Examples.Take(e.Entry.ExampleCount).OrderBy(x => x.TextIndex).Select(x => x.ToPublic()).ToArray()))
                .ToList();
    }
}
