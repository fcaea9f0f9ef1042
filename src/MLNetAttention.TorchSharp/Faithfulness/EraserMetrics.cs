using MLNetAttention.Text;

namespace MLNetAttention.Faithfulness;

/// <summary>
/// The class probabilities a model gives each row of token ids (unpadded, in input order): the only thing the ERASER
/// metrics ask of a model. <see cref="ExplainerComparison"/> wraps a trained classifier in one; a test can pass a
/// function whose probabilities it computes by hand.
/// </summary>
/// <param name="rows">Token id rows, each with at least one token.</param>
/// <returns>One probability vector per row, every vector of the same length (the classes).</returns>
public delegate IReadOnlyList<float[]> ClassProbabilityFunction(IReadOnlyList<int[]> rows);

/// <summary>The ERASER scores of one explainer at one k.</summary>
/// <param name="Percent">k, in percent of each text's length.</param>
/// <param name="MeanTokens">The mean number of tokens ceil(k/100 · n) that formed the rationale.</param>
/// <param name="Comprehensiveness">Mean over texts of p(x)_y − p(x without the top-k tokens)_y.</param>
/// <param name="Sufficiency">Mean over texts of p(x)_y − p(only the top-k tokens)_y.</param>
public sealed record EraserPoint(double Percent, double MeanTokens, double Comprehensiveness, double Sufficiency);

/// <summary>
/// ERASER comprehensiveness and sufficiency of one explainer, each as AOPC: the mean over the k values of
/// <see cref="EraserPoint"/>, then over texts.
/// </summary>
/// <param name="Comprehensiveness">AOPC comprehensiveness, in [−1, 1]; higher is better (erasing the tokens the explainer ranks first hurts the prediction most).</param>
/// <param name="Sufficiency">AOPC sufficiency, in [−1, 1]; lower is better (the top tokens alone keep the prediction).</param>
/// <param name="Points">The scores at each k, by increasing k.</param>
/// <param name="Texts">Number of texts averaged.</param>
public sealed record EraserScores(double Comprehensiveness, double Sufficiency, IReadOnlyList<EraserPoint> Points, int Texts);

/// <summary>
/// The faithfulness metrics of the ERASER benchmark (DeYoung et al. 2020, "ERASER: A Benchmark to Evaluate Rationalized
/// NLP Models"), as ferret's <c>aopc_compr</c> and <c>aopc_suff</c> compute them, for any per-token importance:
/// <list type="bullet">
/// <item><b>comprehensiveness</b> = p(x)_y − p(x with its top-k% tokens erased)_y: higher is better;</item>
/// <item><b>sufficiency</b> = p(x)_y − p(only its top-k% tokens)_y: lower is better;</item>
/// </list>
/// y being the class the model predicts for the whole text x. Each is an AOPC: the mean over k ∈
/// <see cref="EraserOptions.Percentages"/> (by default 1, 5, 10, 20 and 50 %; no k = 0 term), then over texts.
/// The top-k% of a text of n tokens are its ceil(k/100 · n) highest-scoring tokens (see <see cref="TokensFor"/>;
/// equal scores go to the earlier token). Erased tokens are deleted by default (<see cref="EraseMode.Remove"/>:
/// the remaining ids are concatenated in text order, as the reference implementations do), or replaced by the
/// unknown id (<see cref="EraseMode.Unknown"/>: the text keeps its length).
/// </summary>
public static class EraserMetrics
{
    /// <summary>The ERASER bins: k = 1, 5, 10, 20 and 50 % of each text's tokens.</summary>
    public static readonly IReadOnlyList<double> DefaultPercentages = Array.AsReadOnly(new[] { 1.0, 5, 10, 20, 50 });

