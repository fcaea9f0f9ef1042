using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;

namespace MLNetAttention.Benchmarks;

/// <summary>Named model configurations the accuracy benchmark compares.</summary>
internal static class Presets
{
    public static readonly IReadOnlyDictionary<string, Func<AttentionClassifierOptions>> All = new Dictionary<string, Func<AttentionClassifierOptions>>
    {
        // Conv + attention, the original's architecture: Emb 128 -> Dropout -> Conv1d k3 + ReLU -> attention -> Dropout -> Dense 128 -> GELU -> Dense C.
        ["attention"] = () => new AttentionClassifierOptions { Model = new TextClassifierOptions { Pooling = PoolingKind.Attention } },
        // Conv + attention with dense Adam over the whole embedding table every step (before row-wise updates).
        ["attention-dense"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention },
            Training = new TrainingOptions { RowSparseEmbeddingUpdates = false },
        },
        // Conv + attention trained entirely in float32 (Auto uses bfloat16 products where the CPU has them).
        ["attention-fp32"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention },
            Training = new TrainingOptions { Precision = TrainingPrecision.Float32 },
        },
        // AttentionClassifierOptions.Ngram: attention straight over token + hashed-bigram embeddings, 4M x 16 buckets,
        // all training data and linear decay (run it with --epochs 5: it has no held-out split to stop on).
        ["ngram"] = () => AttentionClassifierOptions.Ngram(),
        // Its multi-head variant (train --preset ngram --pooling multihead): on characters the conv companion mean-pools.
        ["ngram-multihead"] = () => AttentionClassifierOptions.Ngram(TokenizationMode.Char, PoolingKind.MultiHead),
        // The ngram preset's bigram network alone, without its conv companion (the preset before the companion).
        ["ngram-solo"] = () =>
        {
            var options = AttentionClassifierOptions.Ngram();
            options.Model.Companion = null;
            return options;
        },
        // The ngram preset with a second n-gram network as its companion (hashing n-grams with another stride, so the
        // two tables collide differently), for texts written with spaces, where a conv companion overfits.
        ["ngram-pair"] = () => NgramPair(TokenizationMode.Mixed, TextClassifierOptions.LegacyBigramHashStride),
        // The same with the same hash: two copies of the n-gram network that differ only by their initial weights.
        ["ngram-twin"] = () => NgramPair(TokenizationMode.Mixed, 0),
        // Conv + attention trained as the ngram preset is: all training texts, fixed epochs, linear decay.
        ["attention-fixed"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear, ValidationFraction = 0 },
        },
        ["multihead"] = () => new AttentionClassifierOptions { Model = new TextClassifierOptions { Pooling = PoolingKind.MultiHead, Heads = 4 } },
        ["attention-decay"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear },
        },
        ["bigram"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention, BigramBuckets = 100_000, BigramDim = 32, BigramDropout = 0.5 },
        },
        ["attention-wd"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention, TokenDropout = 0.1 },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear },
        },
        ["bigram-wd"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention, BigramBuckets = 100_000, BigramDim = 32, BigramDropout = 0.5, TokenDropout = 0.1 },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear },
        },
        ["bigram-mean"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Mean, BigramBuckets = 100_000, BigramDim = 32, BigramDropout = 0.5, TokenDropout = 0.1 },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear },
        },
        ["bigram-reg"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention, BigramBuckets = 100_000, BigramDim = 32, BigramDropout = 0.5, TokenDropout = 0.1, Dropout = 0.5 },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear, LearningRate = 5e-4 },
        },
        ["bigram-decay"] = () => new AttentionClassifierOptions
        {
            Model = new TextClassifierOptions { Pooling = PoolingKind.Attention, BigramBuckets = 100_000, BigramDim = 32, BigramDropout = 0.5 },
            Training = new TrainingOptions { Decay = LearningRateDecay.Linear },
        },
    };

    /// <summary>
    /// Applies "Section.Property=value" settings (Section: Model, Training or Tokenizer) to <paramref name="options"/>;
    /// a property path may go deeper, e.g. Model.Companion.Dropout=0.4.
    /// </summary>
    public static void Override(AttentionClassifierOptions options, IEnumerable<string> settings)
    {
        foreach (var setting in settings)
        {
            var parts = setting.Split('=', 2);
            var path = parts[0].Split('.');
            if (parts.Length != 2 || path.Length < 2)
                throw new ArgumentException($"'{setting}' is not Section.Property=value (Section: Model, Training or Tokenizer).");
            object target = path[0] switch
            {
                "Model" => options.Model,
                "Training" => options.Training,
                "Tokenizer" => options.Tokenizer,
                _ => throw new ArgumentException($"Unknown section '{path[0]}' in '{setting}': use Model, Training or Tokenizer."),
            };
            for (int i = 1; i < path.Length - 1; i++)
            {
                var step = target.GetType().GetProperty(path[i])
                    ?? throw new ArgumentException($"{target.GetType().Name} has no option '{path[i]}' (in '{setting}').");
                target = step.GetValue(target) ?? throw new ArgumentException($"'{string.Join('.', path[..(i + 1)])}' is not set, so '{setting}' has nothing to change.");
            }
            var property = target.GetType().GetProperty(path[^1])
                ?? throw new ArgumentException($"{path[0]} has no option '{path[^1]}'. Known: {string.Join(", ", target.GetType().GetProperties().Select(p => p.Name))}.");
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object value = type.IsEnum ? Enum.Parse(type, parts[1], ignoreCase: true)
                : Convert.ChangeType(parts[1], type, System.Globalization.CultureInfo.InvariantCulture);
            property.SetValue(target, value);
        }
    }

    /// <summary>
    /// The name results record for a preset and its overrides on a dataset: "+companion" marks a configuration that
    /// trains a companion network, so its rows stay apart from those of the same preset recorded before it had one.
    /// </summary>
    public static string Label(string name, IReadOnlyList<string> settings, DatasetProfile profile)
    {
        var options = Create(name, profile, seed: 1, epochs: 1, threads: 1);
        Override(options, settings);
        string label = options.Model.Companion is not null ? name + "+companion" : name;
        return settings.Count == 0 ? label : label + "+" + string.Join("+", settings);
    }

    private static AttentionClassifierOptions NgramPair(TokenizationMode mode, long companionStride)
    {
        var options = AttentionClassifierOptions.Ngram(mode);
        var second = options.Model.Clone();
        second.Companion = null;
        second.BigramHashStride = companionStride;
        options.Model.Companion = second;
        return options;
    }

    public static AttentionClassifierOptions Create(string name, DatasetProfile profile, long seed, int epochs, int threads)
    {
        if (!All.TryGetValue(name, out var factory))
            throw new ArgumentException($"Unknown preset '{name}'. Known: {string.Join(", ", All.Keys)}.");
        // The ngram preset depends on the script, as the CLI's --preset ngram does (a conv companion for characters only).
        var options = name switch
        {
            "ngram" => AttentionClassifierOptions.Ngram(profile.Mode),
            "ngram-multihead" => AttentionClassifierOptions.Ngram(profile.Mode, PoolingKind.MultiHead),
            "ngram-pair" => NgramPair(profile.Mode, TextClassifierOptions.LegacyBigramHashStride),
            "ngram-twin" => NgramPair(profile.Mode, 0),
            _ => factory(),
        };
        // The ngram presets read texts written with spaces to their own (longer) maximum length.
        int maxLength = name.StartsWith("ngram", StringComparison.Ordinal) && profile.Mode == TokenizationMode.Mixed
            ? AttentionClassifierOptions.NgramMixedMaxLength : profile.MaxLength;
        options.Tokenizer = options.Tokenizer with { Mode = profile.Mode, MinFrequency = profile.MinFrequency, MaxLength = maxLength };
        options.Training.Seed = seed;
        options.Training.Epochs = epochs;
        options.Training.Threads = threads;
        return options;
    }
}

/// <summary>Tokenization per corpus: characters for Chinese poetry, mixed (words) for English.</summary>
internal sealed record DatasetProfile(TokenizationMode Mode, int MinFrequency, int MaxLength)
{
    public static DatasetProfile For(string dataset) => dataset switch
    {
        "imdb" => new(TokenizationMode.Mixed, 5, 512),
        "spam" => new(TokenizationMode.Mixed, 3, 512),
        _ => new(TokenizationMode.Char, 2, 0),
    };
}
