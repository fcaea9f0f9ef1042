using MLNetAttention.Data;
using System.Diagnostics;
using MLNetAttention.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Training.Matching;

/// <summary>
/// Trains a <see cref="TextMatcher"/>: length-bucketed pair batches, Adam or AdamW, gradient clipping, the
/// per-epoch learning-rate schedule, validation after each epoch and early stopping that restores the best epoch.
/// Siamese and interactive matchers minimise cross-entropy plus the head's L2 term; the triplet matcher
/// minimises the hinge on triplets from <see cref="TripletSampler"/> (fresh negatives every epoch) and is
/// calibrated after every epoch on the validation pairs (on the training pairs when there are none).
/// Each step runs in its own dispose scope so native memory stays flat across epochs.
/// </summary>
public static class MatcherTrainer
{
    private const int ReportEverySteps = 20;
    private const int EvaluationBatchSize = 256;
    private static readonly string[] PairLabels = { "0", "1" };

    /// <summary>Trains <paramref name="model"/> in place and leaves it in eval mode holding the best epoch's weights.</summary>
    /// <param name="model">The model, built after <c>torch.manual_seed(options.Seed)</c> for reproducible runs.</param>
    /// <param name="train">Training pairs.</param>
    /// <param name="validation">Validation pairs; null to train without early stopping.</param>
    /// <param name="options">Training options (<see cref="TrainingOptions.ClassWeights"/> is ignored).</param>
    /// <param name="progress">Receives a snapshot every few steps and after each epoch.</param>
    /// <param name="cancellation">Stops training after the current step; the result is then marked interrupted.</param>
    public static TrainingResult Train(TextMatcher model, EncodedPairs train, EncodedPairs? validation, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (options.Threads > 0) set_num_threads(options.Threads);
        manual_seed(options.Seed);
        var triplet = model as TripletMatcher;
        var sampler = triplet is null ? null : new TripletSampler(train.Ids1, train.Ids2, train.Labels);

        return EpochLoop.Run(model, options,
            (optimizer, epoch, rate) => sampler is null
                ? RunPairEpoch(model, optimizer, train, options, epoch, rate, progress, cancellation)
                : RunTripletEpoch(triplet!, optimizer, sampler, options, epoch, rate, progress, cancellation),
            () =>
            {
                if (triplet is not null) Calibrate(triplet, validation is { Count: > 0 } ? validation : train);
                return validation is { Count: > 0 } ? Evaluate(model, validation) : null;
            },
            progress);
    }

    /// <summary>Match probabilities (softmax of the logits, column 1) of each pair, in input order, in eval mode.</summary>
    public static float[] PredictProbabilities(TextMatcher model, EncodedPairs data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return ScorePairs(model, data, (ids1, ids2) => model.forward(ids1, ids2).Logits.softmax(-1)[.., 1]);
    }

    // One value per pair, in input order: length-sorted batches in eval mode without gradients.
    private static float[] ScorePairs(TextMatcher model, EncodedPairs data, Func<Tensor, Tensor, Tensor> score)
    {
        var values = new float[data.Count];
        bool wasTraining = model.training;
        model.eval();
        using (no_grad())
        {
            foreach (var batch in PairBatches.Plan(data, EvaluationBatchSize, random: null))
            {
                using var scope = NewDisposeScope();
                var batchValues = score(PairBatches.Ids(data.Ids1, batch), PairBatches.Ids(data.Ids2, batch)).data<float>().ToArray();
                for (int r = 0; r < batch.Length; r++) values[batch[r]] = batchValues[r];
            }
        }
        if (wasTraining) model.train();
        return values;
    }

    /// <summary>Accuracy, macro-F1, per-class scores (labels "0", "1"), the confusion matrix and the mean cross-entropy, in eval mode.</summary>
    public static ClassificationMetrics Evaluate(TextMatcher model, EncodedPairs data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var probabilities = PredictProbabilities(model, data);
        double loss = 0;
        var predicted = new int[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            double p = Math.Clamp(probabilities[i], 1e-7, 1 - 1e-7);
            loss -= data.Labels[i] == 1 ? Math.Log(p) : Math.Log(1 - p);
            predicted[i] = probabilities[i] >= 0.5f ? 1 : 0;
        }
        return ClassificationMetrics.Compute(data.Labels, predicted, PairLabels, loss / Math.Max(1, data.Count));
    }

