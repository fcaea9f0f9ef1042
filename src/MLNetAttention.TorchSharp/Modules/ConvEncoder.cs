using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>The original's default encoder: one Conv1D (kernel 3, same padding) followed by ReLU.</summary>
public sealed class ConvEncoder : SequenceEncoder
{
    private readonly Conv1d conv1;
    private readonly int outputDim;

    /// <summary>Creates the encoder.</summary>
    /// <param name="inputDim">Width of the embedded tokens.</param>
    /// <param name="outputDim">Number of filters.</param>
    /// <param name="kernelSize">Convolution width (odd, so "same" padding is symmetric).</param>
    public ConvEncoder(int inputDim, int outputDim, int kernelSize = 3) : base(nameof(ConvEncoder))
    {
        if (kernelSize < 1 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, "Must be a positive odd number.");
        this.outputDim = outputDim;
        conv1 = nn.Conv1d(inputDim, outputDim, kernelSize, padding: kernelSize / 2);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int OutputDim => outputDim;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        // One autograd node (MaskedConvolution) with conv1's own weights, so saved models and the ONNX Conv node are
        // unchanged. Inside a bfloat16 scope all of it runs in bfloat16, as CPU autocast would; the features return
        // in x's type.
        var format = MixedPrecision.AppliesTo(x) ? ScalarType.BFloat16 : x.dtype;
        return MaskedConvolution.Apply(x, mask, conv1.weight!, conv1.bias!, format);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) conv1.Dispose();
        base.Dispose(disposing);
    }
}
