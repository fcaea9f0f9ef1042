using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetAttention.Text;

namespace MLNetAttention.MLNet;

// The CustomMapping steps of the AttentionPool pipeline. ML.NET saves a CustomMapping as its contract name only, so
// every mapping here is stateless (no vocabulary, no labels): the state travels in ML.NET's own transformers
// (MapValue, ApplyOnnxModel) that the saved model holds. The classes are public because ML.NET builds their getters
// by reflection and finds the factories by their attribute when it loads a model.

/// <summary>Input of the segmentation step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SegmentInput
{
    /// <summary>The text.</summary>
    [ColumnName(PipelineColumns.Text)]
    public string Text { get; set; } = "";
}

/// <summary>Output of the segmentation step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SegmentOutput
{
    /// <summary>The vocabulary form of every token.</summary>
    [ColumnName(PipelineColumns.Forms)]
    public string[] Forms { get; set; } = [];

    /// <summary>(start, length) of every token.</summary>
    [ColumnName(PipelineColumns.Offsets)]
    public int[] Offsets { get; set; } = [];
}

/// <summary>Segments text into vocabulary-form tokens in <see cref="TokenizationMode.Char"/> (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class CharSegmentFactory : CustomMappingFactory<SegmentInput, SegmentOutput>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Segment.Char";

    /// <inheritdoc/>
    public override Action<SegmentInput, SegmentOutput> GetMapping() => (input, output) => Segment(input, output, TokenizationMode.Char);

    internal static void Segment(SegmentInput input, SegmentOutput output, TokenizationMode mode) =>
        (output.Forms, output.Offsets) = Segment(input.Text, mode);

    internal static (string[] Forms, int[] Offsets) Segment(string? text, TokenizationMode mode)
    {
        var forms = new List<string>();
        var offsets = new List<int>();
        VocabularySegmenter.Segment(text ?? "", mode, forms, offsets);
        // A text without tokens is scored as one unknown token ("" is never in the vocabulary) so that the network never
        // sees an empty sequence; the token step drops it again (it has no offsets).
        return (forms.Count == 0 ? [""] : [.. forms], [.. offsets]);
    }
}

/// <summary>Segments text into vocabulary-form tokens in <see cref="TokenizationMode.Mixed"/> (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class MixedSegmentFactory : CustomMappingFactory<SegmentInput, SegmentOutput>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Segment.Mixed";

    /// <inheritdoc/>
    public override Action<SegmentInput, SegmentOutput> GetMapping() => (input, output) => CharSegmentFactory.Segment(input, output, TokenizationMode.Mixed);
}

/// <summary>Input of the token step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TokensInput
{
    /// <summary>The text.</summary>
    [ColumnName(PipelineColumns.Text)]
    public string Text { get; set; } = "";

    /// <summary>The vocabulary form of every token.</summary>
    [ColumnName(PipelineColumns.Forms)]
    public string[] Forms { get; set; } = [];

    /// <summary>(start, length) of every token.</summary>
    [ColumnName(PipelineColumns.Offsets)]
    public int[] Offsets { get; set; } = [];

    /// <summary>The ids the model scored, 0 for a token not in the vocabulary.</summary>
    [ColumnName(PipelineColumns.KeptIds)]
    public long[] KeptIds { get; set; } = [];
}

/// <summary>Output of the token step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TokensOutput
{
    /// <summary>The scored tokens.</summary>
    [ColumnName(AttentionPoolColumns.Tokens)]
    public string[] Tokens { get; set; } = [];

    /// <summary>(start, length) of every scored token.</summary>
    [ColumnName(AttentionPoolColumns.TokenOffsets)]
    public int[] TokenOffsets { get; set; } = [];

    /// <summary>The share of the scored tokens outside the vocabulary.</summary>
    [ColumnName(AttentionPoolColumns.UnknownShare)]
    public float UnknownShare { get; set; }
}

/// <summary>
/// Keeps the tokens the model scored (as many as it returned ids) and gives a token outside the vocabulary its
/// form in the text (pipeline infrastructure).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class TokensFactory : CustomMappingFactory<TokensInput, TokensOutput>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Tokens";

    /// <inheritdoc/>
    public override Action<TokensInput, TokensOutput> GetMapping() => Map;

    internal static void Map(TokensInput input, TokensOutput output)
    {
        (output.Tokens, output.TokenOffsets) = Keep(input.Text, input.Forms, input.Offsets, input.KeptIds);
        output.UnknownShare = UnknownShareOf(input.KeptIds, output.Tokens.Length);
    }

    // As ClassPrediction.UnknownShare: the share of the scored tokens (id 0 here: not in the map); 0 for no token.
    internal static float UnknownShareOf(long[] keptIds, int count)
    {
        if (count == 0) return 0;
        int unknown = 0;
        for (int t = 0; t < count; t++)
            if (keptIds[t] <= AttentionTokenizer.UnknownId) unknown++;
        return (float)unknown / count;
    }

    // The scored tokens (as many as the graph kept ids) and their offsets; an unknown token (id 0) gets its text form.
    internal static (string[] Tokens, int[] Offsets) Keep(string text, string[] forms, int[] offsets, long[] keptIds)
    {
        int count = Math.Min(keptIds.Length, offsets.Length / 2);
        var tokens = new string[count];
        for (int t = 0; t < count; t++)
            tokens[t] = keptIds[t] == 0 ? text.Substring(offsets[2 * t], offsets[2 * t + 1]) : forms[t];
        return (tokens, offsets.AsSpan(0, 2 * count).ToArray());
    }
}