    /// <summary>
    /// Fits the triplet matcher's calibration p = sigmoid(a s + b) to the labelled pairs by Platt scaling (logistic
    /// regression of the label on the cosine score, Newton's method with a tiny ridge); the decision threshold
    /// p ≥ 0.5 is then the score -b/a.
    /// </summary>
    public static (float Scale, float Bias) Calibrate(TripletMatcher model, EncodedPairs data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var scores = ScorePairs(model, data, (ids1, ids2) => model.Score(ids1, ids2).Score).Select(v => (double)v).ToArray();
        var (a, b) = FitPlatt(scores, data.Labels);
        model.SetCalibration((float)a, (float)b);
        return ((float)a, (float)b);
    }

    /// <summary>
    /// Logistic regression of 0/1 <paramref name="labels"/> on <paramref name="scores"/>: (scale, bias) with
    /// p = sigmoid(scale * score + bias). Fitted on standardised scores by damped Newton steps with Platt's smoothed
    /// targets, so separable or nearly constant scores still give finite values.
    /// </summary>
    public static (double Scale, double Bias) FitPlatt(IReadOnlyList<double> scores, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count) throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels.", nameof(labels));
        int n = scores.Count, positives = labels.Count(l => l == 1);
        if (n == 0) return (1, 0);
        double hi = (positives + 1.0) / (positives + 2.0), lo = 1.0 / (n - positives + 2.0);
        double mean = scores.Average();
        double sd = Math.Sqrt(scores.Sum(s => (s - mean) * (s - mean)) / n);
        double prior = Math.Log((positives + 1.0) / (n - positives + 1.0));
        if (!(sd > 1e-9)) return (0, prior);
        var z = scores.Select(s => (s - mean) / sd).ToArray();
        var t = labels.Select(l => l == 1 ? hi : lo).ToArray();
        const double Ridge = 1e-3;
        double Loss(double a, double b)
        {
            double sum = 0.5 * Ridge * a * a;
            for (int i = 0; i < n; i++)
            {
                double x = a * z[i] + b;
                // log(1 + e^x) - t x, computed stably.
                sum += (x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x))) - t[i] * x;
            }
            return sum;
        }
        double alpha = 0, beta = prior, current = Loss(alpha, beta);
        for (int iteration = 0; iteration < 100; iteration++)
        {
            double ga = Ridge * alpha, gb = 0, haa = Ridge, hab = 0, hbb = 1e-9;
            for (int i = 0; i < n; i++)
            {
                double p = 1 / (1 + Math.Exp(-(alpha * z[i] + beta)));
                double w = p * (1 - p);
                ga += (p - t[i]) * z[i]; gb += p - t[i];
                haa += w * z[i] * z[i]; hab += w * z[i]; hbb += w;
            }
            double det = haa * hbb - hab * hab;
            if (!(det > 0)) break;
            double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
            double step = 1;
            double next = Loss(alpha - da, beta - db);
            while (next > current && step > 1e-6) { step /= 2; next = Loss(alpha - step * da, beta - step * db); }
            if (next > current) break;
            alpha -= step * da; beta -= step * db;
            bool converged = current - next < 1e-12;
            current = next;
            if (converged) break;
        }
        return (alpha / sd, beta - alpha * mean / sd);
    }

    private static EpochResult? RunPairEpoch(TextMatcher model, StepOptimizer optimizer, EncodedPairs train,
        TrainingOptions options, int epoch, double rate, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        model.train();
        if (options.ResampleNegatives) train = train.WithFreshNegatives(SplitMix64.ForStream(options.Seed, 0x4E6 + epoch));
        // A fresh stream per epoch: the shuffle depends only on the seed and the epoch.
        var batches = PairBatches.Plan(train, options.BatchSize, SplitMix64.ForStream(options.Seed, epoch + 1));
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        for (int step = 0; step < batches.Count; step++)
        {
            if (cancellation.IsCancellationRequested) return null;
            if (options.Decay == LearningRateDecay.Linear) optimizer.LearningRate = options.RateAtStep(rate, epoch, step, batches.Count);
            var batch = batches[step];
            using (var scope = NewDisposeScope())
            {
                var target = PairBatches.Labels(train, batch);
                optimizer.ZeroGrad();
                var (logits, _, _) = model.forward(PairBatches.Ids(train.Ids1, batch), PairBatches.Ids(train.Ids2, batch));
                var loss = nn.functional.cross_entropy(logits, target);
                var regularizer = model.Regularizer();
                (regularizer is null ? loss : loss + regularizer).backward();
                if (options.GradientClipNorm > 0) optimizer.ClipGradientNorm(options.GradientClipNorm);
                optimizer.Step();
                lossSum += loss.item<float>() * batch.Length;
                correct += logits.argmax(-1).eq(target).sum().item<long>();
                seen += batch.Length;
            }
            Report(progress, options, epoch, step, batches.Count, lossSum, correct, seen, train.Count, clock);
        }
        return Finish(epoch, rate, lossSum, correct, seen, clock);
    }

    // Triplet epochs report as accuracy the share of triplets whose anchor is closer to the positive than to the negative.
    private static EpochResult? RunTripletEpoch(TripletMatcher model, StepOptimizer optimizer, TripletSampler sampler,
        TrainingOptions options, int epoch, double rate, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        model.train();
        var triplets = sampler.Sample(SplitMix64.ForStream(options.Seed, 0x7121 + epoch));
        var texts = sampler.Texts;
        var lengths = triplets.Select(t => Math.Max(texts[t.Anchor].Length, Math.Max(texts[t.Positive].Length, texts[t.Negative].Length))).ToArray();
        var batches = PairBatches.Plan(lengths, options.BatchSize, SplitMix64.ForStream(options.Seed, epoch + 1));
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        for (int step = 0; step < batches.Count; step++)
        {
            if (cancellation.IsCancellationRequested) return null;
            if (options.Decay == LearningRateDecay.Linear) optimizer.LearningRate = options.RateAtStep(rate, epoch, step, batches.Count);
            var batch = batches[step];
            using (var scope = NewDisposeScope())
            {
                optimizer.ZeroGrad();
                var anchors = PairBatches.Ids(texts, batch.Select(i => triplets[i].Anchor).ToArray());
                var positives = PairBatches.Ids(texts, batch.Select(i => triplets[i].Positive).ToArray());
                var negatives = PairBatches.Ids(texts, batch.Select(i => triplets[i].Negative).ToArray());
                var (loss, ordered) = model.TripletLossAndOrder(anchors, positives, negatives);
                loss.backward();
                if (options.GradientClipNorm > 0) optimizer.ClipGradientNorm(options.GradientClipNorm);
                optimizer.Step();
                float value = loss.item<float>();
                lossSum += value * batch.Length;
                correct += ordered.sum().item<long>();
                seen += batch.Length;
            }
            Report(progress, options, epoch, step, batches.Count, lossSum, correct, seen, triplets.Count, clock);
        }
        return Finish(epoch, rate, lossSum, correct, seen, clock);
    }

    private static void Report(IProgress<TrainingProgress>? progress, TrainingOptions options, int epoch, int step, int steps,
        double lossSum, long correct, long seen, int total, Stopwatch clock)
    {
        if (progress is null || ((step + 1) % ReportEverySteps != 0 && step + 1 != steps)) return;
        double speed = seen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var remaining = TimeSpan.FromSeconds((total - seen) / Math.Max(speed, 1e-9));
        progress.Report(new TrainingProgress(epoch + 1, options.Epochs, step + 1, steps, lossSum / seen, (double)correct / seen, speed, remaining));
    }

    private static EpochResult Finish(int epoch, double rate, double lossSum, long correct, long seen, Stopwatch clock)
    {
        double elapsed = clock.Elapsed.TotalSeconds;
        return new EpochResult(epoch + 1, rate, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), null, elapsed,
            seen / Math.Max(elapsed, 1e-9), Environment.WorkingSet / 1048576.0);
    }
}
