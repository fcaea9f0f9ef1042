using MLNetAttention.Data;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// What one part of a training step tells the layers it runs through: which part of the batch this thread
/// computes (so row-wise embedding gradients are merged in a fixed order) and where the random draws of dropout
/// come from. A trainer that splits a batch across threads gives each part its own seeded stream, drawn on the
/// calling thread from torch's generator: the masks no longer depend on which thread reaches torch's shared
/// generator first, so the same seed still gives bit-identical models. Outside a part (a plain training step) the
/// layers draw from torch's generator, so <c>manual_seed</c> fixes them as before.
/// </summary>
public static class TrainingStepContext
{
    [ThreadStatic] private static SplitMix64? stream;
    [ThreadStatic] private static int part;

    /// <summary>The part of the batch the current thread computes (0 outside a split step).</summary>
    public static int Part => part;

    /// <summary>
    /// Marks the current thread as computing part <paramref name="batchPart"/> of a step, drawing its randomness
    /// from a stream seeded with <paramref name="seed"/>, until the returned scope is disposed.
    /// </summary>
    public static IDisposable Enter(int batchPart, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchPart);
        return new Scope(batchPart, new SplitMix64(seed));
    }

    /// <summary>A 64-bit seed for one layer's draws: from the part's stream inside <see cref="Enter"/>, else from torch's generator.</summary>
    public static ulong NextSeed() =>
        stream is { } own ? own.Next() : (ulong)randint(long.MaxValue, new long[] { 1 }, dtype: ScalarType.Int64).item<long>();

    /// <summary>
    /// A bool tensor of <paramref name="shape"/> on the CPU, each element true with probability
    /// <paramref name="probability"/> (in steps of 1/65,536), drawn from <see cref="NextSeed"/>.
    /// </summary>
    public static Tensor Bernoulli(long[] shape, double probability)
    {
        // InvertedDropout's sampler with a scale of 1: an element is drawn true exactly where it would be dropped.
        using var keep = empty(shape, ScalarType.Float32);
        InvertedDropout.FillKeepMask(MemoryMarshal.Cast<byte, float>(keep.bytes), new SplitMix64(NextSeed()),
            InvertedDropout.ThresholdOf(probability), 1f);
        // A scalar held in a variable, so it cannot be finalized during the native call (see Masking.FromIds).
        using var dropped = 0f.ToScalar();
        return keep.eq(dropped);
    }

    private sealed class Scope : IDisposable
    {
        private readonly SplitMix64? previousStream = stream;
        private readonly int previousPart = part;
        private bool disposed;

        public Scope(int batchPart, SplitMix64 random)
        {
            part = batchPart;
            stream = random;
        }

        public void Dispose()
        {
            if (disposed) return;
            (stream, part) = (previousStream, previousPart);
            disposed = true;
        }
    }
}
