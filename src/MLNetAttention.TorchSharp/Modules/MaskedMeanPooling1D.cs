using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Mean over the real steps, reported as uniform weights: the baseline that attention weights are
/// compared with in faithfulness checks.
/// </summary>
public sealed class MaskedMeanPooling1D : PoolingLayer
{
    /// <summary>Creates the layer (it has no parameters).</summary>
    public MaskedMeanPooling1D() : base(nameof(MaskedMeanPooling1D)) { }

    /// <summary>Pools <paramref name="x"/> (batch, seq, dim) under <paramref name="mask"/> (batch, seq).</summary>
    /// <returns>The means (batch, dim) and the uniform weights (batch, seq).</returns>
    public override (Tensor Output, Tensor Weights) forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var weights = mask / mask.sum(-1, keepdim: true);
        var output = Masking.WeightedSum(weights, x);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }
}
