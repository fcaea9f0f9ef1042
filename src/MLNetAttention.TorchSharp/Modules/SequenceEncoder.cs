using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// Turns embedded tokens (batch, seq, dim) into contextual vectors (batch, seq, <see cref="OutputDim"/>).
/// Every encoder is padding-invariant: a text gets the same vectors alone or in a batch padded to any
/// length, because padded steps are zeroed before each layer that mixes neighbours.
/// </summary>
public abstract class SequenceEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the encoder with its module name.</summary>
    protected SequenceEncoder(string name) : base(name) { }

    /// <summary>The width of the vectors the encoder returns.</summary>
    public abstract int OutputDim { get; }

    /// <summary>Zeroes padded steps: (batch, seq, dim) times the (batch, seq) mask.</summary>
    protected static Tensor ZeroPadding(Tensor x, Tensor mask) => x * mask.unsqueeze(-1);
}
