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

    internal static void Segment(SegmentInput input, SegmentOutput output, TokenizationMode mode)
    {
        var forms = new List<string>();
        var offsets = new List<int>();
        VocabularySegmenter.Segment(input.Text ?? "", mode, forms, offsets);
        // A text without tokens is scored as one unknown token ("" is never in the vocabulary) so that the network never
        // sees an empty sequence; the token step drops it again (it has no offsets).
        output.Forms = forms.Count == 0 ? [""] : [.. forms];
        output.Offsets = [.. offsets];
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
        int count = Math.Min(input.KeptIds.Length, input.Offsets.Length / 2);
        var tokens = new string[count];
        for (int t = 0; t < count; t++)
            tokens[t] = input.KeptIds[t] == 0 ? input.Text.Substring(input.Offsets[2 * t], input.Offsets[2 * t + 1]) : input.Forms[t];
        output.Tokens = tokens;
        output.TokenOffsets = input.Offsets.AsSpan(0, 2 * count).ToArray();
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
