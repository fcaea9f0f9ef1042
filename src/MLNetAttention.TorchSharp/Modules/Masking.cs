using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>Padding masks and the masked softmax shared by every pooling layer.</summary>
public static class Masking
{
    /// <summary>The value subtracted from the scores of padded steps, as in the original Keras layers.</summary>
    public const float MaskedScorePenalty = 1e12f;

    /// <summary>
    /// Batches are padded to a multiple of this many steps: libtorch's allocator caches per shape, and a new
    /// shape for nearly every batch made memory grow to gigabytes on long texts.
    /// </summary>
    public const int PaddingQuantum = 8;

    /// <summary><paramref name="length"/> rounded up to a multiple of <see cref="PaddingQuantum"/>.</summary>
    public static int PaddedLength(int length) => (length + PaddingQuantum - 1) / PaddingQuantum * PaddingQuantum;

    /// <summary>Builds the float mask (1 = token, 0 = padding) of a batch of token ids, where id 0 is padding.</summary>
    /// <param name="ids">Token ids of shape (batch, seq), int64.</param>
    public static Tensor FromIds(Tensor ids)
    {
        // Scalars are held in variables throughout the forward pass: one made implicitly for an operator is unreachable
        // once its handle is read, so the finalizer thread could free it while libtorch still reads it (a run of
        // `evaluate` failed that way, in Scalar::toLong).
        using var padding = 0L.ToScalar();
        return ids.ne(padding).to_type(ScalarType.Float32);
    }

    /// <summary>
    /// Softmax over the last axis after subtracting <see cref="MaskedScorePenalty"/> from padded steps,
    /// so padding gets a weight of exactly 0 in float32.
    /// </summary>
    /// <param name="scores">Scores of shape (batch, seq) or (batch, heads, seq).</param>
    /// <param name="mask">Mask of shape (batch, seq).</param>
    public static Tensor MaskedSoftmax(Tensor scores, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var broadcastMask = scores.dim() == 3 ? mask.unsqueeze(1) : mask;
        using var one = 1f.ToScalar();
        using var penalty = MaskedScorePenalty.ToScalar();
        var masked = scores - (one - broadcastMask) * penalty;
        return masked.softmax(-1).MoveToOuterDisposeScope();
    }

    /// <summary>Sum over time of weights times vectors: (batch, seq) x (batch, seq, dim) to (batch, dim).</summary>
    public static Tensor WeightedSum(Tensor weights, Tensor values) =>
        bmm(weights.unsqueeze(1), values).squeeze(1);
}
