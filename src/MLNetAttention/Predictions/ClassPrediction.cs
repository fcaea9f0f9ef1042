using MLNetAttention.Text;

namespace MLNetAttention;

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

/// <summary>Maps the scored tokens of a window back onto the text they came from.</summary>
internal static class TokenWeights
{
    /// <summary>
    /// The tokens of <paramref name="window"/> with their weights. <paramref name="weights"/> holds this text's block of a
    /// (heads, <paramref name="stride"/>) weight matrix, head-major. Unknown tokens keep the text's own form.
    /// </summary>
    public static TokenWeight[] Of(string text, TokenWindow window, AttentionTokenizer tokenizer, ReadOnlySpan<float> weights, int heads = 1, int stride = 0)
    {
        var tokens = new TokenWeight[window.Ids.Length];
        for (int t = 0; t < tokens.Length; t++)
        {
            var (offset, length) = window.Offsets[t].GetOffsetAndLength(text.Length);
            var perHead = new float[heads];
            for (int h = 0; h < heads; h++) perHead[h] = weights[h * stride + t];
            int id = window.Ids[t];
            string token = id == AttentionTokenizer.UnknownId ? text.Substring(offset, length) : tokenizer.IdToToken(id);
            tokens[t] = new TokenWeight(token, id, offset, length, perHead);
        }
        return tokens;
    }

    /// <summary>A classifier's prediction from one row of probabilities and that text's block of weights.</summary>
    public static ClassPrediction Prediction(string text, TokenWindow window, AttentionTokenizer tokenizer, IReadOnlyList<string> labels,
        ReadOnlySpan<float> probabilities, ReadOnlySpan<float> weights, int heads, int stride)
    {
        var rowProbabilities = probabilities.ToArray();
        int best = Array.IndexOf(rowProbabilities, rowProbabilities.Max());
        return new ClassPrediction
        {
            Text = text, Label = labels[best], LabelIndex = best, Labels = labels,
            Probabilities = rowProbabilities, Tokens = Of(text, window, tokenizer, weights, heads, stride), Heads = heads,
            TruncatedTokens = window.TextTokenCount - window.Ids.Length,
            UnknownShare = AttentionTokenizer.UnknownShareOf(window.Ids),
        };
    }
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

    /// <summary>
    /// The share of the scored tokens that are outside the model's vocabulary (the unknown id). A text made mostly of
    /// unknown tokens gets an answer that rests on almost nothing: <c>predict</c> warns above
    /// <see cref="UnknownShareWarning"/>.
    /// </summary>
    public float UnknownShare { get; init; }

    /// <summary>The unknown-token share above which a prediction deserves a warning (0.5).</summary>
    public const float UnknownShareWarning = 0.5f;
}
