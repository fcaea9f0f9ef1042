using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>
/// The original interactive matcher: each sentence's pooling is conditioned on the other. q1 is the masked
/// global max of sentence 1 (projected to <see cref="TextMatcherOptions.AttentionHiddenDim"/> when the widths
/// differ), sentence 2 is pooled by a shared <see cref="AdditiveAttention1D"/> with query q1, and the other way
/// round; then the head on [u, v, u*v, |u-v|].
/// </summary>
public sealed class InteractiveMatcher : TextMatcher
{
    private readonly MatchTokenEncoder encoder;
    private readonly MaskedGlobalMaxPooling1D max_pooling;
    private readonly Linear? query_projection;
    private readonly AdditiveAttention1D attention;
    private readonly MatchHead head;

    /// <summary>Builds the model described by <paramref name="options"/> with fresh weights.</summary>
    public InteractiveMatcher(TextMatcherOptions options) : base(nameof(InteractiveMatcher), options)
    {
        encoder = new MatchTokenEncoder(Options);
        max_pooling = new MaskedGlobalMaxPooling1D();
        if (encoder.OutputDim != Options.AttentionHiddenDim)
            query_projection = nn.Linear(encoder.OutputDim, Options.AttentionHiddenDim, hasBias: false);
        attention = new AdditiveAttention1D(encoder.OutputDim, Options.AttentionHiddenDim);
        head = new MatchHead(Options.AttentionHiddenDim, Options);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override (Tensor Logits, Tensor Weights1, Tensor Weights2) forward(Tensor ids1, Tensor ids2)
    {
        using var scope = NewDisposeScope();
        var (x1, mask1) = encoder.forward(ids1);
        var (x2, mask2) = encoder.forward(ids2);
        var q1 = Query(x1, mask1);
        var q2 = Query(x2, mask2);
        var (u, w1) = attention.forward(x1, q2, mask1);
        var (v, w2) = attention.forward(x2, q1, mask2);
        var logits = head.forward(u, v);
        return (logits.MoveToOuterDisposeScope(), w1.MoveToOuterDisposeScope(), w2.MoveToOuterDisposeScope());
    }

    private Tensor Query(Tensor x, Tensor mask)
    {
        var (pooled, _) = max_pooling.forward(x, mask);
        return query_projection is null ? pooled : query_projection.forward(pooled);
    }

    /// <inheritdoc/>
    public override Tensor? Regularizer() => head.Regularizer();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { encoder.Dispose(); max_pooling.Dispose(); query_projection?.Dispose(); attention.Dispose(); head.Dispose(); }
        base.Dispose(disposing);
    }
}
