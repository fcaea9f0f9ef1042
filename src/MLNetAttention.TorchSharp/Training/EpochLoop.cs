using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Training;

/// <summary>
/// The epoch loop every trainer shares: the optimizer (<see cref="StepOptimizer"/>), the learning rate of each epoch, validation after each epoch,
/// a progress report per epoch, and early stopping that keeps a copy of the best epoch's weights and restores it.
/// The trainer supplies one epoch of steps and the validation.
/// </summary>
internal static class EpochLoop
{
    /// <summary>Where a run stands: enough to continue it after an interruption.</summary>
    public sealed class State
    {
        public int NextEpoch { get; set; }
        public double BestAccuracy { get; set; } = double.NegativeInfinity;
        public Dictionary<string, Tensor>? BestWeights { get; set; }
        public TrainingResult Result { get; init; } = new();
    }

    /// <param name="model">The model; left in eval mode holding the best epoch's weights.</param>
    /// <param name="options">Training options.</param>
    /// <param name="runEpoch">Runs the steps of one epoch at a rate; null when cancellation stopped it.</param>
    /// <param name="validate">Validation metrics after an epoch, or null when there is no validation data.</param>
    /// <param name="progress">Receives the per-epoch report.</param>
    /// <param name="resume">Loads a checkpoint into the model and the new optimizer and returns its state.</param>
    /// <param name="interrupted">Called when an epoch was interrupted, with the state to save.</param>
    public static TrainingResult Run(nn.Module model, TrainingOptions options,
        Func<StepOptimizer, int, double, EpochResult?> runEpoch, Func<ClassificationMetrics?> validate,
        IProgress<TrainingProgress>? progress, Func<StepOptimizer, State>? resume = null,
        Action<StepOptimizer, State>? interrupted = null)
    {
        using var optimizer = new StepOptimizer(model, options);
        var state = resume?.Invoke(optimizer) ?? new State();
        var result = state.Result;
        int epochsWithoutGain = 0;
        try
        {
            for (int epoch = state.NextEpoch; epoch < options.Epochs; epoch++)
            {
                double rate = options.LearningRateAt(epoch);
                optimizer.LearningRate = rate;
                EpochResult? epochResult;
                // Training steps only: validation below always runs in float32.
                using (options.UsesBFloat16 ? MixedPrecision.Enable() : null)
                    epochResult = runEpoch(optimizer, epoch, rate);
                if (epochResult is null)
                {
                    result.Interrupted = true;
                    state.NextEpoch = epoch;
                    interrupted?.Invoke(optimizer, state);
                    break;
                }

                optimizer.CatchUpAllRows();
                optimizer.UseAveragedWeights();
                var validation = validate();
                epochResult = epochResult with { Validation = validation };
                result.History.Add(epochResult);
                progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, 0, 0, epochResult.TrainLoss,
                    epochResult.TrainAccuracy, epochResult.SamplesPerSecond, TimeSpan.Zero) { Completed = epochResult });

                bool improved = validation is null || validation.Accuracy > state.BestAccuracy;
                if (improved)
                {
                    if (validation is not null) state.BestAccuracy = validation.Accuracy;
                    result.BestEpoch = epoch + 1;
                    // Without validation the last epoch is kept; a copy is needed only when it is an average.
                    if (validation is not null || optimizer.Averaging)
                    {
                        DisposeAll(state.BestWeights);
                        state.BestWeights = Snapshot(model);
                    }
                    epochsWithoutGain = 0;
                }
                optimizer.RestoreTrainingWeights();
                if (!improved && options.Patience > 0 && ++epochsWithoutGain >= options.Patience)
                {
                    result.StoppedEarly = epoch + 1 < options.Epochs;
                    break;
                }
            }
            if (state.BestWeights is not null && !result.Interrupted)
                using (no_grad()) model.load_state_dict(state.BestWeights);
        }
        finally
        {
            DisposeAll(state.BestWeights);
        }
        model.eval();
        return result;
    }

    /// <summary>A detached copy of the model's state dict.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
