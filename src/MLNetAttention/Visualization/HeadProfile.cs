namespace MLNetAttention.Visualization;

/// <summary>
/// What each head of a classifier looks at over a set of texts, and how different its heads are: per head, the tokens
/// with the highest total and the highest mean weight per occurrence over all the texts (whatever their class), next to
/// the <see cref="HeadDiversity"/> figures.
/// </summary>
/// <remarks>
/// Add predictions one at a time (memory is bounded as in <see cref="DatasetAttention"/>, which does the counting), then
/// call <see cref="Summarize"/>. Works for single-head models too: one head, whose lists are the model's, and no
/// pairwise figures.
/// </remarks>
/// <example>
/// <code>
/// var profile = new HeadProfile(classifier.Network.Options.WeightRows);
/// foreach (var chunk in texts.Chunk(512)) profile.AddRange(classifier.Predict(chunk));
/// var summary = profile.Summarize(top: 10, minCount: 5);
/// // summary.Heads[1].Label() is, say, "黄 帶 烟": what head 2 looks for.
/// </code>
/// </example>
public sealed class HeadProfile
{
    // Every text counts for one class, so that the per-head lists rank tokens over the whole set.
    private static readonly string[] OneClass = ["all"];
    private static readonly float[] Certain = [1f];

    private readonly HeadDiversity _diversity;
    private readonly DatasetAttention _tokens;

    /// <summary>Creates an empty profile for a model with <paramref name="heads"/> weight rows per text.</summary>
    /// <param name="heads">Weight rows per text (1 for single-head pooling).</param>
    /// <param name="maxEntries">The most distinct tokens counted exactly (see <see cref="DatasetAttentionOptions.MaxEntries"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heads"/> is less than 1.</exception>
    public HeadProfile(int heads, int maxEntries = 100_000)
    {
        _diversity = new HeadDiversity(heads);
        _tokens = new DatasetAttention(new DatasetAttentionOptions { ExamplesPerEntry = 0, Bigrams = false, MaxEntries = maxEntries });
        Heads = heads;
    }

    /// <summary>Weight rows per text.</summary>
    public int Heads { get; }

    /// <summary>Texts added.</summary>
    public long Texts => _tokens.Texts;

    /// <summary>Adds one prediction.</summary>
    /// <exception cref="ArgumentException">The prediction has another number of heads than <see cref="Heads"/>.</exception>
    public void Add(ClassPrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        _diversity.Add(prediction);
        _tokens.Add(new ClassPrediction
        {
            Text = prediction.Text, Label = OneClass[0], LabelIndex = 0, Labels = OneClass, Probabilities = Certain,
            Tokens = prediction.Tokens, Heads = prediction.Heads, TruncatedTokens = prediction.TruncatedTokens, UnknownShare = prediction.UnknownShare,
        });
    }

    /// <summary>Adds predictions in order.</summary>
    public void AddRange(IEnumerable<ClassPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        foreach (var prediction in predictions) Add(prediction);
    }

    /// <summary>The figures and per-head lists over the texts added so far.</summary>
    /// <param name="top">Tokens per list (at least 1).</param>
    /// <param name="minCount">The fewest occurrences a token needs to be listed, by total as well as by mean (at least 1).</param>
    public HeadProfileSummary Summarize(int top = 10, int minCount = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        var diversity = _diversity.Result;
        IReadOnlyList<HeadTokens> heads;
        if (_tokens.Texts == 0)
            heads = Enumerable.Range(0, Heads).Select(h => new HeadTokens(h, diversity.HeadDivergenceFromUniform[h], [], [])).ToList();
        else
        {
            var all = _tokens.Summarize(ClassGrouping.Predicted, top, minCount).Classes[0];
            // A single head's lists are the class's own (DatasetAttention keeps per-head lists for several heads only).
            heads = Heads == 1
                ? [new HeadTokens(0, diversity.HeadDivergenceFromUniform[0], all.TokensByTotal, all.TokensByMean)]
                : all.Heads.Select(h => new HeadTokens(h.Head, diversity.HeadDivergenceFromUniform[h.Head], h.TokensByTotal, h.TokensByMean)).ToList();
        }
        return new HeadProfileSummary { Diversity = diversity, Texts = _tokens.Texts, Top = top, MinCount = minCount, Heads = heads };
    }

    /// <summary>The summary of <paramref name="predictions"/>, all from one model.</summary>
    /// <param name="predictions">At least one prediction; the first one's head count is the model's.</param>
    /// <param name="top">Tokens per list.</param>
    /// <param name="minCount">The fewest occurrences a token needs to be listed.</param>
    /// <exception cref="ArgumentException"><paramref name="predictions"/> is empty, or its predictions have different head counts.</exception>
    public static HeadProfileSummary Of(IReadOnlyList<ClassPrediction> predictions, int top = 10, int minCount = 5)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (predictions.Count == 0) throw new ArgumentException("No predictions to profile.", nameof(predictions));
        var profile = new HeadProfile(predictions[0].Heads);
        profile.AddRange(predictions);
        return profile.Summarize(top, minCount);
    }
}

/// <summary>What one head looks at over a set of texts (see <see cref="HeadProfile"/>).</summary>
/// <param name="Head">The head, 0-based.</param>
/// <param name="DivergenceFromUniform">The head's mean Jensen–Shannon divergence from uniform weights, in nats.</param>
/// <param name="TokensByTotal">Tokens by this head's total weight: read <c>HeadTotals[Head]</c> of each entry.</param>
/// <param name="TokensByMean">Tokens by this head's mean weight per occurrence: read <c>HeadMean(Head)</c> of each entry.</param>
public sealed record HeadTokens(int Head, double DivergenceFromUniform, IReadOnlyList<TokenAttention> TokensByTotal, IReadOnlyList<TokenAttention> TokensByMean)
{
    /// <summary>The head's first <paramref name="tokens"/> tokens by mean weight, joined by spaces (empty when none reached the minimum count).</summary>
    public string Label(int tokens = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        return string.Join(" ", TokensByMean.Select(t => FigureLayout.OneLine(t.Token).Trim()).Where(t => t.Length > 0).Take(tokens));
    }
}

/// <summary>The heads of a model over a set of texts: their diversity and what each looks at (see <see cref="HeadProfile"/>).</summary>
public sealed class HeadProfileSummary
{
    /// <summary>How peaked the heads are and how differently they weigh the same texts.</summary>
    public required HeadDiversityResult Diversity { get; init; }

    /// <summary>Texts added (<see cref="HeadDiversityResult.Texts"/> counts only those of two tokens or more).</summary>
    public required long Texts { get; init; }

    /// <summary>Tokens per list.</summary>
    public required int Top { get; init; }

    /// <summary>The fewest occurrences a listed token has.</summary>
    public required int MinCount { get; init; }

    /// <summary>One entry per head, in order.</summary>
    public required IReadOnlyList<HeadTokens> Heads { get; init; }

    /// <summary>
    /// Each head's <see cref="HeadTokens.Label"/>: what <see cref="HtmlReportOptions.HeadLabels"/> and
    /// <see cref="FigureOptions.HeadLabels"/> take.
    /// </summary>
    public IReadOnlyList<string> Labels(int tokens = 3) => Heads.Select(h => h.Label(tokens)).ToArray();
}
