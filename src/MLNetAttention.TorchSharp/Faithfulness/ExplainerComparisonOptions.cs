using System.Text.Json.Serialization;

namespace MLNetAttention.Faithfulness;

/// <summary>Where a per-token importance comes from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExplainerKind>))]
public enum ExplainerKind
{
    /// <summary>
    /// The pooling weights: attention pooling's weights, the mean over heads for multi-head pooling, and for max pooling
    /// each token's share of the maxima. Left out (with a note) for mean pooling, whose weights are uniform.
    /// </summary>
    Attention,
    /// <summary>Each head's weights as its own explainer (multi-head pooling only; left out with a note otherwise).</summary>
    AttentionHeads,
    /// <summary>p(x)_y − p(x without token i)_y, the token erased as <see cref="ExplainerComparisonOptions.EraseMode"/> says.</summary>
    LeaveOneOut,
    /// <summary>The gradient of the predicted class's logit with respect to the token's input vector, dotted with that vector (signed).</summary>
    GradientTimesInput,
    /// <summary>Integrated gradients of the predicted class's logit from the zero (padding) embedding, in <see cref="ExplainerComparisonOptions.IntegratedGradientsSteps"/> steps (signed).</summary>
    IntegratedGradients,
    /// <summary>A seeded random ranking of the tokens (a uniformly drawn permutation per text): the floor every explainer should beat.</summary>
    Random,
}

/// <summary>Settings of <see cref="ExplainerComparison.Evaluate"/> and <see cref="ExplainerComparison.Explain"/>.</summary>
public sealed class ExplainerComparisonOptions
{
    /// <summary>Every explainer, in the order the report lists them.</summary>
    public static readonly IReadOnlyList<ExplainerKind> AllExplainers = Array.AsReadOnly(Enum.GetValues<ExplainerKind>());

    /// <summary>The explainers to compare (all by default). Each explainer's rows follow the order of <see cref="AllExplainers"/>.</summary>
    public IReadOnlyList<ExplainerKind> Explainers { get; set; } = AllExplainers;

    /// <summary>The rationale sizes k, in percent of each text's length (ceil(k/100 · n) tokens); ERASER's 1, 5, 10, 20 and 50 by default.</summary>
    public IReadOnlyList<double> Percentages { get; set; } = EraserMetrics.DefaultPercentages;

    /// <summary>
    /// How tokens are erased, for comprehensiveness, sufficiency and leave-one-out: deleted (<see cref="EraseMode.Remove"/>,
    /// the ERASER and ferret default: the remaining ids are concatenated) or replaced by the unknown id.
    /// </summary>
    public EraseMode EraseMode { get; set; } = EraseMode.Remove;

    /// <summary>Integration points m of integrated gradients (a right Riemann sum at α = 1/m … 1); 20 by default. One step gives gradient × input.</summary>
    public int IntegratedGradientsSteps { get; set; } = 20;

    /// <summary>At most this many texts (the first ones) are evaluated; 0 = all. Texts with fewer than two tokens are skipped and counted.</summary>
    public int MaxExamples { get; set; } = 300;

    /// <summary>Seed of the random ranking (SplitMix64, one stream per text).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Rows per forward pass.</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Whether to compute the Kendall τ-b between every pair of explainers' token rankings.</summary>
    public bool RankCorrelations { get; set; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Explainers is null || Explainers.Count == 0)
            throw new ArgumentException("Explainers is empty; name at least one explainer to compare.", nameof(Explainers));
        foreach (var kind in Explainers)
            if (!Enum.IsDefined(kind)) throw new ArgumentException($"Explainers has {kind}, which is not defined.", nameof(Explainers));
        new EraserOptions { Percentages = Percentages, EraseMode = EraseMode }.Validate();
        if (IntegratedGradientsSteps is < 1 or > 10_000)
            throw new ArgumentException($"IntegratedGradientsSteps is {IntegratedGradientsSteps}; it must be in 1..10000.", nameof(IntegratedGradientsSteps));
        if (MaxExamples < 0) throw new ArgumentException($"MaxExamples is {MaxExamples}; it must be 0 (all) or more.", nameof(MaxExamples));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize is {BatchSize}; it must be at least 1.", nameof(BatchSize));
    }
}
