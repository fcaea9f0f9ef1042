using System.Diagnostics;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Training;

namespace MLNetAttention.Faithfulness;

/// <summary>
/// Erasure tests of whether a classifier's attention weights are evidence: erase the top-k attended tokens, k random
/// tokens and the k least attended ones, and compare the drops in the predicted class's probability (for multi-head
/// models, also each head's own top-k against the same random tokens); with baselines
/// (the same model with uniform weights, the spread of weights across training seeds, and the rank correlation of the
/// weights with leave-one-out and gradient × input importance).
/// </summary>
public static class FaithfulnessEvaluator
{
    /// <summary>Runs the erasure tests and the baselines on <paramref name="examples"/>.</summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="examples">Labelled texts (the first <see cref="FaithfulnessOptions.MaxExamples"/> are used).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="seedModels">Models trained like <paramref name="classifier"/> with other seeds (see <see cref="TrainSeedModels"/>),
    /// for the seed-spread baseline; null or fewer than two to skip it.</param>
    /// <exception cref="ArgumentException">No usable example, a label the model does not know, or invalid options.</exception>
    public static FaithfulnessReport Evaluate(AttentionClassifier classifier, IReadOnlyList<TextExample> examples,
        FaithfulnessOptions? options = null, IReadOnlyList<AttentionClassifier>? seedModels = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new FaithfulnessOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        var network = classifier.Network;

        var (texts, ids, labels, skipped) = Encode(classifier, examples, options.MaxExamples);
        var (probabilities, weights) = ModelRunner.Forward(network, ids, options.BatchSize);
        var predicted = probabilities.Select(ArgMax).ToArray();

        // Every erased variant of every text, scored in one batched pass.
        var variants = new List<int[]>();
        var tags = new List<(int Text, int KIndex, ErasureStrategy Strategy, int Erased)>();
        for (int t = 0; t < ids.Count; t++)
        {
            int length = ids[t].Length;
            for (int ki = 0; ki < options.KFractions.Count; ki++)
            {
                int k = Erasure.KFor(options.KFractions[ki], length);
                variants.Add(Erasure.Erase(ids[t], Erasure.TopK(weights[t], k), options.EraseMode));
                tags.Add((t, ki, ErasureStrategy.TopAttention, k));
                for (int d = 0; d < options.RandomDraws; d++)
                {
                    var random = SplitMix64.ForStream(options.Seed, RandomStream(t, ki, d));
                    variants.Add(Erasure.Erase(ids[t], Erasure.RandomK(length, k, random), options.EraseMode));
                    tags.Add((t, ki, ErasureStrategy.Random, k));
                }
                variants.Add(Erasure.Erase(ids[t], Erasure.BottomK(weights[t], k), options.EraseMode));
                tags.Add((t, ki, ErasureStrategy.BottomAttention, k));
            }
        }
        var (erased, _) = ModelRunner.Forward(network, variants, options.BatchSize);
        var erasures = Aggregate(options, tags, erased, probabilities, predicted);

        UniformBaselineResult? uniform = null;
        if (options.UniformBaseline)
        {
            using var twin = UniformTwin.Create(network);
            var (twinProbabilities, _) = ModelRunner.Forward(twin, ids, options.BatchSize);
            var twinPredicted = twinProbabilities.Select(ArgMax).ToArray();
            var (twinErased, _) = ModelRunner.Forward(twin, variants, options.BatchSize);
            uniform = new UniformBaselineResult
            {
                Accuracy = Accuracy(twinPredicted, labels),
                Agreement = twinPredicted.Zip(predicted).Count(p => p.First == p.Second) / (double)ids.Count,
                Erasures = Aggregate(options, tags, twinErased, twinProbabilities, twinPredicted)
                    .Where(e => e.Strategy != ErasureStrategy.BottomAttention).Select(e => e.Result).ToArray(),
            };
        }

        ImportanceCorrelation? importance = null;
        if (options.ImportanceExamples > 0)
        {
            int count = Math.Min(options.ImportanceExamples, ids.Count);
            var importances = ComputeImportance(network, ids.Take(count).ToArray(), weights.Take(count).ToArray(),
                probabilities.Take(count).ToArray(), options.EraseMode, options.BatchSize);
            importance = Correlate(importances);
        }

        SeedSpreadResult? spread = seedModels is { Count: >= 2 }
            ? SeedSpread(seedModels, examples, options)
            : null;

        // The ERASER comparison (timed on its own) reads its own first texts, as the rest reads the first MaxExamples.
        double seconds = clock.Elapsed.TotalSeconds;
        var eraser = options.Eraser is null
            ? null
            : ExplainerComparison.Evaluate(classifier, (options.MaxExamples > 0 ? examples.Take(options.MaxExamples) : examples).Select(e => e.Text), options.Eraser);

        var verdicts = options.KFractions.Select((f, ki) =>
        {
            double top = erasures.Single(e => e.KIndex == ki && e.Strategy == ErasureStrategy.TopAttention).MeanDrop;
            double random = erasures.Single(e => e.KIndex == ki && e.Strategy == ErasureStrategy.Random).MeanDrop;
            var (ratio, holds) = Compare(top, random, options.TargetRatio);
            return new FaithfulnessVerdict(f, top, random, ratio, holds);
        }).ToArray();

        var headErasures = network.Options.WeightRows > 1
            ? EraseByHead(network, ids, probabilities, predicted, verdicts, options)
            : Array.Empty<HeadErasureResult>();
        var networks = options.EachNetwork && network.Members > 1 ? EachNetwork(classifier, examples, options) : Array.Empty<NetworkFaithfulness>();

        return new FaithfulnessReport
        {
            Pooling = network.Options.Pooling,
            Heads = network.Options.WeightRows,
            EraseMode = options.EraseMode,
            Texts = ids.Count,
            SkippedTexts = skipped,
            MeanTokens = ids.Average(r => r.Length),
            RandomDraws = options.RandomDraws,
            TargetRatio = options.TargetRatio,
            Accuracy = Accuracy(predicted, labels),
            Erasures = erasures.Select(e => e.Result).ToArray(),
            Verdicts = verdicts,
            HeadErasures = headErasures,
            Networks = networks,
            Uniform = uniform,
            SeedSpread = spread,
            Importance = importance,
            Eraser = eraser,
            Seconds = seconds,
        };
    }