    /// <summary>
    /// The size of a text's top-<paramref name="percent"/>% rationale: ceil(percent/100 · <paramref name="length"/>),
    /// rounded up (so at least one token of a non-empty text) and at most the length. Computed as percent × length / 100,
    /// so 7 % of 100 tokens is 7 tokens, not 8.
    /// </summary>
    /// <param name="percent">k in percent, in (0, 100].</param>
    /// <param name="length">The text's length in tokens.</param>
    public static int TokensFor(double percent, int length)
    {
        if (!(percent > 0 && percent <= 100)) throw new ArgumentOutOfRangeException(nameof(percent), percent, "k must be a percentage in (0, 100].");
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0) return 0;
        int k = (int)Math.Ceiling(percent * length / 100.0 - 1e-9);
        return Math.Clamp(k, 1, length);
    }

    /// <summary>
    /// The text without its rationale: <paramref name="ids"/> with the tokens at <paramref name="rationale"/> erased
    /// (what comprehensiveness scores). A text erased down to no token is scored as a single unknown token.
    /// </summary>
    /// <param name="ids">Token ids without padding.</param>
    /// <param name="rationale">Positions of the rationale (0-based).</param>
    /// <param name="mode">Delete the tokens or replace them by the unknown id.</param>
    public static int[] Without(IReadOnlyList<int> ids, IReadOnlyCollection<int> rationale, EraseMode mode) =>
        NonEmpty(Erasure.Erase(ids, rationale, mode));

    /// <summary>
    /// The rationale alone: <paramref name="ids"/> with every token outside <paramref name="rationale"/> erased, the kept
    /// tokens in text order (what sufficiency scores).
    /// </summary>
    /// <param name="ids">Token ids without padding.</param>
    /// <param name="rationale">Positions of the rationale (0-based).</param>
    /// <param name="mode">Delete the other tokens or replace them by the unknown id.</param>
    public static int[] Only(IReadOnlyList<int> ids, IReadOnlyCollection<int> rationale, EraseMode mode)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(rationale);
        var keep = new bool[ids.Count];
        foreach (int p in rationale)
        {
            if (p < 0 || p >= ids.Count) throw new ArgumentOutOfRangeException(nameof(rationale), p, $"A position must be in 0..{ids.Count - 1}.");
            keep[p] = true;
        }
        var others = Enumerable.Range(0, ids.Count).Where(i => !keep[i]).ToArray();
        return NonEmpty(Erasure.Erase(ids, others, mode));
    }

    /// <summary>
    /// Comprehensiveness and sufficiency (AOPC) of one explainer on <paramref name="texts"/>: every erased variant of
    /// every text is scored in one call of <paramref name="model"/>.
    /// </summary>
    /// <param name="texts">Token id rows, each with at least one token.</param>
    /// <param name="importance">One score per token of each text; higher = more important.</param>
    /// <param name="model">The model's class probabilities.</param>
    /// <param name="options">The k values and the erase mode; null for the ERASER defaults (deletion).</param>
    public static EraserScores Score(IReadOnlyList<int[]> texts, IReadOnlyList<IReadOnlyList<float>> importance,
        ClassProbabilityFunction model, EraserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(importance);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new EraserOptions();
        options.Validate();
        CheckTexts(texts);
        var original = Probabilities(model, texts);
        return ScoreAll(texts, original, Predicted(original), new[] { importance }, model, options.Percentages, options.EraseMode)[0];
    }

    /// <summary>
    /// Leave-one-out importance of each token: p(x)_y − p(x without that token)_y, y the class predicted for x, the token
    /// erased as <paramref name="mode"/> says. All variants are scored in one call of <paramref name="model"/>.
    /// </summary>
    /// <param name="texts">Token id rows, each with at least one token.</param>
    /// <param name="model">The model's class probabilities.</param>
    /// <param name="mode">Delete the token (the ERASER default) or replace it by the unknown id.</param>
    public static IReadOnlyList<float[]> LeaveOneOut(IReadOnlyList<int[]> texts, ClassProbabilityFunction model, EraseMode mode = EraseMode.Remove)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(model);
        CheckTexts(texts);
        var original = Probabilities(model, texts);
        return LeaveOneOutOf(texts, original, Predicted(original), model, mode);
    }

    internal static float[][] LeaveOneOutOf(IReadOnlyList<int[]> texts, IReadOnlyList<float[]> original, IReadOnlyList<int> predicted,
        ClassProbabilityFunction model, EraseMode mode)
    {
        var variants = new VariantSet();
        var slots = texts.Select(ids => Enumerable.Range(0, ids.Length).Select(p => variants.Add(Without(ids, new[] { p }, mode))).ToArray()).ToArray();
        var scored = variants.Score(model);
        return slots.Select((row, t) => row.Select(slot => original[t][predicted[t]] - scored[slot][predicted[t]]).ToArray()).ToArray();
    }

    /// <summary>The scores of several explainers of the same predictions, all erased variants deduplicated and scored in one call.</summary>
    internal static EraserScores[] ScoreAll(IReadOnlyList<int[]> texts, IReadOnlyList<float[]> original, IReadOnlyList<int> predicted,
        IReadOnlyList<IReadOnlyList<IReadOnlyList<float>>> explainers, ClassProbabilityFunction model, IReadOnlyList<double> percentages, EraseMode mode)
    {
        var variants = new VariantSet();
        // slots[e][t][k] = (rationale size, comprehensiveness variant, sufficiency variant)
        var slots = new (int Tokens, int Without, int Only)[explainers.Count][][];
        for (int e = 0; e < explainers.Count; e++)
        {
            if (explainers[e].Count != texts.Count)
                throw new ArgumentException($"Explainer {e} scores {explainers[e].Count} texts; there are {texts.Count}.", nameof(explainers));
            slots[e] = new (int, int, int)[texts.Count][];
            for (int t = 0; t < texts.Count; t++)
            {
                var ids = texts[t];
                var scores = explainers[e][t];
                if (scores.Count != ids.Length)
                    throw new ArgumentException($"Explainer {e} gives {scores.Count} scores for text {t} of {ids.Length} tokens.", nameof(explainers));
                slots[e][t] = new (int, int, int)[percentages.Count];
                for (int k = 0; k < percentages.Count; k++)
                {
                    int size = TokensFor(percentages[k], ids.Length);
                    var top = Erasure.TopK(scores, size);
                    slots[e][t][k] = (size, variants.Add(Without(ids, top, mode)), variants.Add(Only(ids, top, mode)));
                }
            }
        }
        var scored = variants.Score(model);
        var result = new EraserScores[explainers.Count];
        for (int e = 0; e < explainers.Count; e++)
        {
            var points = new EraserPoint[percentages.Count];
            for (int k = 0; k < percentages.Count; k++)
            {
                double tokens = 0, comprehensiveness = 0, sufficiency = 0;
                for (int t = 0; t < texts.Count; t++)
                {
                    var (size, without, only) = slots[e][t][k];
                    float p = original[t][predicted[t]];
                    tokens += size;
                    comprehensiveness += p - scored[without][predicted[t]];
                    sufficiency += p - scored[only][predicted[t]];
                }
                int n = Math.Max(1, texts.Count);
                points[k] = new EraserPoint(percentages[k], tokens / n, comprehensiveness / n, sufficiency / n);
            }
            // The mean over k of the per-k means over texts is the mean over texts of each text's AOPC.
            result[e] = new EraserScores(points.Average(p => p.Comprehensiveness), points.Average(p => p.Sufficiency), points, texts.Count);
        }
        return result;
    }

    internal static float[][] Probabilities(ClassProbabilityFunction model, IReadOnlyList<int[]> rows)
    {
        if (rows.Count == 0) return Array.Empty<float[]>();
        var result = model(rows);
        if (result is null || result.Count != rows.Count)
            throw new InvalidOperationException($"The model gave {result?.Count ?? 0} probability vectors for {rows.Count} rows.");
        return result.ToArray();
    }

    internal static int[] Predicted(IReadOnlyList<float[]> probabilities) => probabilities.Select(ArgMax).ToArray();

    internal static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static int[] NonEmpty(int[] ids) => ids.Length > 0 ? ids : new[] { AttentionTokenizer.UnknownId };

    private static void CheckTexts(IReadOnlyList<int[]> texts)
    {
        for (int t = 0; t < texts.Count; t++)
            if (texts[t] is null || texts[t].Length == 0) throw new ArgumentException($"Text {t} has no tokens.", nameof(texts));
    }

    /// <summary>Distinct id rows, each scored once however many explainers and k values produce it.</summary>
    private sealed class VariantSet
    {
        private readonly Dictionary<int[], int> _index = new(RowComparer.Instance);
        private readonly List<int[]> _rows = new();

        public int Add(int[] row)
        {
            if (_index.TryGetValue(row, out int slot)) return slot;
            _index[row] = _rows.Count;
            _rows.Add(row);
            return _rows.Count - 1;
        }

        public float[][] Score(ClassProbabilityFunction model) => Probabilities(model, _rows);
    }

    private sealed class RowComparer : IEqualityComparer<int[]>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(int[] row)
        {
            var hash = new HashCode();
            hash.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
            return hash.ToHashCode();
        }
    }
}

/// <summary>Settings of <see cref="EraserMetrics.Score"/>: the k values and how tokens are erased.</summary>
public sealed class EraserOptions
{
    /// <summary>The rationale sizes k, in percent of each text's length (ceil(k/100 · n) tokens); the AOPC is their mean. ERASER's 1, 5, 10, 20, 50 by default.</summary>
    public IReadOnlyList<double> Percentages { get; set; } = EraserMetrics.DefaultPercentages;

    /// <summary>How tokens are erased: deleted (<see cref="EraseMode.Remove"/>, the ERASER and ferret default) or replaced by the unknown id.</summary>
    public EraseMode EraseMode { get; set; } = EraseMode.Remove;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Percentages is null || Percentages.Count == 0)
            throw new ArgumentException("Percentages is empty; give at least one k in percent of the length.", nameof(Percentages));
        foreach (var k in Percentages)
            if (!(k > 0 && k <= 100)) throw new ArgumentException($"Percentages has {k}; each k must be in (0, 100].", nameof(Percentages));
        if (!Enum.IsDefined(EraseMode)) throw new ArgumentException($"EraseMode {EraseMode} is not defined.", nameof(EraseMode));
    }
}
