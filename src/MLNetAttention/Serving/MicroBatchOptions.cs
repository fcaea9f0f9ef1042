namespace MLNetAttention.Serving;

/// <summary>Options of <see cref="MicroBatchScorer{TInput, TOutput}"/>: how large a batch may grow and how long it waits to grow.</summary>
public sealed class MicroBatchOptions
{
    /// <summary>The default <see cref="MaxBatchSize"/>: 64 inputs, the batch the ONNX scorers run in.</summary>
    public const int DefaultMaxBatchSize = 64;

    /// <summary>The default <see cref="MaxWait"/>: 2 ms.</summary>
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Inputs scored in one call at most (default 64). A request with more inputs is split over several calls and
    /// answered when its last part is scored.
    /// </summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// How long a batch waits for more inputs after its first one arrived (default 2 ms); a full batch is scored at
    /// once. Zero scores whatever is queued without waiting.
    /// </summary>
    public TimeSpan MaxWait { get; set; } = DefaultMaxWait;

    /// <summary>
    /// Batches scored at the same time (default 1). More than one needs a thread-safe scoring function, and pays off
    /// only when one call does not already keep every core busy (for example ONNX Runtime sessions with one
    /// intra-op thread each).
    /// </summary>
    public int MaxConcurrentBatches { get; set; } = 1;

    internal void Validate()
    {
        if (MaxBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "A batch holds at least one input.");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(MaxWait), MaxWait, "The wait is between 0 and 1 minute.");
        if (MaxConcurrentBatches < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentBatches), MaxConcurrentBatches, "At least one batch is scored at a time.");
    }
}
