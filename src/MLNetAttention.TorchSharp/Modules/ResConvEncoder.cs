using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// The original matching encoder: learned position embeddings and LayerNorm, then residual Conv1D
/// blocks with kernels 2, 3 and 4 and GELU (x = x + gelu(conv_k(x))). Even kernels pad like Keras'
/// "same": nothing before, one step after.
/// </summary>
public sealed class ResConvEncoder : SequenceEncoder
{
    /// <summary>The kernel widths of the residual blocks, in order.</summary>
    public static readonly IReadOnlyList<int> KernelSizes = new[] { 2, 3, 4 };

    private readonly Embedding position_embedding;
    private readonly LayerNorm layer_norm;
    private readonly ModuleList<Conv1d> convs;
    private readonly int dim;

    /// <summary>Creates the encoder.</summary>
    /// <param name="dim">Width of the embedded tokens and of every block.</param>
    /// <param name="maxPositions">The longest sequence the position embedding covers.</param>
    /// <param name="positionInitStd">
    /// Standard deviation of the initial position embeddings. Keep it at the token embeddings' scale: at N(0, 1)
    /// the positions drown the tokens after the LayerNorm, every text of one length looks alike and training stalls.
    /// </param>
    public ResConvEncoder(int dim, int maxPositions, double positionInitStd = 0.02) : base(nameof(ResConvEncoder))
    {
        if (maxPositions < 1) throw new ArgumentOutOfRangeException(nameof(maxPositions), maxPositions, "Must be at least 1.");
        this.dim = dim;
        MaxPositions = maxPositions;
        position_embedding = nn.Embedding(maxPositions, dim);
        layer_norm = nn.LayerNorm(dim);
        convs = nn.ModuleList(KernelSizes.Select(k => nn.Conv1d(dim, dim, k)).ToArray());
        RegisterComponents();
        using (no_grad()) nn.init.normal_(position_embedding.weight!, 0, positionInitStd);
    }

    /// <summary>The longest sequence the encoder accepts.</summary>
    public int MaxPositions { get; }

    /// <inheritdoc/>
    public override int OutputDim => dim;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        long length = x.shape[1];
        if (length > MaxPositions)
            throw new ArgumentException($"The sequence has {length} steps but the position embedding covers {MaxPositions}. Truncate inputs to the model's maximum length.", nameof(x));
        using var scope = NewDisposeScope();
        var positions = arange(length, dtype: ScalarType.Int64, device: x.device);
        var h = layer_norm.forward(x + position_embedding.forward(positions).unsqueeze(0));
        for (int i = 0; i < KernelSizes.Count; i++)
        {
            int k = KernelSizes[i];
            var input = ZeroPadding(h, mask).transpose(1, 2);
            var padded = nn.functional.pad(input, new long[] { (k - 1) / 2, k / 2 });
            h = h + nn.functional.gelu(convs[i].forward(padded)).transpose(1, 2);
        }
        return ZeroPadding(h, mask).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { position_embedding.Dispose(); layer_norm.Dispose(); convs.Dispose(); }
        base.Dispose(disposing);
    }
}
