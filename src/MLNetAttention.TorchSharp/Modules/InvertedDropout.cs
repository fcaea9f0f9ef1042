using MLNetAttention.Data;
using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Dropout as torch's: in training, each element is zeroed with probability p and the survivors scaled by
/// 1 / (1 - p); in eval it is the identity. On CPU the mask is drawn in managed code: libtorch's Bernoulli
/// sampler took 2-4 ms for one (32, 64, 128) batch, a quarter of a training step, and its uniform sampler
/// about 1 ms; 16-bit SplitMix64 draws compared in SIMD lanes take about 0.2 ms. Each call seeds its draws
/// from <see cref="TrainingStepContext.NextSeed"/> (torch's generator, or the stream of a split step's part), so
/// <c>manual_seed</c> still fixes every mask. p is applied in steps of 1/65,536.
/// </summary>
public sealed class InvertedDropout : nn.Module<Tensor, Tensor>
{
    private readonly double probability;
    private readonly ushort threshold;
    private readonly float scale;

    /// <summary>Creates the layer.</summary>
    /// <param name="probability">The probability of zeroing an element, in [0, 1).</param>
    public InvertedDropout(double probability) : base(nameof(InvertedDropout))
    {
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "A dropout probability must be in [0, 1).");
        this.probability = probability;
        threshold = ThresholdOf(probability);
        scale = (float)(65536.0 / (65536 - threshold));
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!training || threshold == 0) return input.alias();
        using var scope = NewDisposeScope();
        Tensor keep;
        if (input.device_type == DeviceType.CPU && input.dtype == ScalarType.Float32)
        {
            keep = empty(input.shape, ScalarType.Float32);
            FillKeepMask(MemoryMarshal.Cast<byte, float>(keep.bytes), new SplitMix64(TrainingStepContext.NextSeed()), threshold, scale);
        }
        else
        {
            // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
            using var cutoff = probability.ToScalar();
            using var inverse = (1.0 / (1.0 - probability)).ToScalar();
            keep = rand_like(input).ge_(cutoff).mul_(inverse);
        }
        return (input * keep).MoveToOuterDisposeScope();
    }

    /// <summary>The 16-bit draw below which an element is dropped with <paramref name="probability"/>.</summary>
    internal static ushort ThresholdOf(double probability) => (ushort)Math.Min(ushort.MaxValue, Math.Round(probability * 65536));

    /// <summary>Writes <paramref name="scale"/> where a 16-bit draw is at least <paramref name="threshold"/>, else 0.</summary>
    internal static void FillKeepMask(Span<float> mask, SplitMix64 random, ushort threshold, float scale)
    {
        int n = mask.Length;
        var words = ArrayPool<ulong>.Shared.Rent((n + 3) / 4);
        try
        {
            for (int w = 0; w < (n + 3) / 4; w++) words[w] = random.Next();
            var draws = MemoryMarshal.Cast<ulong, ushort>(words.AsSpan(0, (n + 3) / 4));
            var limit = new Vector<ushort>(threshold);
            var scaleBits = new Vector<uint>(BitConverter.SingleToUInt32Bits(scale));
            int lanes = Vector<ushort>.Count, half = Vector<uint>.Count, i = 0;
            for (; i + lanes <= n; i += lanes)
            {
                var kept = Vector.GreaterThanOrEqual(new Vector<ushort>(draws.Slice(i, lanes)), limit);
                // Sign-extend the all-ones lanes to 32 bits, then keep the scale's bits where they are set.
                Vector.Widen(Vector.AsVectorInt16(kept), out var low, out var high);
                Vector.AsVectorSingle(Vector.AsVectorUInt32(low) & scaleBits).CopyTo(mask.Slice(i, half));
                Vector.AsVectorSingle(Vector.AsVectorUInt32(high) & scaleBits).CopyTo(mask.Slice(i + half, half));
            }
            for (; i < n; i++) mask[i] = draws[i] >= threshold ? scale : 0f;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(words);
        }
    }
}
