using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Query-conditioned attention of the original interactive matcher: xk = tanh(x W) (no bias),
/// w = masked softmax over time of o_dense(xk * q), output = sum_t w_t xk_t.
/// </summary>
public sealed class AdditiveAttention1D : nn.Module<Tensor, Tensor, Tensor, (Tensor Output, Tensor Weights)>
{
    private readonly Linear k_dense;
    private readonly Linear o_dense;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputDim">Width D of the sequence vectors.</param>
    /// <param name="hiddenDim">Width of the projection; the query must have this width too.</param>
    public AdditiveAttention1D(int inputDim, int hiddenDim) : base(nameof(AdditiveAttention1D))
    {
        if (inputDim < 1) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "Must be at least 1.");
        if (hiddenDim < 1) throw new ArgumentOutOfRangeException(nameof(hiddenDim), hiddenDim, "Must be at least 1.");
        k_dense = nn.Linear(inputDim, hiddenDim, hasBias: false);
        o_dense = nn.Linear(hiddenDim, 1, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Pools <paramref name="x"/> (batch, seq, dim) for the query <paramref name="query"/> (batch, hidden).</summary>
    /// <returns>The pooled projections (batch, hidden) and the weights (batch, seq).</returns>
    public override (Tensor Output, Tensor Weights) forward(Tensor x, Tensor query, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var projected = k_dense.forward(x).tanh();
        var scores = o_dense.forward(projected * query.unsqueeze(1)).squeeze(-1);
        var weights = Masking.MaskedSoftmax(scores, mask);
        var output = Masking.WeightedSum(weights, projected);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { k_dense.Dispose(); o_dense.Dispose(); }
        base.Dispose(disposing);
    }
}