    /// <summary>
    /// Per-token importance of each text under <paramref name="classifier"/>: its attention weights (mean over heads),
    /// the leave-one-out drop of the predicted class's probability when that single token is erased, and gradient × input.
    /// </summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="texts">Texts with at least one token (the first <see cref="AttentionClassifier.MaxLength"/> tokens are scored).</param>
    /// <param name="mode">How the single token is erased for leave-one-out.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    public static IReadOnlyList<TokenImportance> Importance(AttentionClassifier classifier, IReadOnlyList<string> texts,
        EraseMode mode = EraseMode.Unknown, int batchSize = 128)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(texts);
        var ids = texts.Select((text, i) =>
        {
            var row = classifier.Tokenizer.EncodeToIds(text ?? "", classifier.MaxLength, out _);
            return row.Length > 0 ? row : throw new ArgumentException($"Text {i} has no tokens.", nameof(texts));
        }).ToArray();
        var (probabilities, weights) = ModelRunner.Forward(classifier.Network, ids, batchSize);
        return ComputeImportance(classifier.Network, ids, weights, probabilities, mode, batchSize);
    }

    /// <summary>
    /// How much the weights of the same text differ between models trained with different seeds: the mean
    /// Jensen-Shannon divergence over all model pairs and texts, next to each model's divergence from uniform weights.
    /// </summary>
    /// <param name="models">Two or more models with identical tokenizers (same vocabulary and options) and labels.</param>
    /// <param name="examples">Labelled texts (the first <see cref="FaithfulnessOptions.MaxExamples"/> are used).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="ArgumentException">Fewer than two models, or models whose tokenizers or labels differ.</exception>
    public static SeedSpreadResult SeedSpread(IReadOnlyList<AttentionClassifier> models, IReadOnlyList<TextExample> examples,
        FaithfulnessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new FaithfulnessOptions();
        options.Validate();
        if (models.Count < 2) throw new ArgumentException($"The seed spread needs at least two models; {models.Count} given.", nameof(models));
        var first = models[0];
        for (int m = 1; m < models.Count; m++)
        {
            var other = models[m];
            if (other.Tokenizer.Options != first.Tokenizer.Options || !other.Tokenizer.Vocabulary.SequenceEqual(first.Tokenizer.Vocabulary, StringComparer.Ordinal))
                throw new ArgumentException($"Model {m} has a different tokenizer (vocabulary or options) than model 0: the weights of one text cannot be compared token by token. Train the seeds on the same data with the same validation split (see TrainSeedModels).", nameof(models));
            if (!other.Labels.SequenceEqual(first.Labels, StringComparer.Ordinal))
                throw new ArgumentException($"Model {m} has different labels than model 0.", nameof(models));
        }
        var (_, ids, labels, _) = Encode(first, examples, options.MaxExamples);
        var runs = models.Select(model => ModelRunner.Forward(model.Network, ids, options.BatchSize)).ToArray();
        var divergences = new List<double>();
        for (int a = 0; a < runs.Length; a++)
            for (int b = a + 1; b < runs.Length; b++)
                for (int t = 0; t < ids.Count; t++)
                    divergences.Add(FaithfulnessStatistics.JensenShannon(runs[a].Weights[t], runs[b].Weights[t]));
        var toUniform = runs.SelectMany(run => run.Weights.Select(w =>
            FaithfulnessStatistics.JensenShannon(w, Enumerable.Repeat(1f, w.Length).ToArray()))).ToArray();
        var predictions = runs.Select(run => run.Probabilities.Select(ArgMax).ToArray()).ToArray();
        double mean = divergences.Average();
        return new SeedSpreadResult
        {
            Models = models.Count,
            Texts = ids.Count,
            MeanJensenShannon = mean,
            StdJensenShannon = Math.Sqrt(divergences.Average(d => (d - mean) * (d - mean))),
            MeanJensenShannonToUniform = toUniform.Average(),
            Accuracies = predictions.Select(p => Accuracy(p, labels)).ToArray(),
            PredictionAgreement = Enumerable.Range(0, ids.Count).Count(t => predictions.All(p => p[t] == predictions[0][t])) / (double)ids.Count,
        };
    }

    /// <summary>
    /// Trains one classifier per seed on the same data with the same held-out validation split (drawn once with
    /// <c>options.Training.Seed</c>), so all have the same vocabulary and differ only in initialisation and batch order.
    /// </summary>
    /// <param name="train">Training examples.</param>
    /// <param name="options">Options shared by every model; only <see cref="TrainingOptions.Seed"/> changes.</param>
    /// <param name="seeds">One seed per model.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <returns>The models, in the order of <paramref name="seeds"/>; the caller disposes them.</returns>
    public static IReadOnlyList<AttentionClassifier> TrainSeedModels(IReadOnlyList<TextExample> train, AttentionClassifierOptions options,
        IReadOnlyList<long> seeds, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(seeds);
        var (trainRows, validationRows) = HoldOut(train, options.Training.ValidationFraction, options.Training.Seed);
        var models = new List<AttentionClassifier>();
        try
        {
            foreach (var seed in seeds)
            {
                var training = JsonSerializer.Deserialize<TrainingOptions>(JsonSerializer.Serialize(options.Training, ModelJson.Options), ModelJson.Options)!;
                training.Seed = seed;
                var seeded = new AttentionClassifierOptions
                {
                    Tokenizer = options.Tokenizer, Model = options.Model.Clone(), Training = training,
                    MaxLengthPercentile = options.MaxLengthPercentile, MaxLengthCap = options.MaxLengthCap,
                };
                models.Add(AttentionClassifier.Train(trainRows, validationRows, seeded, progress));
            }
            return models;
        }
        catch
        {
            foreach (var m in models) m.Dispose();
            throw;
        }
    }

    internal static long RandomStream(int text, int kIndex, int draw) => ((long)text * 1024 + kIndex) * 1024 + draw + 1;

    private static (List<string> Texts, List<int[]> Ids, List<int> Labels, int Skipped) Encode(AttentionClassifier classifier,
        IReadOnlyList<TextExample> examples, int maxExamples)
    {
        var labelIndex = classifier.Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var rows = maxExamples > 0 ? examples.Take(maxExamples) : examples;
        var texts = new List<string>();
        var ids = new List<int[]>();
        var labels = new List<int>();
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        int skipped = 0;
        foreach (var row in rows)
        {
            if (!labelIndex.TryGetValue(row.Label, out int label)) { unknown.Add(row.Label); continue; }
            var encoded = classifier.Tokenizer.EncodeToIds(row.Text ?? "", classifier.MaxLength, out _);
            // A text needs two tokens: erasing must leave one.
            if (encoded.Length < 2) { skipped++; continue; }
            texts.Add(row.Text!);
            ids.Add(encoded);
            labels.Add(label);
        }
        if (unknown.Count > 0)
            throw new ArgumentException($"The examples have labels the model does not know: {string.Join(", ", unknown.Take(10).Select(l => $"'{l}'"))}. The model knows {string.Join(", ", classifier.Labels.Select(l => $"'{l}'"))}.", nameof(examples));
        if (ids.Count == 0)
            throw new ArgumentException($"No example has at least two tokens ({skipped} skipped); there is nothing to erase.", nameof(examples));
        return (texts, ids, labels, skipped);
    }

    private sealed record Aggregated(int KIndex, ErasureStrategy Strategy, ErasureResult Result)
    {
        public double MeanDrop => Result.MeanDrop;
    }

    private static List<Aggregated> Aggregate(FaithfulnessOptions options, List<(int Text, int KIndex, ErasureStrategy Strategy, int Erased)> tags,
        float[][] erased, float[][] original, int[] predicted)
    {
        var result = new List<Aggregated>();
        foreach (var group in tags.Select((tag, i) => (tag, i)).GroupBy(p => (p.tag.KIndex, p.tag.Strategy)).OrderBy(g => g.Key.KIndex).ThenBy(g => g.Key.Strategy))
        {
            double drop = 0, flips = 0, tokens = 0;
            int n = 0;
            foreach (var (tag, i) in group)
            {
                int c = predicted[tag.Text];
                drop += original[tag.Text][c] - erased[i][c];
                if (ArgMax(erased[i]) != c) flips++;
                tokens += tag.Erased;
                n++;
            }
            var (ki, strategy) = group.Key;
            int texts = group.Select(p => p.tag.Text).Distinct().Count();
            result.Add(new Aggregated(ki, strategy, new ErasureResult(options.KFractions[ki], strategy, tokens / n, drop / n, flips / n, texts)));
        }
        return result;
    }

    // The same erasure tests on each network alone, on the same texts and random draws (the draws are seeded per text,
    // k and draw); the baselines belong to the whole model and are not repeated.
    private static NetworkFaithfulness[] EachNetwork(AttentionClassifier classifier, IReadOnlyList<TextExample> examples, FaithfulnessOptions options)
    {
        var alone = options.Clone();
        alone.UniformBaseline = false;
        alone.ImportanceExamples = 0;
        alone.Eraser = null;
        alone.EachNetwork = false;
        var parts = classifier.SplitNetworks();
        try
        {
            return parts.Select((part, i) => new NetworkFaithfulness(i == 0 ? "first network" : "companion", Evaluate(part, examples, alone))).ToArray();
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    // Each head's own top-k erased and scored in one more batched pass; the random side is the verdict's, so every head
    // is held to the same random erasures as the head-mean weights.
    private static HeadErasureResult[] EraseByHead(TextClassifier network, IReadOnlyList<int[]> ids, float[][] probabilities,
        int[] predicted, IReadOnlyList<FaithfulnessVerdict> verdicts, FaithfulnessOptions options)
    {
        var (_, heads) = ModelRunner.ForwardByHead(network, ids, options.BatchSize);
        int headCount = network.Options.WeightRows;
        var variants = new List<int[]>();
        var erasedTokens = new List<int>();
        for (int h = 0; h < headCount; h++)
            for (int ki = 0; ki < options.KFractions.Count; ki++)
                for (int t = 0; t < ids.Count; t++)
                {
                    int k = Erasure.KFor(options.KFractions[ki], ids[t].Length);
                    variants.Add(Erasure.Erase(ids[t], Erasure.TopK(heads[t][h], k), options.EraseMode));
                    erasedTokens.Add(k);
                }
        var (erased, _) = ModelRunner.Forward(network, variants, options.BatchSize);

        var results = new HeadErasureResult[headCount * options.KFractions.Count];
        for (int h = 0, i = 0; h < headCount; h++)
            for (int ki = 0; ki < options.KFractions.Count; ki++)
            {
                double drop = 0, flips = 0, tokens = 0;
                for (int t = 0; t < ids.Count; t++, i++)
                {
                    int c = predicted[t];
                    drop += probabilities[t][c] - erased[i][c];
                    if (ArgMax(erased[i]) != c) flips++;
                    tokens += erasedTokens[i];
                }
                double top = drop / ids.Count, random = verdicts[ki].RandomDrop;
                var (ratio, holds) = Compare(top, random, options.TargetRatio);
                results[h * options.KFractions.Count + ki] = new HeadErasureResult(h, options.KFractions[ki], tokens / ids.Count,
                    top, flips / ids.Count, random, ratio, holds);
            }
        return results;
    }

    // A random drop that is not positive gives no ratio; the top drop must still be positive.
    private static (double? Ratio, bool Holds) Compare(double top, double random, double target)
    {
        double? ratio = random > 0 ? top / random : null;
        return (ratio, top > 0 && (ratio is null || ratio >= target));
    }

    private static TokenImportance[] ComputeImportance(TextClassifier network, IReadOnlyList<int[]> ids, IReadOnlyList<float[]> weights,
        IReadOnlyList<float[]> probabilities, EraseMode mode, int batchSize)
    {
        var variants = new List<int[]>();
        var owner = new List<int>();
        for (int t = 0; t < ids.Count; t++)
            for (int p = 0; p < ids[t].Length; p++)
            {
                variants.Add(Erasure.Erase(ids[t], new[] { p }, mode));
                owner.Add(t);
            }
        var nonEmpty = variants.Select((v, i) => (v, i)).Where(p => p.v.Length > 0).ToArray();
        var (scored, _) = ModelRunner.Forward(network, nonEmpty.Select(p => p.v).ToArray(), batchSize);
        var byVariant = new float[variants.Count][];
        for (int j = 0; j < nonEmpty.Length; j++) byVariant[nonEmpty[j].i] = scored[j];

        var predicted = probabilities.Select(ArgMax).ToArray();
        var gradient = ModelRunner.GradientTimesInput(network, ids, predicted, batchSize);
        var result = new TokenImportance[ids.Count];
        int cursor = 0;
        for (int t = 0; t < ids.Count; t++)
        {
            int c = predicted[t];
            var loo = new float[ids[t].Length];
            for (int p = 0; p < loo.Length; p++, cursor++)
                // Removing the only token leaves nothing to score: its drop is the whole probability.
                loo[p] = probabilities[t][c] - (byVariant[cursor]?[c] ?? 0f);
            result[t] = new TokenImportance(ids[t], c, probabilities[t][c], weights[t], loo, gradient[t]);
        }
        return result;
    }

    private static ImportanceCorrelation Correlate(IReadOnlyList<TokenImportance> importances)
    {
        var looTaus = new List<double>();
        var gradTaus = new List<double>();
        var absGradTaus = new List<double>();
        var looGradTaus = new List<double>();
        static void Add(List<double> list, double tau) { if (!double.IsNaN(tau)) list.Add(tau); }
        foreach (var item in importances)
        {
            Add(looTaus, FaithfulnessStatistics.KendallTauB(item.Attention, item.LeaveOneOut));
            Add(gradTaus, FaithfulnessStatistics.KendallTauB(item.Attention, item.GradientTimesInput));
            Add(absGradTaus, FaithfulnessStatistics.KendallTauB(item.Attention, item.GradientTimesInput.Select(MathF.Abs).ToArray()));
            Add(looGradTaus, FaithfulnessStatistics.KendallTauB(item.LeaveOneOut, item.GradientTimesInput));
        }
        static double Mean(List<double> values) => values.Count > 0 ? values.Average() : double.NaN;
        return new ImportanceCorrelation
        {
            Texts = importances.Count,
            AttentionVsLeaveOneOut = Mean(looTaus),
            AttentionVsGradientTimesInput = Mean(gradTaus),
            AttentionVsAbsGradientTimesInput = Mean(absGradTaus),
            LeaveOneOutVsGradientTimesInput = Mean(looGradTaus),
            UndefinedTaus = 4 * importances.Count - looTaus.Count - gradTaus.Count - absGradTaus.Count - looGradTaus.Count,
        };
    }

    private static double Accuracy(IReadOnlyList<int> predicted, IReadOnlyList<int> labels) =>
        predicted.Count == 0 ? double.NaN : predicted.Zip(labels).Count(p => p.First == p.Second) / (double)predicted.Count;

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    // A stratified hold-out so every class appears in validation, drawn once for all seeds.
    private static (List<TextExample> Train, List<TextExample> Validation) HoldOut(IReadOnlyList<TextExample> rows, double fraction, long seed)
    {
        if (fraction <= 0) return (rows.ToList(), new List<TextExample>());
        var random = SplitMix64.ForStream(seed, stream: 0xFA17);
        var train = new List<TextExample>();
        var validation = new List<TextExample>();
        foreach (var group in rows.Select((row, index) => (row, index)).GroupBy(p => p.row.Label, StringComparer.Ordinal))
        {
            var members = group.Select(p => p.index).ToArray();
            random.Shuffle(members);
            int held = Math.Min((int)Math.Round(members.Length * fraction), members.Length - 1);
            for (int i = 0; i < members.Length; i++) (i < held ? validation : train).Add(rows[members[i]]);
        }
        return (train, validation);
    }
}
