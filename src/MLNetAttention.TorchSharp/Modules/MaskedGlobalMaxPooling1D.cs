using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Max over the real steps of each feature, with per-token weights so max pooling can be shown like
/// attention: a token's weight is the sum of the magnitudes of the feature maxima it supplied,
/// normalised to 1 over the sequence.
/// </summary>
public sealed class MaskedGlobalMaxPooling1D : PoolingLayer
{
    // Keeps the weights defined (uniform over real tokens) when every maximum is exactly 0.
    private const float TieBreak = 1e-12f;

    /// <summary>Creates the layer (it has no parameters).</summary>
    public MaskedGlobalMaxPooling1D() : base(nameof(MaskedGlobalMaxPooling1D)) { }

    /// <summary>Pools <paramref name="x"/> (batch, seq, dim) under <paramref name="mask"/> (batch, seq).</summary>
    /// <returns>The maxima (batch, dim) and the weights (batch, seq).</returns>
    public override (Tensor Output, Tensor Weights) forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var one = 1f.ToScalar();
        using var penalty = Masking.MaskedScorePenalty.ToScalar();
        using var tieBreak = TieBreak.ToScalar();
        var masked = x - (one - mask).unsqueeze(-1) * penalty;
        var (values, indices) = masked.max(1);
        var supplied = nn.functional.one_hot(indices, x.shape[1]).to_type(x.dtype); // (batch, dim, seq)
        var credit = (supplied * values.abs().unsqueeze(-1)).sum(1) + mask * tieBreak;
        var weights = credit / credit.sum(-1, keepdim: true);
        return (values.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }
}
