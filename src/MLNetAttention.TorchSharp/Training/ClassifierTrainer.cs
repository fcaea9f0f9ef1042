using MLNetAttention.Data;
using System.Diagnostics;
using System.Text.Json;
using MLNetAttention.Models;
using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Training;

/// <summary>
/// Trains a <see cref="TextClassifier"/>: length-bucketed batches, Adam or AdamW, optional class weights,
/// gradient clipping and a per-epoch learning-rate schedule, validation under eval() and no_grad() after
/// each epoch, early stopping that restores the best epoch, and a resumable checkpoint on cancellation.
/// Each step runs in its own dispose scope so native memory stays flat across epochs.
/// </summary>
public static class ClassifierTrainer
{
    private const int ReportEverySteps = 20;
    private const int EvaluationBatchSize = 256;

    /// <summary>Trains <paramref name="model"/> in place and leaves it in eval mode holding the best epoch's weights.</summary>
    /// <param name="model">The model, built after <c>torch.manual_seed(options.Seed)</c> for reproducible runs.</param>
    /// <param name="train">Training examples.</param>
    /// <param name="validation">Validation examples; null to train without early stopping.</param>
    /// <param name="options">Training options.</param>
    /// <param name="progress">Receives a snapshot every few steps.</param>
    /// <param name="checkpointDirectory">Where to write a resumable checkpoint when <paramref name="cancellation"/> fires; null = none.</param>
    /// <param name="cancellation">Stops training after the current step.</param>
    /// <param name="resume">A checkpoint directory written by an interrupted run, to continue from.</param>
    public static TrainingResult Train(TextClassifier model, EncodedExamples train, EncodedExamples? validation,
        TrainingOptions options, IProgress<TrainingProgress>? progress = null, string? checkpointDirectory = null,
        CancellationToken cancellation = default, string? resume = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        int classes = model.Options.NumClasses;
        if (train.Labels.Any(l => l < 0 || l >= classes))
            throw new ArgumentException($"A training label is outside 0..{classes - 1}.", nameof(train));
        if (options.Threads > 0) set_num_threads(options.Threads);
        manual_seed(options.Seed);

        using var classWeights = options.ClassWeights ? ClassWeightsOf(train, classes) : null;
        var result = EpochLoop.Run(model, options,
            (optimizer, epoch, rate) => RunEpoch(model, optimizer, train, classWeights, options, epoch, rate, progress, cancellation),
            () => validation is { Count: > 0 } ? Evaluate(model, validation, classWeights) : null,
            progress,
            resume is null ? null : optimizer => Checkpoint.Load(resume, model, optimizer),
            checkpointDirectory is null ? null : (optimizer, state) =>
            {
                Checkpoint.Save(checkpointDirectory, model, optimizer, state);
                state.Result.CheckpointDirectory = checkpointDirectory;
            });
        // An interrupted run keeps every row: its checkpoint resumes training, and the reset belongs after the last epoch.
        if (options.MinNgramTexts > 1 && !result.Interrupted)
            result.RareNgramRowsReset = model.ForgetRareNgrams(train.Ids, options.MinNgramTexts);
        return result;
    }

    /// <summary>Scores <paramref name="data"/> in eval mode: accuracy, macro-F1, loss, per-class scores and the confusion matrix.</summary>
    public static ClassificationMetrics Evaluate(TextClassifier model, EncodedExamples data, IReadOnlyList<string>? labels = null) =>
        Evaluate(model, data, null, labels);

    /// <summary>Class probabilities (softmax of the logits) for each example, in input order.</summary>
    public static float[][] PredictProbabilities(TextClassifier model, EncodedExamples data)
    {
        var probabilities = new float[data.Count][];
        model.eval();
        using var noGrad = no_grad();
        foreach (var batch in LengthBuckets.Plan(data, EvaluationBatchSize, random: null))
        {
            using var scope = NewDisposeScope();
            var (logits, _) = model.forward(LengthBuckets.Ids(data, batch));
            var rows = logits.softmax(-1).data<float>().ToArray();
            int classes = (int)logits.shape[1];
            for (int r = 0; r < batch.Length; r++) probabilities[batch[r]] = rows.AsSpan(r * classes, classes).ToArray();
        }
        return probabilities;
    }

    private static ClassificationMetrics Evaluate(TextClassifier model, EncodedExamples data, Tensor? classWeights, IReadOnlyList<string>? labels = null)
    {
        int classes = model.Options.NumClasses;
        var predicted = new int[data.Count];
        double lossSum = 0;
        bool wasTraining = model.training;
        model.eval();
        using (no_grad())
        {
            foreach (var batch in LengthBuckets.Plan(data, EvaluationBatchSize, random: null))
            {
                using var scope = NewDisposeScope();
                var (logits, _) = model.forward(LengthBuckets.Ids(data, batch));
                var target = LengthBuckets.Labels(data, batch);
                lossSum += nn.functional.cross_entropy(logits, target, classWeights, reduction: nn.Reduction.Sum).item<float>();
                var argmax = logits.argmax(-1).data<long>().ToArray();
                for (int r = 0; r < batch.Length; r++) predicted[batch[r]] = (int)argmax[r];
            }
        }
        if (wasTraining) model.train();
        var names = labels ?? Enumerable.Range(0, classes).Select(c => c.ToString()).ToArray();
        return ClassificationMetrics.Compute(data.Labels, predicted, names, lossSum / Math.Max(1, data.Count));
    }

