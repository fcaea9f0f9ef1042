namespace MLNetAttention;

/// <summary>A matcher's answer for one pair: match or not, the match probability and both sentences' token weights.</summary>
public sealed class MatchPrediction
{
    /// <summary>The readable name of the label "1".</summary>
    public const string MatchName = "match";

    /// <summary>The readable name of the label "0".</summary>
    public const string NoMatchName = "no match";

    /// <summary>The first sentence.</summary>
    public required string Text1 { get; init; }

    /// <summary>The second sentence.</summary>
    public required string Text2 { get; init; }

    /// <summary>"1" when the pair matches (<see cref="Probability"/> ≥ 0.5), else "0" (shown as "match" / "no match").</summary>
    public string Label => IsMatch ? "1" : "0";

    /// <summary>The readable name of <see cref="Label"/>: "match" or "no match".</summary>
    public string LabelName => NameOf(Label);

    /// <summary>Whether the pair matches (<see cref="Probability"/> ≥ 0.5).</summary>
    public bool IsMatch => Probability >= 0.5f;

    /// <summary>The probability that the pair matches.</summary>
    public required float Probability { get; init; }

    /// <summary>The tokens of <see cref="Text1"/> the model saw, with weights summing to 1.</summary>
    public required IReadOnlyList<TokenWeight> Tokens1 { get; init; }

    /// <summary>The tokens of <see cref="Text2"/> the model saw, with weights summing to 1.</summary>
    public required IReadOnlyList<TokenWeight> Tokens2 { get; init; }

    /// <summary>Tokens of <see cref="Text1"/> past the model's maximum length that were not scored.</summary>
    public required int TruncatedTokens1 { get; init; }

    /// <summary>Tokens of <see cref="Text2"/> past the model's maximum length that were not scored.</summary>
    public required int TruncatedTokens2 { get; init; }

    /// <summary>
    /// For the cross-attention matcher: how each token of <see cref="Tokens1"/> attends over the tokens of
    /// <see cref="Tokens2"/>, row-major [Tokens1.Count, Tokens2.Count] (each row sums to 1); null for the other matchers.
    /// </summary>
    public float[,]? Alignment { get; init; }

    /// <summary>The readable name of a matcher label: "1" is "match", "0" is "no match"; any other label is returned as given.</summary>
    /// <param name="label">A label, such as <see cref="Label"/> or a gold label read from data.</param>
    public static string NameOf(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        return label.Trim() switch { "1" => MatchName, "0" => NoMatchName, _ => label };
    }

    /// <summary>Row <paramref name="row"/> of a row-major (batch, length1, length2) alignment, cut to the pair's real tokens.</summary>
    internal static float[,] AlignmentOf(float[] values, int row, int length1, int length2, int tokens1, int tokens2)
    {
        var result = new float[tokens1, tokens2];
        int start = row * length1 * length2;
        for (int i = 0; i < tokens1; i++)
            for (int j = 0; j < tokens2; j++)
                result[i, j] = values[start + i * length2 + j];
        return result;
    }
}
