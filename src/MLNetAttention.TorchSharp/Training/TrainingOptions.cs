using System.Text.Json.Serialization;

namespace MLNetAttention.Training;

/// <summary>The optimizer used by the trainer.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    /// <summary>Adam, as the original (learning rate 1e-3).</summary>
    Adam,
    /// <summary>AdamW: Adam with decoupled weight decay.</summary>
    AdamW,
}

/// <summary>How the learning rate changes within training.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LearningRateDecay>))]
public enum LearningRateDecay
{
    /// <summary>Constant (or as <see cref="TrainingOptions.LearningRateSchedule"/> sets it per epoch).</summary>
    None,
    /// <summary>Falls linearly from the epoch's rate to 0 at the end of the last planned epoch, step by step (as fastText does).</summary>
    Linear,
}

/// <summary>How the rows of embedding tables (tokens, hashed bigrams) are updated.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EmbeddingOptimizerKind>))]
public enum EmbeddingOptimizerKind
{
    /// <summary>The same rule as the dense parameters (<see cref="TrainingOptions.Optimizer"/>), applied row by row.</summary>
    SameAsModel,

    /// <summary>
    /// Adagrad: each row's steps shrink with the squared gradients it has seen. Rare n-grams are not fitted as hard
    /// as frequent ones, as they are under Adam, whose per-row normalisation moves a row seen once as far as one seen
    /// every step.
    /// </summary>
    Adagrad,

    /// <summary>Plain SGD, as fastText (with <see cref="LearningRateDecay.Linear"/>).</summary>
    Sgd,
}

/// <summary>The number format of a training step's large matrix products.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainingPrecision>))]
public enum TrainingPrecision
{
    /// <summary>bfloat16 products where the CPU has them natively (<see cref="Modules.MixedPrecision.NativeBFloat16"/>), else float32.</summary>
    Auto,

    /// <summary>Everything in float32.</summary>
    Float32,

    /// <summary>bfloat16 products with float32 accumulation, weights and optimizer state (slow where the CPU lacks native support).</summary>
    BFloat16,
}

/// <summary>How a model is trained. Saved with the model so a run can be repeated.</summary>
public sealed class TrainingOptions
{
    /// <summary>Maximum number of passes over the training data.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Examples per step.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>The optimizer.</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;

    /// <summary>Learning rate (the original's 1e-3).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Weight decay (AdamW's decoupled decay; L2 for Adam).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Learning rate from a given epoch (0-based) on, e.g. {0: 1e-3, 5: 1e-4}; overrides <see cref="LearningRate"/> where set.</summary>
    public SortedDictionary<int, double>? LearningRateSchedule { get; set; }

    /// <summary>How the learning rate decays step by step.</summary>
    public LearningRateDecay Decay { get; set; } = LearningRateDecay.None;

    /// <summary>
    /// Update embedding tables row by row (lazy Adam: only the rows a batch looks up move). Much faster for large
    /// vocabularies and hashed bigram tables; false applies dense Adam to the whole table every step.
    /// </summary>
    public bool RowSparseEmbeddingUpdates { get; set; } = true;

    /// <summary>
    /// Validate and keep an exponential moving average of the weights whose window is about this many steps
    /// (0 = off, the raw weights). Averaging smooths the epoch-to-epoch swings of validation accuracy. A run resumed
    /// from a checkpoint starts a fresh average.
    /// </summary>
    public int AverageWeightsOverSteps { get; set; }

    /// <summary>The update rule of embedding rows (with <see cref="RowSparseEmbeddingUpdates"/>).</summary>
    public EmbeddingOptimizerKind EmbeddingOptimizer { get; set; } = EmbeddingOptimizerKind.SameAsModel;

    /// <summary>The learning rate of embedding rows; 0 = <see cref="LearningRate"/>. It follows the same schedule and decay.</summary>
    public double EmbeddingLearningRate { get; set; }

    /// <summary>
    /// The format of the encoder's and attention's matrix products during training steps (validation, prediction
    /// and export are always float32). Auto uses bfloat16 where the CPU multiplies it natively.
    /// </summary>
    public TrainingPrecision Precision { get; set; } = TrainingPrecision.Auto;

    /// <summary>Whether training steps run their large products in bfloat16 on this machine.</summary>
    [JsonIgnore]
    public bool UsesBFloat16 => Precision == TrainingPrecision.BFloat16 || (Precision == TrainingPrecision.Auto && Modules.MixedPrecision.NativeBFloat16);

    /// <summary>
    /// Matchers: before each epoch, replace every negative pair's second sentence with the second sentence of a
    /// random positive pair of the same length (never the first sentence's own partner). Fits data whose negatives
    /// are random partners (such as couplet-match): the model sees fresh negatives every epoch and cannot learn the
    /// fixed ones by heart. Leave it off for curated (hard) negatives, as in paraphrase corpora.
    /// </summary>
    public bool ResampleNegatives { get; set; }

    /// <summary>Clip the gradient norm to this value (0 = no clipping).</summary>
    public double GradientClipNorm { get; set; } = 5.0;

    /// <summary>Label smoothing of the classifiers' training loss: the target keeps 1 - s and spreads s over all classes (0 = off).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Weight classes by (N / C) / count, as the original did for unbalanced data.</summary>
    public bool ClassWeights { get; set; }

    /// <summary>Fraction of the training data held out for validation when no validation set is given.</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Stop after this many epochs without a better validation accuracy (0 = never stop early). The best epoch's weights are restored.</summary>
    public int Patience { get; set; } = 3;

