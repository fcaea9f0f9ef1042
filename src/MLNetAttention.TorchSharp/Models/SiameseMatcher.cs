using MLNetAttention.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>
/// The original siamese matcher: a shared encoder and a shared <see cref="AttentionPooling1D"/> applied to each
/// sentence under its own mask, then the head on [u, v, u*v, |u-v|].
/// </summary>
public sealed class SiameseMatcher : TextMatcher
{
    private readonly MatchTokenEncoder encoder;
    private readonly AttentionPooling1D pooling;
    private readonly MatchHead head;

    /// <summary>Builds the model described by <paramref name="options"/> with fresh weights.</summary>
    public SiameseMatcher(TextMatcherOptions options) : base(nameof(SiameseMatcher), options)
    {
        encoder = new MatchTokenEncoder(Options);
        pooling = new AttentionPooling1D(encoder.OutputDim, Options.AttentionHiddenDim);
        head = new MatchHead(encoder.OutputDim, Options);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override (Tensor Logits, Tensor Weights1, Tensor Weights2) forward(Tensor ids1, Tensor ids2)
    {
        using var scope = NewDisposeScope();
        var (x1, mask1) = encoder.forward(ids1);
        var (x2, mask2) = encoder.forward(ids2);
        var (u, w1) = pooling.forward(x1, mask1);
        var (v, w2) = pooling.forward(x2, mask2);
        var logits = head.forward(u, v);
        return (logits.MoveToOuterDisposeScope(), w1.MoveToOuterDisposeScope(), w2.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override Tensor? Regularizer() => head.Regularizer();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { encoder.Dispose(); pooling.Dispose(); head.Dispose(); }
        base.Dispose(disposing);
    }
}
