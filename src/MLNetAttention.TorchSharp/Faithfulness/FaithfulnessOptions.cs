using System.Text.Json.Serialization;

namespace MLNetAttention.Faithfulness;

/// <summary>How a token is erased from a text.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EraseMode>))]
public enum EraseMode
{
    /// <summary>Replace the token by the unknown id (1): the text keeps its length and positions.</summary>
    Unknown,
    /// <summary>Delete the token: the text gets shorter and later tokens move left.</summary>
    Remove,
}

/// <summary>Which k tokens of a text are erased.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErasureStrategy>))]
public enum ErasureStrategy
{
    /// <summary>The k tokens with the highest weight (mean over heads); ties go to the earlier token.</summary>
    TopAttention,
    /// <summary>k distinct tokens drawn at random (several seeded draws, averaged).</summary>
    Random,
    /// <summary>The k tokens with the lowest weight (mean over heads); ties go to the earlier token.</summary>
    BottomAttention,
}

/// <summary>Settings of <see cref="FaithfulnessEvaluator.Evaluate"/>.</summary>
public sealed class FaithfulnessOptions
{
    /// <summary>The numbers of tokens to erase, as fractions of each text's length (k = ceil(fraction × length), at least 1, at most length − 1).</summary>
    public IReadOnlyList<double> KFractions { get; set; } = new[] { 0.01, 0.03, 0.05, 0.10 };

    /// <summary>How tokens are erased.</summary>
    public EraseMode EraseMode { get; set; } = EraseMode.Unknown;

    /// <summary>Random draws per text and k for the <see cref="ErasureStrategy.Random"/> strategy.</summary>
    public int RandomDraws { get; set; } = 5;

    /// <summary>At most this many examples (the first ones) are evaluated; 0 = all.</summary>
    public int MaxExamples { get; set; } = 1000;

    /// <summary>Seed of the random draws (SplitMix64, one stream per text, k and draw).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Texts per forward pass.</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Whether to score the uniform-weights twin of the model (mean pooling, same parameters) as a baseline.</summary>
    public bool UniformBaseline { get; set; } = true;

    /// <summary>Leave-one-out and gradient × input importance are computed on this many examples (the first ones); 0 = skip.</summary>
    public int ImportanceExamples { get; set; } = 100;

    /// <summary>The top-k drop must be at least this many times the random-k drop for a k's verdict to hold.</summary>
    public double TargetRatio { get; set; } = 3.0;

    /// <summary>
    /// Also compare explainers on the ERASER metrics (<see cref="ExplainerComparison"/>) on the same examples with these
    /// settings; null (the default) to skip. The result is <see cref="FaithfulnessReport.Eraser"/>.
    /// </summary>
    public ExplainerComparisonOptions? Eraser { get; set; }

    /// <summary>
    /// For a model of two networks (a <see cref="Models.TextClassifierOptions.Companion"/>): also run the erasure tests on
    /// each network alone, with its own prediction and weights (<see cref="FaithfulnessReport.Networks"/>), to see which
    /// network's heads carry the evidence. Ignored for a model of one network.
    /// </summary>
    public bool EachNetwork { get; set; }

    /// <summary>A copy of these settings (the lists and the ERASER settings shared: callers replace, never edit, them).</summary>
    internal FaithfulnessOptions Clone() => (FaithfulnessOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (KFractions is null || KFractions.Count == 0)
            throw new ArgumentException("KFractions is empty; give at least one fraction of the length to erase.", nameof(KFractions));
        foreach (var f in KFractions)
            if (!(f > 0 && f <= 1)) throw new ArgumentException($"KFractions has {f}; each fraction must be in (0, 1].", nameof(KFractions));
        if (!Enum.IsDefined(EraseMode)) throw new ArgumentException($"EraseMode {EraseMode} is not defined.", nameof(EraseMode));
        if (RandomDraws < 1) throw new ArgumentException($"RandomDraws is {RandomDraws}; it must be at least 1.", nameof(RandomDraws));
        if (MaxExamples < 0) throw new ArgumentException($"MaxExamples is {MaxExamples}; it must be 0 (all) or more.", nameof(MaxExamples));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize is {BatchSize}; it must be at least 1.", nameof(BatchSize));
        if (ImportanceExamples < 0) throw new ArgumentException($"ImportanceExamples is {ImportanceExamples}; it must be 0 (skip) or more.", nameof(ImportanceExamples));
        if (!(TargetRatio > 0)) throw new ArgumentException($"TargetRatio is {TargetRatio}; it must be positive.", nameof(TargetRatio));
        Eraser?.Validate();
    }
}
