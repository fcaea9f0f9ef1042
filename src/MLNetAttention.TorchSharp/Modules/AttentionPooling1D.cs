using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Attention pooling of the original Keras layer: w = softmax_t(o_dense(tanh(k_dense(x_t)))) over the
/// real steps, output = sum_t w_t x_t (the raw input, not its projection).
/// </summary>
public sealed class AttentionPooling1D : PoolingLayer
{
    private readonly Linear k_dense;
    private readonly Linear o_dense;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputDim">Width D of the input vectors.</param>
    /// <param name="hiddenDim">Width of the scoring projection (the original's hdims).</param>
    public AttentionPooling1D(int inputDim, int hiddenDim) : base(nameof(AttentionPooling1D))
    {
        if (inputDim < 1) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "Must be at least 1.");
        if (hiddenDim < 1) throw new ArgumentOutOfRangeException(nameof(hiddenDim), hiddenDim, "Must be at least 1.");
        k_dense = nn.Linear(inputDim, hiddenDim, hasBias: false);
        o_dense = nn.Linear(hiddenDim, 1, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Pools <paramref name="x"/> (batch, seq, dim) under <paramref name="mask"/> (batch, seq).</summary>
    /// <returns>The pooled vectors (batch, dim) and the weights (batch, seq).</returns>
    public override (Tensor Output, Tensor Weights) forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var scores = o_dense.forward(MixedPrecision.Linear(x, k_dense.weight!).tanh()).squeeze(-1);
        var weights = Masking.MaskedSoftmax(scores, mask);
        var output = Masking.WeightedSum(weights, x);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { k_dense.Dispose(); o_dense.Dispose(); }
        base.Dispose(disposing);
    }
}
