namespace MLNetAttention.Training;

/// <summary>One token of a scored text, where it is in the text and how much weight the pooling gave it.</summary>
/// <param name="Token">The vocabulary form of the token (lowercased in mixed mode; "&lt;unk&gt;" ids keep the text's form here).</param>
/// <param name="Id">Its id (1 = unknown).</param>
/// <param name="Offset">Start in the original text, in UTF-16 code units.</param>
/// <param name="Length">Length in the original text, in UTF-16 code units.</param>
/// <param name="Weights">One weight per head (one for single-head pooling); each head's weights sum to 1 over the text.</param>
public sealed record TokenWeight(string Token, int Id, int Offset, int Length, float[] Weights)
{
    /// <summary>The mean weight over heads: the value to colour the token by.</summary>
    public float Weight => Weights.Length == 1 ? Weights[0] : Weights.Average();
}

/// <summary>A classifier's answer for one text: the label, every class's probability and the tokens with their weights.</summary>
public sealed class ClassPrediction
{
    /// <summary>The text that was scored.</summary>
    public required string Text { get; init; }

    /// <summary>The most probable label.</summary>
    public required string Label { get; init; }

    /// <summary>The probability of <see cref="Label"/>.</summary>
    public float Probability => Probabilities[LabelIndex];

    /// <summary>Index of <see cref="Label"/> in <see cref="Labels"/>.</summary>
    public required int LabelIndex { get; init; }

    /// <summary>All labels, in the model's order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>One probability per label, summing to 1.</summary>
    public required float[] Probabilities { get; init; }

    /// <summary>The tokens the model saw, in text order.</summary>
    public required IReadOnlyList<TokenWeight> Tokens { get; init; }

    /// <summary>Number of weight rows per token (heads).</summary>
    public required int Heads { get; init; }

    /// <summary>Tokens past the model's maximum length that were not scored.</summary>
    public required int TruncatedTokens { get; init; }
}
