namespace MLNetAttention.MLNet;

/// <summary>The columns an <see cref="AttentionPoolTransformer"/> adds to its input.</summary>
public static class AttentionPoolColumns
{
    /// <summary>
    /// The tokens the model scored (string vector, at most the model's maximum length): the vocabulary form
    /// (lowercased words in mixed mode), or the text's own form for a token not in the vocabulary, as in
    /// <see cref="TokenWeight.Token"/>.
    /// </summary>
    public const string Tokens = "Tokens";

    /// <summary>Where each token of <see cref="Tokens"/> lies in the input text: Int32 vector of (start, length) pairs in UTF-16 code units.</summary>
    public const string TokenOffsets = "TokenOffsets";

    /// <summary>
    /// The attention weights (Single vector). One head: one weight per token of <see cref="Tokens"/>. Multi-head
    /// pooling: head-major, <c>heads × tokens</c> values where the weight of token t in head h is at <c>h * tokens + t</c>.
    /// An empty text, scored as one unknown token, has one weight (1) per head.
    /// </summary>
    public const string AttentionWeights = "AttentionWeights";

    /// <summary>The class probabilities (known-size Single vector, one slot per label in <see cref="AttentionPoolTransformer.Labels"/> order).</summary>
    public const string Score = "Score";

    /// <summary>The most probable label: a key whose key values are the labels.</summary>
    public const string PredictedLabel = "PredictedLabel";

    /// <summary>
    /// The share of <see cref="Tokens"/> outside the model's vocabulary (Single, 0 to 1); above
    /// <see cref="ClassPrediction.UnknownShareWarning"/> the prediction rests on little.
    /// </summary>
    public const string UnknownShare = "UnknownShare";
}

/// <summary>The columns an <see cref="AttentionMatchTransformer"/> adds to its input (a pair of texts).</summary>
public static class AttentionMatchColumns
{
    /// <summary>The tokens of the first text the model scored, as <see cref="AttentionPoolColumns.Tokens"/>.</summary>
    public const string Tokens1 = "Tokens1";

    /// <summary>Where each token of <see cref="Tokens1"/> lies in the first text: (start, length) pairs in UTF-16 code units.</summary>
    public const string TokenOffsets1 = "TokenOffsets1";

    /// <summary>The attention weights of the first text (Single vector, one per token of <see cref="Tokens1"/>).</summary>
    public const string AttentionWeights1 = "AttentionWeights1";

    /// <summary>The tokens of the second text the model scored.</summary>
    public const string Tokens2 = "Tokens2";

    /// <summary>Where each token of <see cref="Tokens2"/> lies in the second text.</summary>
    public const string TokenOffsets2 = "TokenOffsets2";

    /// <summary>The attention weights of the second text (one per token of <see cref="Tokens2"/>).</summary>
    public const string AttentionWeights2 = "AttentionWeights2";

    /// <summary>
    /// A cross-attention matcher's alignment (Single vector; only for models of matcher kind "Cross"): row-major
    /// <c>T1 × T2</c> over the scored tokens, where slot <c>i * T2 + j</c> is how much token i of the first text attends
    /// to token j of the second (each row sums to 1), as <see cref="MatchPrediction.Alignment"/>.
    /// T1 and T2 are the lengths of <see cref="AttentionWeights1"/> and <see cref="AttentionWeights2"/> (an empty text,
    /// scored as one unknown token, counts 1).
    /// </summary>
    public const string Alignment = "Alignment";

    /// <summary>The probabilities, a known-size Single vector of 2: slot 0 = no match (label "0"), slot 1 = match (label "1").</summary>
    public const string Score = AttentionPoolColumns.Score;

    /// <summary>The more probable label: a key whose key values are "0" and "1" (key 2 = match; "0" on a tie).</summary>
    public const string PredictedLabel = AttentionPoolColumns.PredictedLabel;
}

/// <summary>Names of the pipeline's intermediate columns (dropped at the end); "2" for the second text of a pair.</summary>
internal static class PipelineColumns
{
    public const string Text = "__attn_text";
    public const string Forms = "__attn_forms";
    public const string Offsets = "__attn_offsets";
    public const string Ids = "__attn_ids";
    public const string KeptIds = "__attn_kept_ids";
    public const string LabelIndex = "__attn_label_index";
    public const string Text2 = "__attn_text2";
    public const string Forms2 = "__attn_forms2";
    public const string Offsets2 = "__attn_offsets2";
    public const string Ids2 = "__attn_ids2";
    public const string KeptIds2 = "__attn_kept_ids2";

    public static readonly string[] All = [Text, Forms, Offsets, Ids, KeptIds, LabelIndex];

    public static readonly string[] AllOfPairs = [.. All, Text2, Forms2, Offsets2, Ids2, KeptIds2];
}