    /// <summary>Seed for initialisation, shuffling and dropout: the same seed and threads give bit-identical models on CPU.</summary>
    public long Seed { get; set; } = 42;

    /// <summary>
    /// With two or more libtorch threads, run each step's batch as two halves at the same time, each on its own
    /// thread with half of the threads (the classifier trainer). The gradient is the whole batch's; only the dropout
    /// masks are drawn differently. A small model's step is mostly short ops that libtorch's thread pool barely
    /// speeds up, so this trained conv + attention (the original's architecture) 7-22 % faster on 2 cores (15 % in float32). False runs each batch whole.
    /// </summary>
    public bool SplitBatchAcrossThreads { get; set; } = true;

    /// <summary>
    /// After training, reset to zero the bigram and trigram rows whose n-grams occur in fewer than this many training
    /// texts, as fastText's minimum count drops rare words: the row then reads as an n-gram never seen, and a compact
    /// export leaves it out. Most n-grams of long texts occur once, so 2 shrinks a compact model of reviews or e-mails
    /// by half or more. 0 or 1 keeps every row.
    /// </summary>
    public int MinNgramTexts { get; set; }

    /// <summary>Threads for libtorch (0 = leave libtorch's default).</summary>
    public int Threads { get; set; }

    /// <summary>
    /// For a model with a companion network: train the companion after this network, alone, on its own batch order and
    /// initial weights (the seed + 1), instead of beside it on the same batches. Two n-gram networks trained on the same
    /// batches start from the same all-zero tables and end as copies (imdb 0.9193 against 0.9192 alone), while two
    /// trained apart and averaged make different mistakes (0.9219 against 0.9189 and 0.9199; docs/benchmarks.md).
    /// Training takes the time of both networks in turn; cancelling it keeps no checkpoint.
    /// </summary>
    public bool CompanionApart { get; set; }

    /// <summary>A copy of these options (the schedule is shared: training only reads it).</summary>
    internal TrainingOptions Clone() => (TrainingOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Epochs is {Epochs}; it must be at least 1.", nameof(Epochs));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize is {BatchSize}; it must be at least 1.", nameof(BatchSize));
        if (!(LearningRate > 0)) throw new ArgumentException($"LearningRate is {LearningRate}; it must be positive.", nameof(LearningRate));
        if (WeightDecay < 0) throw new ArgumentException($"WeightDecay is {WeightDecay}; it must be 0 or more.", nameof(WeightDecay));
        if (GradientClipNorm < 0) throw new ArgumentException($"GradientClipNorm is {GradientClipNorm}; it must be 0 (off) or more.", nameof(GradientClipNorm));
        if (ValidationFraction is < 0 or >= 1) throw new ArgumentException($"ValidationFraction is {ValidationFraction}; it must be in [0, 1).", nameof(ValidationFraction));
        if (Patience < 0) throw new ArgumentException($"Patience is {Patience}; it must be 0 (off) or more.", nameof(Patience));
        if (Threads < 0) throw new ArgumentException($"Threads is {Threads}; it must be 0 (default) or more.", nameof(Threads));
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"LabelSmoothing is {LabelSmoothing}; it must be in [0, 1).", nameof(LabelSmoothing));
        if (MinNgramTexts < 0) throw new ArgumentException($"MinNgramTexts is {MinNgramTexts}; it must be 0 (keep every row) or more.", nameof(MinNgramTexts));
        if (AverageWeightsOverSteps < 0) throw new ArgumentException($"AverageWeightsOverSteps is {AverageWeightsOverSteps}; it must be 0 (off) or more.", nameof(AverageWeightsOverSteps));
        if (!(EmbeddingLearningRate >= 0)) throw new ArgumentException($"EmbeddingLearningRate is {EmbeddingLearningRate}; it must be 0 (the model's rate) or positive.", nameof(EmbeddingLearningRate));
        if (EmbeddingOptimizer != EmbeddingOptimizerKind.SameAsModel && !RowSparseEmbeddingUpdates)
            throw new ArgumentException($"EmbeddingOptimizer {EmbeddingOptimizer} updates embedding rows separately; it needs RowSparseEmbeddingUpdates on.", nameof(EmbeddingOptimizer));
        if (LearningRateSchedule is { } schedule && schedule.Any(p => p.Key < 0 || !(p.Value > 0)))
            throw new ArgumentException("LearningRateSchedule needs epochs >= 0 and positive rates.", nameof(LearningRateSchedule));
    }

    /// <summary>
    /// The rate of step <paramref name="step"/> of <paramref name="steps"/> in <paramref name="epoch"/>, whose
    /// scheduled rate is <paramref name="rate"/>: with <see cref="LearningRateDecay.Linear"/> it falls step by step
    /// to 0 at the end of the last epoch; otherwise it is <paramref name="rate"/>.
    /// </summary>
    public double RateAtStep(double rate, int epoch, int step, int steps) =>
        Decay == LearningRateDecay.Linear ? rate * (1 - (epoch + (double)step / steps) / Epochs) : rate;

    /// <summary>The learning rate in force at <paramref name="epoch"/>.</summary>
    public double LearningRateAt(int epoch)
    {
        double rate = LearningRate;
        if (LearningRateSchedule is null) return rate;
        foreach (var (from, value) in LearningRateSchedule)
            if (from <= epoch) rate = value;
        return rate;
    }
}
