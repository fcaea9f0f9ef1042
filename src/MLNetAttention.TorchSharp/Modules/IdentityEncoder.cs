using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>No encoder: the pooling sees the embeddings themselves (a bag of tokens).</summary>
public sealed class IdentityEncoder : SequenceEncoder
{
    private readonly int dim;

    /// <summary>Creates the encoder.</summary>
    /// <param name="dim">Width of the embedded tokens.</param>
    public IdentityEncoder(int dim) : base(nameof(IdentityEncoder)) => this.dim = dim;

    /// <inheritdoc/>
    public override int OutputDim => dim;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor mask) => ZeroPadding(x, mask);
}
