using System.Text.Json;

namespace MLNetAttention.Cli;

/// <summary>
/// The JSON form of a prediction: one line of <c>predict --json</c>, and one element of the <c>predictions</c> array
/// that <c>serve</c> answers. Both write it through here, so the two stay the same shape.
/// </summary>
internal static class PredictionJson
{
    /// <summary>A classifier's prediction: text, label, probabilities by label, heads, tokens with offsets and weights.</summary>
    public static object Of(ClassPrediction p) => new
    {
        text = p.Text,
        label = p.Label,
        probability = p.Probability,
        probabilities = p.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => p.Probabilities[x.i]),
        heads = p.Heads,
        truncatedTokens = p.TruncatedTokens,
        unknownShare = p.UnknownShare,
        tokens = p.Tokens.Select(t => new { token = t.Token, id = t.Id, offset = t.Offset, length = t.Length, weight = t.Weight, weights = p.Heads > 1 ? t.Weights : null }),
    };

    /// <summary>A matcher's prediction: both sentences, match or not, both sentences' tokens and, for cross matchers, the alignment.</summary>
    public static object Of(MatchPrediction p) => new
    {
        text1 = p.Text1,
        text2 = p.Text2,
        label = p.Label,
        labelName = p.LabelName,
        match = p.IsMatch,
        probability = p.Probability,
        truncatedTokens1 = p.TruncatedTokens1,
        truncatedTokens2 = p.TruncatedTokens2,
        tokens1 = p.Tokens1.Select(t => new { token = t.Token, id = t.Id, offset = t.Offset, length = t.Length, weight = t.Weight }),
        tokens2 = p.Tokens2.Select(t => new { token = t.Token, id = t.Id, offset = t.Offset, length = t.Length, weight = t.Weight }),
        // One row per token of text1, one value per token of text2; null for matchers without an alignment.
        alignment = p.Alignment is { } a
            ? Enumerable.Range(0, a.GetLength(0)).Select(i => Enumerable.Range(0, a.GetLength(1)).Select(j => a[i, j]).ToArray()).ToArray()
            : null,
    };

    /// <summary>One compact line of JSON for <paramref name="prediction"/>.</summary>
    public static string Serialize(ClassPrediction prediction) => JsonSerializer.Serialize(Of(prediction), CliJson.Compact);

    /// <summary>One compact line of JSON for <paramref name="prediction"/>.</summary>
    public static string Serialize(MatchPrediction prediction) => JsonSerializer.Serialize(Of(prediction), CliJson.Compact);
}
