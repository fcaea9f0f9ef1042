
namespace MLNetAttention.Visualization;

/// <summary>
/// What the visualisations draw for one text: the text, its token spans, one weight per token and head, and the
/// labels around it. Independent of the model that produced it; build one with <see cref="FromPrediction"/>.
/// </summary>
public sealed class WeightedText
{
    private readonly float[][] _headWeights;
    private readonly float[] _weights;
    private readonly ExplanationRow[]? _explanations;

    /// <summary>Creates a weighted text with one weight row per head.</summary>
    /// <param name="text">The text.</param>
    /// <param name="spans">Each token's (offset, length) in <paramref name="text"/>, in text order and not overlapping.</param>
    /// <param name="headWeights">One row per head, each with one weight per span.</param>
    public WeightedText(string text, IReadOnlyList<(int Offset, int Length)> spans, IReadOnlyList<IReadOnlyList<float>> headWeights)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(headWeights);
        if (headWeights.Count == 0) throw new ArgumentException("At least one head of weights is needed.", nameof(headWeights));
        int position = 0;
        for (int i = 0; i < spans.Count; i++)
        {
            var (offset, length) = spans[i];
            if (offset < position || length < 0 || offset + length > text.Length)
                throw new ArgumentException($"Span {i} ({offset}, {length}) is out of order or outside the text.", nameof(spans));
            position = offset + length;
        }
        for (int h = 0; h < headWeights.Count; h++)
            if (headWeights[h] is null || headWeights[h].Count != spans.Count)
                throw new ArgumentException($"Head {h} has {headWeights[h]?.Count ?? 0} weights for {spans.Count} tokens.", nameof(headWeights));
        Text = text;
        Spans = spans.ToArray();
        _headWeights = headWeights.Select(row => row.ToArray()).ToArray();
        _weights = new float[spans.Count];
        for (int i = 0; i < _weights.Length; i++)
        {
            float sum = 0;
            foreach (var row in _headWeights) sum += row[i];
            _weights[i] = sum / _headWeights.Length;
        }
    }

    /// <summary>Creates a single-head weighted text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="spans">Each token's (offset, length) in <paramref name="text"/>, in text order.</param>
    /// <param name="weights">One weight per span.</param>
    public WeightedText(string text, IReadOnlyList<(int Offset, int Length)> spans, IReadOnlyList<float> weights)
        : this(text, spans, new[] { weights ?? throw new ArgumentNullException(nameof(weights)) })
    {
    }

    /// <summary>The text.</summary>
    public string Text { get; }

    /// <summary>Each token's (offset, length) in <see cref="Text"/>, in UTF-16 code units.</summary>
    public IReadOnlyList<(int Offset, int Length)> Spans { get; }

    /// <summary>Number of weight rows (attention heads).</summary>
    public int Heads => _headWeights.Length;

    /// <summary>The weights of one head, one per token.</summary>
    public IReadOnlyList<float> HeadWeights(int head) => _headWeights[head];

    /// <summary>The mean weight over heads, one per token: what the text is coloured by.</summary>
    public IReadOnlyList<float> Weights => _weights;

    /// <summary>The token at <paramref name="index"/> as it appears in the text.</summary>
    public string Token(int index) => Text.Substring(Spans[index].Offset, Spans[index].Length);

    /// <summary>The true (gold) label, when known.</summary>
    public string? TrueLabel { get; init; }

    /// <summary>The predicted label, when there is one.</summary>
    public string? PredictedLabel { get; init; }

    /// <summary>The probability of <see cref="PredictedLabel"/>.</summary>
    public float? Probability { get; init; }

    /// <summary>Tokens past the model's maximum length that were not scored (shown as a note).</summary>
    public int TruncatedTokens { get; init; }

    /// <summary>The share of the tokens outside the model's vocabulary; the HTML report marks a text above 50 %.</summary>
    public float UnknownShare { get; init; }

    /// <summary>Whether the prediction matches the true label; null when either is unknown.</summary>
    public bool? IsCorrect => TrueLabel is null || PredictedLabel is null ? null : TrueLabel == PredictedLabel;

    /// <summary>
    /// Other explainers' scores of the same prediction, one row per explainer with one score per span, or null for none.
    /// The HTML report and the figures draw them side by side under the text, on one colour scale per text (see
    /// <see cref="ExplanationRow"/>), and the report can colour the text by any of them.
    /// </summary>
    /// <exception cref="ArgumentException">A row does not have one score per span.</exception>
    public IReadOnlyList<ExplanationRow>? Explanations
    {
        get => _explanations;
        init
        {
            if (value is not null)
                for (int r = 0; r < value.Count; r++)
                {
                    if (value[r] is null) throw new ArgumentException($"Explanation row {r} is null.", nameof(Explanations));
                    if (value[r].Scores.Count != Spans.Count)
                        throw new ArgumentException($"Explanation row {r} ({value[r].Name}) has {value[r].Scores.Count} scores for {Spans.Count} tokens.", nameof(Explanations));
                }
            _explanations = value?.ToArray();
        }
    }

    /// <summary>Whether <see cref="Explanations"/> has at least one row.</summary>
    public bool HasExplanations => _explanations is { Length: > 0 };

    /// <summary>A copy of this text with <paramref name="explanations"/> as its <see cref="Explanations"/>.</summary>
    /// <param name="explanations">The rows, each with one score per span; null for none.</param>
    /// <exception cref="ArgumentException">A row does not have one score per span.</exception>
    public WeightedText WithExplanations(IReadOnlyList<ExplanationRow>? explanations) =>
        new(Text, Spans, _headWeights)
        {
            TrueLabel = TrueLabel,
            PredictedLabel = PredictedLabel,
            Probability = Probability,
            TruncatedTokens = TruncatedTokens,
            UnknownShare = UnknownShare,
            Explanations = explanations,
        };

    /// <summary>The view of a classifier's prediction, with the true label when known.</summary>
    /// <param name="prediction">The prediction.</param>
    /// <param name="trueLabel">The gold label, or null.</param>
    public static WeightedText FromPrediction(ClassPrediction prediction, string? trueLabel = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var spans = prediction.Tokens.Select(t => (t.Offset, t.Length)).ToArray();
        var heads = new IReadOnlyList<float>[Math.Max(1, prediction.Heads)];
        for (int h = 0; h < heads.Length; h++)
            heads[h] = prediction.Tokens.Select(t => t.Weights.Length > h ? t.Weights[h] : t.Weight).ToArray();
        return new WeightedText(prediction.Text, spans, heads)
        {
            TrueLabel = trueLabel,
            PredictedLabel = prediction.Label,
            Probability = prediction.Probability,
            TruncatedTokens = prediction.TruncatedTokens,
            UnknownShare = prediction.UnknownShare,
        };
    }
}

