using System.Diagnostics;
using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Training;

namespace MLNetAttention.Faithfulness;

/// <summary>One explainer's per-token scores of one text.</summary>
/// <param name="Explainer">The explainer's name, as the report shows it (e.g. "attention", "attention head 2", "integrated gradients").</param>
/// <param name="Kind">The kind of explainer.</param>
/// <param name="Head">The head (1-based) for <see cref="ExplainerKind.AttentionHeads"/>; null otherwise.</param>
/// <param name="Scores">One score per token; higher = more important for the predicted class.</param>
public sealed record Attribution(string Explainer, ExplainerKind Kind, int? Head, float[] Scores);

/// <summary>Several explainers' token scores of one prediction.</summary>
/// <param name="Ids">The token ids explained (the first <see cref="AttentionClassifier.MaxLength"/> tokens of the text).</param>
/// <param name="PredictedClass">The predicted class's index y, which every explainer explains.</param>
/// <param name="PredictedLabel">Its label.</param>
/// <param name="Probability">p(x)_y.</param>
/// <param name="Attributions">One entry per explainer, in report order.</param>
public sealed record TextExplanation(int[] Ids, int PredictedClass, string PredictedLabel, float Probability, IReadOnlyList<Attribution> Attributions);

/// <summary>
/// Compares explainers of a classifier's predictions on the ERASER faithfulness metrics (see <see cref="EraserMetrics"/>):
/// the attention weights (the head mean, and each head of multi-head pooling), leave-one-out, gradient × input,
/// integrated gradients and a seeded random ranking, each scored by AOPC comprehensiveness (higher is better) and
/// sufficiency (lower is better), with the Kendall τ-b between every pair of explainers' token rankings.
/// </summary>
/// <remarks>
/// Works for every encoder (conv, BiLSTM, ResConv, none) and pooling the classifier supports; the attention explainer
/// is left out for mean pooling (its weights are uniform, so its "ranking" would be text order) and the per-head
/// explainer for anything but multi-head pooling, each with a note in the report. The gradient explainers differentiate
/// the predicted class's logit with respect to the vectors the encoder receives (token plus bigram embeddings).
/// </remarks>
public static class ExplainerComparison
{
    /// <summary>Scores every selected explainer of <paramref name="classifier"/>'s predictions on <paramref name="texts"/>.</summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="texts">Texts (the first <see cref="ExplainerComparisonOptions.MaxExamples"/>; those with fewer than two tokens are skipped).</param>
    /// <param name="options">Settings; null for the defaults (all explainers, deletion, k = 1, 5, 10, 20, 50 %, 20 IG steps, 300 texts).</param>
    /// <exception cref="ArgumentException">No text has two tokens, or the options are invalid.</exception>
    public static ExplainerComparisonReport Evaluate(AttentionClassifier classifier, IEnumerable<string> texts, ExplainerComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new ExplainerComparisonOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        var ids = new List<int[]>();
        int skipped = 0;
        foreach (var text in options.MaxExamples > 0 ? texts.Take(options.MaxExamples) : texts)
        {
            var row = classifier.Tokenizer.EncodeToIds(text ?? "", classifier.MaxLength, out _);
            // Two tokens at least: a rank correlation needs two, and a rationale must leave something out.
            if (row.Length < 2) { skipped++; continue; }
            ids.Add(row);
        }
        if (ids.Count == 0)
            throw new ArgumentException($"No text has at least two tokens ({skipped} skipped); there is nothing to explain.", nameof(texts));

        var (original, predicted, explainers, notes) = Run(classifier, ids, options);
        var model = Model(classifier, options.BatchSize);
        var scores = EraserMetrics.ScoreAll(ids, original, predicted, explainers.Select(e => (IReadOnlyList<IReadOnlyList<float>>)e.Scores).ToArray(),
            model, options.Percentages, options.EraseMode);
        var correlations = new List<RankCorrelation>();
        if (options.RankCorrelations)
            for (int a = 0; a < explainers.Count; a++)
                for (int b = a + 1; b < explainers.Count; b++)
                {
                    var (tau, defined) = MeanTau(explainers[a].Scores, explainers[b].Scores);
                    correlations.Add(new RankCorrelation(explainers[a].Name, explainers[b].Name, tau, defined));
                }
        var network = classifier.Network.Options;
        return new ExplainerComparisonReport
        {
            Pooling = network.Pooling,
            Encoder = network.Encoder,
            Heads = network.WeightRows,
            EraseMode = options.EraseMode,
            Percentages = options.Percentages.ToArray(),
            Texts = ids.Count,
            SkippedTexts = skipped,
            MeanTokens = ids.Average(r => r.Length),
            IntegratedGradientsSteps = explainers.Any(e => e.Kind == ExplainerKind.IntegratedGradients) ? options.IntegratedGradientsSteps : null,
            Seed = options.Seed,
            Explainers = explainers.Select((e, i) => new ExplainerResult(e.Name, e.Kind, e.Head,
                scores[i].Comprehensiveness, scores[i].Sufficiency, scores[i].Points)).ToArray(),
            RankCorrelations = correlations,
            Notes = notes,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Every selected explainer's token scores of <paramref name="classifier"/>'s prediction for each text.</summary>
    /// <param name="classifier">The trained classifier.</param>
    /// <param name="texts">Texts with at least one token (the first <see cref="AttentionClassifier.MaxLength"/> tokens are explained).</param>
    /// <param name="options">Which explainers, the erase mode of leave-one-out, the steps of integrated gradients and the seed; null for the defaults.</param>
    /// <exception cref="ArgumentException">A text without tokens, or invalid options.</exception>
    public static IReadOnlyList<TextExplanation> Explain(AttentionClassifier classifier, IReadOnlyList<string> texts, ExplainerComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new ExplainerComparisonOptions();
        options.Validate();
        var ids = texts.Select((text, i) =>
        {
            var row = classifier.Tokenizer.EncodeToIds(text ?? "", classifier.MaxLength, out _);
            return row.Length > 0 ? row : throw new ArgumentException($"Text {i} has no tokens.", nameof(texts));
        }).ToArray();
        var (original, predicted, explainers, _) = Run(classifier, ids, options);
        return ids.Select((row, t) => new TextExplanation(row, predicted[t], classifier.Labels[predicted[t]], original[t][predicted[t]],
            explainers.Select(e => new Attribution(e.Name, e.Kind, e.Head, e.Scores[t])).ToArray())).ToArray();
    }

    /// <summary>
    /// A seeded random ranking of a text's tokens as scores: a uniformly drawn permutation (partial Fisher-Yates with
    /// SplitMix64 stream <paramref name="stream"/> of <paramref name="seed"/>), the first drawn token scoring
    /// <paramref name="length"/>, the last 1.
    /// </summary>
    /// <param name="length">The text's length in tokens.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="stream">The stream (the report uses the text's index).</param>
    public static float[] RandomScores(int length, long seed, long stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var order = Erasure.RandomK(length, length, SplitMix64.ForStream(seed, stream));
        var scores = new float[length];
        for (int i = 0; i < length; i++) scores[order[i]] = length - i;
        return scores;
    }

    /// <summary>
    /// The mean over texts of the Kendall τ-b (see <see cref="FaithfulnessStatistics.KendallTauB(IReadOnlyList{float}, IReadOnlyList{float})"/>)
    /// between two explainers' scores of each text; texts where either is constant (τ undefined) are left out.
    /// </summary>
    /// <param name="first">One explainer's scores, one row per text.</param>
    /// <param name="second">The other's, for the same texts.</param>
    /// <returns>A value in [−1, 1]; NaN when no text has a defined τ.</returns>
    public static double MeanKendallTau(IReadOnlyList<IReadOnlyList<float>> first, IReadOnlyList<IReadOnlyList<float>> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != second.Count) throw new ArgumentException($"{first.Count} and {second.Count} texts; both explainers must score the same texts.", nameof(second));
        return MeanTau(first, second).Mean;
    }

    private static (double Mean, int Defined) MeanTau(IReadOnlyList<IReadOnlyList<float>> first, IReadOnlyList<IReadOnlyList<float>> second)
    {
        double sum = 0;
        int defined = 0;
        for (int t = 0; t < first.Count; t++)
        {
            double tau = FaithfulnessStatistics.KendallTauB(first[t], second[t]);
            if (double.IsNaN(tau)) continue;
            sum += tau;
            defined++;
        }
        return (defined > 0 ? sum / defined : double.NaN, defined);
    }

    /// <summary>The classifier as the probability function the metrics query: batched, length-bucketed forward passes.</summary>
    internal static ClassProbabilityFunction Model(AttentionClassifier classifier, int batchSize) =>
        rows => ModelRunner.Forward(classifier.Network, rows, batchSize).Probabilities;

    private sealed record Explained(string Name, ExplainerKind Kind, int? Head, float[][] Scores);

    private static (float[][] Original, int[] Predicted, List<Explained> Explainers, List<string> Notes) Run(
        AttentionClassifier classifier, IReadOnlyList<int[]> ids, ExplainerComparisonOptions options)
    {
        var network = classifier.Network;
        var pooling = network.Options.Pooling;
        var (original, heads) = ModelRunner.ForwardByHead(network, ids, options.BatchSize);
        var predicted = EraserMetrics.Predicted(original);
        var selected = options.Explainers.ToHashSet();
        var explainers = new List<Explained>();
        var notes = new List<string>();
        var c = CultureInfo.InvariantCulture;
        if (selected.Contains(ExplainerKind.Attention))
        {
            if (pooling == PoolingKind.Mean)
            {
                notes.Add("attention: left out, mean pooling's weights are uniform (its ranking would be text order).");
            }
            else
            {
                string name = pooling switch { PoolingKind.MultiHead => "attention (head mean)", PoolingKind.Max => "max-pooling share", _ => "attention" };
                explainers.Add(new Explained(name, ExplainerKind.Attention, null, heads.Select(MeanOverHeads).ToArray()));
            }
        }
        if (selected.Contains(ExplainerKind.AttentionHeads))
        {
            if (pooling == PoolingKind.MultiHead)
                for (int h = 0; h < network.Options.Heads; h++)
                {
                    int head = h;
                    explainers.Add(new Explained(string.Create(c, $"attention head {head + 1}"), ExplainerKind.AttentionHeads, head + 1, heads.Select(w => w[head]).ToArray()));
                }
            else if (!selected.Contains(ExplainerKind.Attention) || pooling == PoolingKind.Mean)
                notes.Add($"attention heads: left out, {pooling} pooling has one weight row.");
        }
        if (selected.Contains(ExplainerKind.LeaveOneOut))
            explainers.Add(new Explained("leave-one-out", ExplainerKind.LeaveOneOut, null,
                EraserMetrics.LeaveOneOutOf(ids, original, predicted, Model(classifier, options.BatchSize), options.EraseMode)));
        if (selected.Contains(ExplainerKind.GradientTimesInput))
            explainers.Add(new Explained("gradient × input", ExplainerKind.GradientTimesInput, null,
                ModelRunner.GradientTimesInput(network, ids, predicted, options.BatchSize)));
        if (selected.Contains(ExplainerKind.IntegratedGradients))
            explainers.Add(new Explained("integrated gradients", ExplainerKind.IntegratedGradients, null,
                ModelRunner.IntegratedGradients(network, ids, predicted, options.IntegratedGradientsSteps, options.BatchSize)));
        if (selected.Contains(ExplainerKind.Random))
            explainers.Add(new Explained("random", ExplainerKind.Random, null,
                ids.Select((row, t) => RandomScores(row.Length, options.Seed, t + 1)).ToArray()));
        if (explainers.Count == 0)
            throw new ArgumentException($"None of the chosen explainers ({string.Join(", ", options.Explainers)}) applies to this model: {string.Join(" ", notes)}", nameof(options));
        return (original, predicted, explainers, notes);
    }

    private static float[] MeanOverHeads(float[][] heads)
    {
        if (heads.Length == 1) return heads[0];
        var mean = new float[heads[0].Length];
        foreach (var head in heads)
            for (int i = 0; i < mean.Length; i++) mean[i] += head[i] / heads.Length;
        return mean;
    }
}
