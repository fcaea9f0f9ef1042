namespace MLNetAttention.Training;

/// <summary>A snapshot of a running training, reported every few steps.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Maximum number of epochs.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="Steps">Steps in the epoch.</param>
/// <param name="Loss">Mean training loss so far in the epoch.</param>
/// <param name="Accuracy">Training accuracy so far in the epoch.</param>
/// <param name="SamplesPerSecond">Training speed so far in the epoch.</param>
/// <param name="EpochRemaining">Estimated time left in the epoch.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int Steps, double Loss, double Accuracy,
    double SamplesPerSecond, TimeSpan EpochRemaining)
{
    /// <summary>Set on the one report sent after an epoch and its validation have finished.</summary>
    public EpochResult? Completed { get; init; }
}

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="LearningRate">The learning rate used.</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="TrainAccuracy">Training accuracy (with dropout on).</param>
/// <param name="Validation">Validation metrics, when there was validation data.</param>
/// <param name="Seconds">Wall time of the training steps.</param>
/// <param name="SamplesPerSecond">Training examples per second, batching included.</param>
/// <param name="WorkingSetMegabytes">Process memory after the epoch: flat across epochs when native memory is released.</param>
public sealed record EpochResult(int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    ClassificationMetrics? Validation, double Seconds, double SamplesPerSecond, double WorkingSetMegabytes);

/// <summary>The outcome of <see cref="ClassifierTrainer.Train"/>.</summary>
public sealed class TrainingResult
{
    /// <summary>One entry per finished epoch.</summary>
    public List<EpochResult> History { get; init; } = new();

    /// <summary>The 1-based epoch whose weights the model holds now (the best on validation, else the last).</summary>
    public int BestEpoch { get; set; }

    /// <summary>True when training stopped because of cancellation; <see cref="CheckpointDirectory"/> then holds a resumable checkpoint.</summary>
    public bool Interrupted { get; set; }

    /// <summary>True when early stopping ended training before the last epoch.</summary>
    public bool StoppedEarly { get; set; }

    /// <summary>Bigram and trigram rows reset after training because their n-grams were rarer than <see cref="TrainingOptions.MinNgramTexts"/>.</summary>
    public long RareNgramRowsReset { get; set; }

    /// <summary>Where the resumable checkpoint was written, if any.</summary>
    public string? CheckpointDirectory { get; set; }
}
