using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Multi-head attention pooling: a k_dense projection (shared by the heads, as the original, or one per head),
/// one o_dense row per head, a masked softmax over time per head, and the heads' weighted sums concatenated head
/// after head: (batch, heads * dim), or with sliced heads each head's weighted sum of its own slice of the vector,
/// side by side: (batch, dim).
/// </summary>
/// <remarks>
/// The original reshaped the output with hdims where it meant the input width; this layer is right for
/// any input width. <see cref="DiversityPenalty"/> is the penalty of Lin et al. (2017) that keeps heads apart.
/// </remarks>
public sealed class MultiHeadAttentionPooling1D : PoolingLayer
{
    private readonly Linear k_dense;
    private readonly Linear o_dense;
    private readonly int heads;
    private readonly int hiddenDim;
    private readonly bool separateKeys;
    private readonly bool sliced;

    /// <summary>Creates the layer.</summary>
    /// <param name="inputDim">Width D of the input vectors.</param>
    /// <param name="hiddenDim">Width of the shared scoring projection.</param>
    /// <param name="heads">Number of heads H; the output has H * D values.</param>
    /// <param name="separateKeys">
    /// One scoring projection per head (k_dense maps D to H * hidden; head h scores tanh of its own slice) instead of
    /// the original's one shared projection, where the heads differ only by their o_dense row.
    /// </param>
    /// <param name="sliced">
    /// Head h pools only its own slice of the vector (values h * D / H to (h + 1) * D / H; the heads side by side give
    /// D values, as in Transformer multi-head attention) instead of the whole vector, so no head can repeat what
    /// another pooled: the features of a slice reach the classifier through its head alone. D must divide by H.
    /// </param>
    public MultiHeadAttentionPooling1D(int inputDim, int hiddenDim, int heads, bool separateKeys = false, bool sliced = false) : base(nameof(MultiHeadAttentionPooling1D))
    {
        if (inputDim < 1) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "Must be at least 1.");
        if (hiddenDim < 1) throw new ArgumentOutOfRangeException(nameof(hiddenDim), hiddenDim, "Must be at least 1.");
        if (heads < 1) throw new ArgumentOutOfRangeException(nameof(heads), heads, "Must be at least 1.");
        if (sliced && inputDim % heads != 0)
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, $"Sliced heads need an input width that divides by the {heads} heads.");
        this.heads = heads;
        this.hiddenDim = hiddenDim;
        this.separateKeys = separateKeys;
        this.sliced = sliced;
        k_dense = nn.Linear(inputDim, separateKeys ? heads * hiddenDim : hiddenDim, hasBias: false);
        // (heads, hidden) either way: with separate keys its rows are used elementwise, one per head's slice.
        o_dense = nn.Linear(hiddenDim, heads, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int Heads => heads;

    /// <inheritdoc/>
    public override int OutputSize(int inputDim) => sliced ? inputDim : heads * inputDim;

    /// <summary>Pools <paramref name="x"/> (batch, seq, dim) under <paramref name="mask"/> (batch, seq).</summary>
    /// <returns>
    /// The heads concatenated (batch, heads * dim), or with sliced heads (batch, dim), and the weights (batch, heads, seq).
    /// </returns>
    public override (Tensor Output, Tensor Weights) forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var keys = MixedPrecision.Linear(x, k_dense.weight!).tanh();
        var scores = separateKeys
            ? (keys.reshape(x.shape[0], x.shape[1], heads, hiddenDim) * o_dense.weight!).sum(-1).permute(0, 2, 1)
            : o_dense.forward(keys).permute(0, 2, 1);
        var weights = Masking.MaskedSoftmax(scores, mask);
        // Sliced: (batch, heads, 1, seq) x (batch, heads, seq, dim / heads), each head over its own slice.
        var output = sliced
            ? matmul(weights.unsqueeze(2), x.reshape(x.shape[0], x.shape[1], heads, -1).permute(0, 2, 1, 3)).reshape(x.shape[0], -1)
            : bmm(weights, x).reshape(x.shape[0], -1);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// ||A A^T - I||_F^2 averaged over the batch, for weights A of shape (batch, heads, seq).
    /// </summary>
    public static Tensor DiversityPenalty(Tensor weights)
    {
        using var scope = NewDisposeScope();
        var gram = bmm(weights, weights.transpose(1, 2));
        var identity = eye(weights.shape[1], dtype: weights.dtype, device: weights.device).unsqueeze(0);
        return (gram - identity).square().sum(new long[] { 1, 2 }).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The head overlap penalty: the mean over pairs of distinct heads of the squared cosine similarity of their
    /// weights (batch, heads, seq), averaged over the batch. 0 when every pair of heads attends to disjoint tokens,
    /// 1 when the heads are copies, whatever their sharpness.
    /// </summary>
    public static Tensor OverlapPenalty(Tensor weights)
    {
        using var scope = NewDisposeScope();
        long heads = weights.shape[1];
        if (heads < 2) return zeros(1, dtype: weights.dtype, device: weights.device).sum().MoveToOuterDisposeScope();
        var unit = nn.functional.normalize(weights, p: 2, dim: 2, eps: 1e-12);
        var cosine = bmm(unit, unit.transpose(1, 2));
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var pairs = ((float)(heads * (heads - 1))).ToScalar();
        var offDiagonal = ones(heads, heads, dtype: weights.dtype, device: weights.device) - eye(heads, dtype: weights.dtype, device: weights.device);
        return ((cosine.square() * offDiagonal).sum(new long[] { 1, 2 }) / pairs).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The head pairing penalty between two networks' weights over the same texts, each (batch, heads, seq) and 0 on
    /// padding: 1 minus the cosine similarity of head h's deviations from its mean weight over the text in one network
    /// and in the other, averaged over heads and batch. Deviations, because two heads that are both nearly flat have
    /// weights with a cosine near 1 whatever tokens they favour. 0 when each pair favours the same tokens in
    /// proportion, 1 when unrelated, up to 2 when one favours what the other avoids.
    /// </summary>
    public static Tensor PairingPenalty(Tensor first, Tensor second)
    {
        using var scope = NewDisposeScope();
        // The text's tokens: steps either network weighs in some head (softmax leaves every real token above 0).
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var zero = 0f.ToScalar();
        using var one = 1f.ToScalar();
        var real = first.gt(zero).logical_or(second.gt(zero)).any(1, keepdim: true).to(first.dtype);
        var tokens = real.sum(-1, keepdim: true).clamp_min(one);
        Tensor Deviation(Tensor weights) => (weights - weights.sum(-1, keepdim: true) / tokens) * real;
        var a = nn.functional.normalize(Deviation(first), p: 2, dim: 2, eps: 1e-8);
        var b = nn.functional.normalize(Deviation(second), p: 2, dim: 2, eps: 1e-8);
        return (one - (a * b).sum(-1)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The head flatness penalty: each head's squared cosine similarity with uniform weights over the text's tokens,
    /// for weights (batch, heads, seq) that are 0 on padding, averaged over heads and batch. For weights summing to 1 it
    /// is 1 / (tokens x sum of squared weights): 1 for a uniform head, 1 / tokens for a one-token head.
    /// </summary>
    public static Tensor FlatnessPenalty(Tensor weights)
    {
        using var scope = NewDisposeScope();
        // The text's tokens: the steps any head weighs (softmax leaves every real token above 0 in some head; padding is 0).
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var zero = 0f.ToScalar();
        using var floor = 1e-12.ToScalar();
        var tokens = weights.gt(zero).any(1).sum(-1, keepdim: true).to(weights.dtype);
        var squares = weights.square().sum(-1);
        // A row with no token (weights all 0) has no distribution to judge: it adds 0.
        var present = squares.gt(zero).to(weights.dtype);
        var share = present / (tokens * squares).clamp_min(floor);
        return share.mean().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { k_dense.Dispose(); o_dense.Dispose(); }
        base.Dispose(disposing);
    }
}