/// <summary>Input of the arg-max step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ScoreInput
{
    /// <summary>The probabilities.</summary>
    [ColumnName(AttentionPoolColumns.Score)]
    public float[] Score { get; set; } = [];
}

/// <summary>Output of the arg-max step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class LabelIndexOutput
{
    /// <summary>The index of the largest probability (the first on ties).</summary>
    [ColumnName(PipelineColumns.LabelIndex)]
    public uint Index { get; set; }
}

/// <summary>The index of the largest probability (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class ArgMaxFactory : CustomMappingFactory<ScoreInput, LabelIndexOutput>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.ArgMax";

    /// <inheritdoc/>
    public override Action<ScoreInput, LabelIndexOutput> GetMapping() => Map;

    internal static void Map(ScoreInput input, LabelIndexOutput output)
    {
        var score = input.Score;
        int best = 0;
        for (int i = 1; i < score.Length; i++)
            if (score[i] > score[best]) best = i;
        output.Index = (uint)best;
    }
}

// The second text of a pair (AttentionMatch) has its own intermediate columns: ML.NET binds a CustomMapping's columns
// by attribute and saves only the contract name, so each side needs its own input and output classes. The logic is
// the first side's (CharSegmentFactory.Segment, TokensFactory.Keep).

/// <summary>Input of the second text's segmentation step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Segment2Input
{
    /// <summary>The second text.</summary>
    [ColumnName(PipelineColumns.Text2)]
    public string Text { get; set; } = "";
}

/// <summary>Output of the second text's segmentation step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Segment2Output
{
    /// <summary>The vocabulary form of every token.</summary>
    [ColumnName(PipelineColumns.Forms2)]
    public string[] Forms { get; set; } = [];

    /// <summary>(start, length) of every token.</summary>
    [ColumnName(PipelineColumns.Offsets2)]
    public int[] Offsets { get; set; } = [];
}

/// <summary>Segments the second text of a pair in <see cref="TokenizationMode.Char"/> (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class CharSegment2Factory : CustomMappingFactory<Segment2Input, Segment2Output>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Segment2.Char";

    /// <inheritdoc/>
    public override Action<Segment2Input, Segment2Output> GetMapping() => (input, output) => Segment(input, output, TokenizationMode.Char);

    internal static void Segment(Segment2Input input, Segment2Output output, TokenizationMode mode) =>
        (output.Forms, output.Offsets) = CharSegmentFactory.Segment(input.Text, mode);
}

/// <summary>Segments the second text of a pair in <see cref="TokenizationMode.Mixed"/> (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class MixedSegment2Factory : CustomMappingFactory<Segment2Input, Segment2Output>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Segment2.Mixed";

    /// <inheritdoc/>
    public override Action<Segment2Input, Segment2Output> GetMapping() => (input, output) => CharSegment2Factory.Segment(input, output, TokenizationMode.Mixed);
}

/// <summary>Output of the first text's token step of a pair (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Tokens1Output
{
    /// <summary>The scored tokens of the first text.</summary>
    [ColumnName(AttentionMatchColumns.Tokens1)]
    public string[] Tokens { get; set; } = [];

    /// <summary>(start, length) of every scored token.</summary>
    [ColumnName(AttentionMatchColumns.TokenOffsets1)]
    public int[] TokenOffsets { get; set; } = [];
}

/// <summary>The scored tokens of the first text of a pair (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Tokens1Factory : CustomMappingFactory<TokensInput, Tokens1Output>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Tokens1";

    /// <inheritdoc/>
    public override Action<TokensInput, Tokens1Output> GetMapping() => (input, output) =>
        (output.Tokens, output.TokenOffsets) = TokensFactory.Keep(input.Text, input.Forms, input.Offsets, input.KeptIds);
}

/// <summary>Input of the second text's token step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Tokens2Input
{
    /// <summary>The second text.</summary>
    [ColumnName(PipelineColumns.Text2)]
    public string Text { get; set; } = "";

    /// <summary>The vocabulary form of every token.</summary>
    [ColumnName(PipelineColumns.Forms2)]
    public string[] Forms { get; set; } = [];

    /// <summary>(start, length) of every token.</summary>
    [ColumnName(PipelineColumns.Offsets2)]
    public int[] Offsets { get; set; } = [];

    /// <summary>The ids the model scored, 0 for a token not in the vocabulary.</summary>
    [ColumnName(PipelineColumns.KeptIds2)]
    public long[] KeptIds { get; set; } = [];
}

/// <summary>Output of the second text's token step (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Tokens2Output
{
    /// <summary>The scored tokens of the second text.</summary>
    [ColumnName(AttentionMatchColumns.Tokens2)]
    public string[] Tokens { get; set; } = [];

    /// <summary>(start, length) of every scored token.</summary>
    [ColumnName(AttentionMatchColumns.TokenOffsets2)]
    public int[] TokenOffsets { get; set; } = [];
}

/// <summary>The scored tokens of the second text of a pair (pipeline infrastructure).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[CustomMappingFactoryAttribute(ContractName)]
public sealed class Tokens2Factory : CustomMappingFactory<Tokens2Input, Tokens2Output>
{
    /// <summary>The contract name saved with a model.</summary>
    public const string ContractName = "MLNetAttention.Tokens2";

    /// <inheritdoc/>
    public override Action<Tokens2Input, Tokens2Output> GetMapping() => (input, output) =>
        (output.Tokens, output.TokenOffsets) = TokensFactory.Keep(input.Text, input.Forms, input.Offsets, input.KeptIds);
}