/// <summary>Two weighted texts scored together (a matcher's input pair), with the pair's labels.</summary>
/// <param name="First">The first text's weights.</param>
/// <param name="Second">The second text's weights.</param>
public sealed record WeightedPair(WeightedText First, WeightedText Second)
{
    private readonly float[,]? _alignment;

    /// <summary>The true (gold) label of the pair, when known.</summary>
    public string? TrueLabel { get; init; }

    /// <summary>The predicted label of the pair.</summary>
    public string? PredictedLabel { get; init; }

    /// <summary>The probability of <see cref="PredictedLabel"/>.</summary>
    public float? Probability { get; init; }

    /// <summary>Whether the prediction matches the true label; null when either is unknown.</summary>
    public bool? IsCorrect => TrueLabel is null || PredictedLabel is null ? null : TrueLabel == PredictedLabel;

    /// <summary>
    /// How each token of <see cref="First"/> attends over the tokens of <see cref="Second"/> (a cross-attention matcher's
    /// alignment), [First.Spans.Count, Second.Spans.Count]; drawn as a heatmap. Null for matchers without one.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not [First.Spans.Count, Second.Spans.Count].</exception>
    public float[,]? Alignment
    {
        get => _alignment;
        init
        {
            if (value is not null && (value.GetLength(0) != First.Spans.Count || value.GetLength(1) != Second.Spans.Count))
                throw new ArgumentException(
                    $"The alignment is {value.GetLength(0)} × {value.GetLength(1)} for {First.Spans.Count} × {Second.Spans.Count} tokens.", nameof(Alignment));
            _alignment = value;
        }
    }

    /// <summary>
    /// The view of a matcher's prediction: both sentences' weights and, for a cross-attention matcher, the alignment, with
    /// the pair's true label when known. Labels stay "0"/"1"; the views show them as "no match"/"match".
    /// </summary>
    /// <param name="prediction">The prediction.</param>
    /// <param name="trueLabel">The gold label ("1" match, "0" no match), or null.</param>
    public static WeightedPair FromPrediction(MatchPrediction prediction, string? trueLabel = null)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        static WeightedText Side(string text, IReadOnlyList<TokenWeight> tokens, int truncated) =>
            new(text, tokens.Select(t => (t.Offset, t.Length)).ToArray(), tokens.Select(t => t.Weight).ToArray()) { TruncatedTokens = truncated };
        return new WeightedPair(Side(prediction.Text1, prediction.Tokens1, prediction.TruncatedTokens1),
            Side(prediction.Text2, prediction.Tokens2, prediction.TruncatedTokens2))
        {
            TrueLabel = trueLabel,
            PredictedLabel = prediction.Label,
            Probability = prediction.IsMatch ? prediction.Probability : 1 - prediction.Probability,
            Alignment = prediction.Alignment,
        };
    }
}
