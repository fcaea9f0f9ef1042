namespace MLNetAttention.Visualization;

/// <summary>
/// One explainer's scores of a text's tokens (attention, leave-one-out, gradient × input, integrated gradients, ...),
/// drawn under the text next to the other explainers of the same prediction (<see cref="WeightedText.Explanations"/>).
/// </summary>
/// <remarks>
/// Explainers score in different units, and some are signed (gradient × input is negative for a token that speaks
/// against the predicted class). The views therefore colour each row by its <see cref="Shares"/>: each token's |score|
/// divided by the sum of the row's |scores|, so every row sums to 1 like attention weights, and then put all rows of a
/// text on one min–max colour scale (<see cref="Scale"/>). The sign is kept in the hover text and drawn as an underline.
/// </remarks>
public sealed class ExplanationRow
{
    private readonly float[] _scores;
    private readonly float[] _shares;

    /// <summary>Creates a row.</summary>
    /// <param name="name">The explainer's name as the views show it, such as "leave-one-out".</param>
    /// <param name="scores">One score per token of the text, in token order; higher = more important for the predicted class.</param>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public ExplanationRow(string name, IReadOnlyList<float> scores)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(scores);
        Name = name;
        _scores = scores.ToArray();
        _shares = SharesOf(_scores);
    }

    /// <summary>The explainer's name.</summary>
    public string Name { get; }

    /// <summary>The scores as given, one per token (signed for the gradient explainers).</summary>
    public IReadOnlyList<float> Scores => _scores;

    /// <summary>
    /// |score| ÷ the sum of the row's |scores|, one per token: what the views colour by. The shares sum to 1; all are 0
    /// when every score is 0. NaN and infinite scores count as 0.
    /// </summary>
    public IReadOnlyList<float> Shares => _shares;

    /// <summary>
    /// The colour of every token of every row on one scale: each row's <see cref="Shares"/>, min–max normalised over
    /// all rows together, so the largest share in any row is 1 and the same share is the same colour in every row.
    /// </summary>
    /// <param name="rows">The rows of one text, all of the same length.</param>
    /// <returns>Per row, per token, a value in [0, 1]; with the lowest and highest share over the rows.</returns>
    public static (double[][] Normalized, float Min, float Max) Scale(IReadOnlyList<ExplanationRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var all = rows.SelectMany(r => r.Shares).ToArray();
        var normalized = ColorMap.Normalize(all);
        var result = new double[rows.Count][];
        int at = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            result[r] = normalized.AsSpan(at, rows[r].Shares.Count).ToArray();
            at += rows[r].Shares.Count;
        }
        return (result, all.Length == 0 ? 0 : all.Min(), all.Length == 0 ? 0 : all.Max());
    }

    private static float[] SharesOf(float[] scores)
    {
        double sum = 0;
        foreach (float s in scores) if (float.IsFinite(s)) sum += Math.Abs(s);
        var shares = new float[scores.Length];
        if (!(sum > 0)) return shares;
        for (int i = 0; i < shares.Length; i++) shares[i] = float.IsFinite(scores[i]) ? (float)(Math.Abs(scores[i]) / sum) : 0;
        return shares;
    }
}
