namespace MLNetAttention.MLNet;

/// <summary>The columns an <see cref="AttentionPoolTransformer"/> adds to its input.</summary>
public static class AttentionPoolColumns
{
    /// <summary>
    /// The tokens the model scored (string vector, at most the model's maximum length): the vocabulary form
    /// (lowercased words in mixed mode), or the text's own form for a token not in the vocabulary, as in
    /// <see cref="Training.TokenWeight.Token"/>.
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
}

/// <summary>Names of the pipeline's intermediate columns (dropped at the end).</summary>
internal static class PipelineColumns
{
    public const string Text = "__attn_text";
    public const string Forms = "__attn_forms";
    public const string Offsets = "__attn_offsets";
    public const string Ids = "__attn_ids";
    public const string KeptIds = "__attn_kept_ids";
    public const string LabelIndex = "__attn_label_index";

    public static readonly string[] All = [Text, Forms, Offsets, Ids, KeptIds, LabelIndex];
}