    private static EpochResult? RunEpoch(TextClassifier model, StepOptimizer optimizer, EncodedExamples train,
        Tensor? classWeights, TrainingOptions options, int epoch, double rate, IProgress<TrainingProgress>? progress,
        CancellationToken cancellation)
    {
        model.train();
        // A fresh stream per epoch: a resumed run shuffles exactly as an uninterrupted one.
        var batches = LengthBuckets.Plan(train, options.BatchSize, SplitMix64.ForStream(options.Seed, epoch + 1));
        using var halves = BatchHalves.Create(options);
        var weightOfClass = classWeights?.data<float>().ToArray();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        for (int step = 0; step < batches.Count; step++)
        {
            if (cancellation.IsCancellationRequested) return null;
            if (options.Decay == LearningRateDecay.Linear) optimizer.LearningRate = options.RateAtStep(rate, epoch, step, batches.Count);
            var batch = batches[step];
            optimizer.ZeroGrad();
            var (loss, right) = ComputeGradients(model, train, batch, classWeights, weightOfClass, options, halves);
            lossSum += loss * batch.Length;
            correct += right;
            using (NewDisposeScope())
            {
                if (options.GradientClipNorm > 0) optimizer.ClipGradientNorm(options.GradientClipNorm);
                optimizer.Step();
            }
            seen += batch.Length;
            if (progress is not null && ((step + 1) % ReportEverySteps == 0 || step + 1 == batches.Count))
            {
                double seconds = clock.Elapsed.TotalSeconds;
                double speed = seen / Math.Max(seconds, 1e-9);
                var remaining = TimeSpan.FromSeconds((train.Count - seen) / Math.Max(speed, 1e-9));
                progress.Report(new TrainingProgress(epoch + 1, options.Epochs, step + 1, batches.Count,
                    lossSum / seen, (double)correct / seen, speed, remaining));
            }
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        return new EpochResult(epoch + 1, rate, lossSum / seen, (double)correct / seen, null, elapsed,
            seen / Math.Max(elapsed, 1e-9), Environment.WorkingSet / 1048576.0);
    }

    /// <summary>
    /// Forward and backward of one step's <paramref name="batch"/>: whole, or as two halves at once when
    /// <paramref name="halves"/> is given. The gradients land on the parameters (and recorded embedding rows) as the
    /// whole batch's mean loss would put them. Returns that mean loss and how many texts were classified right.
    /// </summary>
    internal static (double Loss, long Correct) ComputeGradients(TextClassifier model, EncodedExamples train, int[] batch,
        Tensor? classWeights, float[]? weightOfClass, TrainingOptions options, BatchHalves? halves)
    {
        // The batch's mean loss is the sum over its parts of each part's summed loss over this (cross-entropy's own
        // normaliser: the batch's total class weight), so the parts' gradients add up to the whole batch's.
        double normaliser = weightOfClass is null ? batch.Length : batch.Sum(i => (double)weightOfClass[train.Labels[i]]);
        if (halves is null || batch.Length < 2) return ForwardBackward(model, train, batch, classWeights, normaliser, 1, options);
        var parts = BatchHalves.Split(batch);
        // Drawn here, in step order, from torch's generator: each part's dropout masks are fixed by the seed.
        var seeds = new[] { TrainingStepContext.NextSeed(), TrainingStepContext.NextSeed() };
        var outcomes = new (double Loss, long Correct)[2];
        halves.Run(part =>
        {
            using var context = TrainingStepContext.Enter(part, seeds[part]);
            outcomes[part] = ForwardBackward(model, train, parts[part], classWeights, normaliser,
                (double)parts[part].Length / batch.Length, options);
        });
        return (outcomes[0].Loss + outcomes[1].Loss, outcomes[0].Correct + outcomes[1].Correct);
    }

    // Forward and backward of one part of a step (the whole batch, or one half). Its loss is summed over the part and
    // divided by the whole batch's normaliser, and the regulariser (a mean over texts) weighted by the part's share.
    // Returns the part's contribution to the batch's mean loss and how many of its texts were classified right.
    private static (double Loss, long Correct) ForwardBackward(TextClassifier model, EncodedExamples train, int[] indices,
        Tensor? classWeights, double normaliser, double share, TrainingOptions options)
    {
        using var scope = NewDisposeScope();
        var ids = LengthBuckets.Ids(train, indices);
        var target = LengthBuckets.Labels(train, indices);
        // Each network (the model's and its companion's) gets its own loss, as if trained alone on these batches;
        // the reported loss and accuracy are the averaged prediction's.
        Tensor SummedLoss(Tensor logits, Tensor labels) => nn.functional.cross_entropy(logits, labels, classWeights, reduction: nn.Reduction.None,
            label_smoothing: options.LabelSmoothing).sum() / normaliser;
        Tensor Loss(Tensor logits) => SummedLoss(logits, target);
        // Each network's own solo-head weight: the companion's may differ (TextClassifierOptions.CompanionHeadSoloLoss).
        double[] solo = [model.Options.HeadSoloLoss, model.CompanionOptions?.HeadSoloLoss ?? 0];
        var (memberLogits, memberWeights, memberHeadLogits) = model.ForwardForTraining(ids, headLogits: solo.Any(w => w > 0));
        var memberLosses = memberLogits.Select(Loss).ToArray();
        Tensor? total = null;
        for (int m = 0; m < memberLogits.Length; m++)
        {
            var memberTotal = model.Regularizer(memberWeights[m]) is { } regularizer ? memberLosses[m] + regularizer * share : memberLosses[m];
            if (memberHeadLogits[m] is { } heads && solo[m] > 0)
            {
                // Every head classifies the part alone; their losses are averaged over heads and weighted like the
                // ensemble's (summed over the part, divided by the batch's normaliser).
                long headCount = heads.shape[1];
                var soloLoss = SummedLoss(heads.reshape(-1, heads.shape[2]), target.repeat_interleave(headCount)) / headCount;
                memberTotal = memberTotal + soloLoss * solo[m];
            }
            total = total is null ? memberTotal : total + memberTotal;
        }
        if (model.Options.CompanionHeadPairing > 0 && memberWeights.Length == 2 && memberWeights[0].dim() == 3 && memberWeights[1].dim() == 3)
            total = total! + MultiHeadAttentionPooling1D.PairingPenalty(memberWeights[0], memberWeights[1]) * (model.Options.CompanionHeadPairing * share);
        total!.backward();
        using var noGrad = no_grad();
        // The log of the averaged probabilities: its cross-entropy is the averaged prediction's (the one network's for one).
        var logits = TextClassifier.Combine(memberLogits);
        var loss = memberLogits.Length == 1 ? memberLosses[0] : Loss(logits);
        return (loss.item<float>(), logits.argmax(-1).eq(target).sum().item<long>());
    }

    internal static Tensor ClassWeightsOf(EncodedExamples train, int classes)
    {
        var counts = new double[classes];
        foreach (var label in train.Labels) counts[label]++;
        // (N / C) / count, as the original; a class absent from training gets weight 0.
        var weights = counts.Select(c => c == 0 ? 0f : (float)(train.Count / (double)classes / c)).ToArray();
        return tensor(weights);
    }

    // What trainer-state.json holds: where to continue, and the history so far.
    private sealed record CheckpointState(int NextEpoch, double BestAccuracy, int BestEpoch, List<EpochResult> History);

    // A resumable checkpoint: weights, optimizer moments, the best weights so far and where to continue.
    private static class Checkpoint
    {
        private const string StateFile = "trainer-state.json";
        private const string WeightsFile = "weights.bin";
        private const string BestFile = "best-weights.bin";
        private const string OptimizerFile = "optimizer.bin";

        public static void Save(string directory, TextClassifier model, StepOptimizer optimizer, EpochLoop.State state)
        {
            Directory.CreateDirectory(directory);
            AtomicFile.Write(Path.Combine(directory, WeightsFile), stream => ModelDirectory.SaveWeights(model, stream));
            AtomicFile.Write(Path.Combine(directory, OptimizerFile), stream =>
            {
                using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.Save(writer);
            });
            if (state.BestWeights is { } best)
                AtomicFile.Write(Path.Combine(directory, BestFile), stream =>
                {
                    using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                    nn.Module.save_state_dict(writer, best);
                });
            else File.Delete(Path.Combine(directory, BestFile));
            var saved = new CheckpointState(state.NextEpoch, state.BestAccuracy, state.Result.BestEpoch, state.Result.History);
            AtomicFile.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(saved, ModelJson.Options));
        }

        public static EpochLoop.State Load(string directory, TextClassifier model, StepOptimizer optimizer)
        {
            string statePath = Path.Combine(directory, StateFile);
            if (!File.Exists(statePath))
                throw new FileNotFoundException($"'{directory}' is not a training checkpoint: {StateFile} is missing. Pass the directory an interrupted 'train' reported.", statePath);
            var saved = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath), ModelJson.Options)
                ?? throw new InvalidDataException($"{statePath} is empty.");
            model.load(Path.Combine(directory, WeightsFile));
            using (var reader = new BinaryReader(File.OpenRead(Path.Combine(directory, OptimizerFile))))
                optimizer.Load(reader);
            var state = new EpochLoop.State { NextEpoch = saved.NextEpoch, BestAccuracy = saved.BestAccuracy };
            state.Result.History.AddRange(saved.History);
            state.Result.BestEpoch = saved.BestEpoch;
            string bestPath = Path.Combine(directory, BestFile);
            if (File.Exists(bestPath))
            {
                // The best weights are loaded into a twin of the model, then snapshotted.
                using var twin = new TextClassifier(model.Options);
                twin.load(bestPath);
                state.BestWeights = EpochLoop.Snapshot(twin);
            }
            return state;
        }
    }
}
