using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// A bidirectional LSTM whose backward direction starts at each text's last real token (packed
/// sequences), so padding never reaches a real step. The two directions are concatenated.
/// </summary>
public sealed class BiLstmEncoder : SequenceEncoder
{
    private readonly LSTM lstm;
    private readonly int hiddenPerDirection;

    /// <summary>Creates the encoder.</summary>
    /// <param name="inputDim">Width of the embedded tokens.</param>
    /// <param name="outputDim">Width of the output (even): each direction gets half.</param>
    public BiLstmEncoder(int inputDim, int outputDim) : base(nameof(BiLstmEncoder))
    {
        if (outputDim < 2 || outputDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(outputDim), outputDim, "Must be a positive even number (two directions).");
        hiddenPerDirection = outputDim / 2;
        lstm = nn.LSTM(inputDim, hiddenPerDirection, batchFirst: true, bidirectional: true);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override int OutputDim => hiddenPerDirection * 2;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var lengths = mask.sum(1).to_type(ScalarType.Int64).cpu();
        var packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first: true, enforce_sorted: false);
        var (output, _, _) = lstm.call(packed);
        var (padded, _) = nn.utils.rnn.pad_packed_sequence(output, batch_first: true, total_length: x.shape[1]);
        return padded.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) lstm.Dispose();
        base.Dispose(disposing);
    }
}
