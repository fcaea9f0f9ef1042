using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>
/// A soft-alignment matcher in the style of ESIM and decomposable attention. Both sentences pass the shared
/// encoder; every token of one sentence attends over the other sentence's tokens with the score
/// <c>x1_i · x2_j / sqrt(d) + b[clip(j - i)]</c>, where <c>b</c> is a learned bias per relative position (so
/// "the same position in the other line" is easy to learn, as couplets need); each token is compared with its
/// aligned summary as <c>ReLU(W [x, a, x - a, x * a])</c>, plus a residual convolution over those compared tokens
/// (the composition step; <see cref="TextMatcherOptions.CompositionKernel"/>); each sentence is pooled by a shared
/// <see cref="AttentionPooling1D"/>, and the head classifies [u, v, u*v, |u-v|]. It returns one weight per token
/// per sentence and, from <see cref="Align"/>, the alignment of sentence 1 over sentence 2.
/// </summary>
public sealed class CrossAttentionMatcher : TextMatcher
{
    private readonly MatchTokenEncoder encoder;
    private readonly LayerNorm layer_norm;
    private readonly Parameter relative_position_bias;
    private readonly Linear compare;
    private readonly ConvEncoder? composition;
    private readonly AttentionPooling1D pooling;
    private readonly MatchHead head;
    private readonly int maxDistance;
    private readonly double scale;

    /// <summary>Builds the model described by <paramref name="options"/> with fresh weights.</summary>
    public CrossAttentionMatcher(TextMatcherOptions options) : base(nameof(CrossAttentionMatcher), options)
    {
        encoder = new MatchTokenEncoder(Options);
        layer_norm = nn.LayerNorm(encoder.OutputDim);
        maxDistance = Options.MaxRelativeDistance;
        // Starts as a linear distance penalty (as ALiBi): before the content scores mean anything, a token attends
        // mostly near its own position in the other sentence, which gives the compare step a signal from the first
        // steps; training moves it where the data wants (it can flatten it for unordered pairs).
        relative_position_bias = new Parameter(arange(-maxDistance, maxDistance + 1, dtype: ScalarType.Float32).abs().neg() * (float)Options.InitialDistancePenalty);
        compare = nn.Linear(4 * encoder.OutputDim, Options.CompareDim);
        if (Options.CompositionKernel > 0) composition = new ConvEncoder(Options.CompareDim, Options.CompareDim, Options.CompositionKernel);
        pooling = new AttentionPooling1D(Options.CompareDim, Options.AttentionHiddenDim);
        head = new MatchHead(Options.CompareDim, Options);
        scale = 1.0 / Math.Sqrt(encoder.OutputDim);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override (Tensor Logits, Tensor Weights1, Tensor Weights2) forward(Tensor ids1, Tensor ids2)
    {
        using var scope = NewDisposeScope();
        var (logits, w1, w2, _) = Align(ids1, ids2);
        return (logits.MoveToOuterDisposeScope(), w1.MoveToOuterDisposeScope(), w2.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The forward pass with the alignment: logits (batch, 2), weights (batch, seq1) and (batch, seq2), and the
    /// alignment (batch, seq1, seq2), whose row i is how token i of sentence 1 attends over sentence 2 (it sums to
    /// 1 over the real tokens of sentence 2; rows of padded steps and columns of padding are 0).
    /// </summary>
    public (Tensor Logits, Tensor Weights1, Tensor Weights2, Tensor Alignment) Align(Tensor ids1, Tensor ids2)
    {
        using var scope = NewDisposeScope();
        var (x1, mask1) = Encode(ids1);
        var (x2, mask2) = Encode(ids2);
        // A scalar held in a variable, so it cannot be finalized during the native call (see Masking.FromIds).
        using var scaleScalar = scale.ToScalar();
        var scores = bmm(x1, x2.transpose(1, 2)) * scaleScalar + RelativeBias(x1.shape[1], x2.shape[1], x1.device);
        var alignment12 = Masking.MaskedSoftmax(scores, mask2);                  // (batch, seq1, seq2)
        var alignment21 = Masking.MaskedSoftmax(scores.transpose(1, 2), mask1);  // (batch, seq2, seq1)
        var m1 = Compare(x1, bmm(alignment12, x2), mask1);
        var m2 = Compare(x2, bmm(alignment21, x1), mask2);
        var (u, w1) = pooling.forward(m1, mask1);
        var (v, w2) = pooling.forward(m2, mask2);
        var logits = head.forward(u, v);
        var shown = alignment12 * mask1.unsqueeze(2);
        return (logits.MoveToOuterDisposeScope(), w1.MoveToOuterDisposeScope(), w2.MoveToOuterDisposeScope(), shown.MoveToOuterDisposeScope());
    }

    // Normalised token vectors: the products of the alignment and the comparison carry signal from the first step
    // (raw embeddings start near 0.02, and their products near nothing). Padded steps are zeroed again.
    private (Tensor Encoded, Tensor Mask) Encode(Tensor ids)
    {
        var (x, mask) = encoder.forward(ids);
        return (layer_norm.forward(x) * mask.unsqueeze(2), mask);
    }

    // (seq1, seq2): b[clip(j - i, -D, D) + D]; it depends on positions only, so padding cannot change it.
    private Tensor RelativeBias(long length1, long length2, Device device)
    {
        var i = arange(length1, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        var j = arange(length2, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var index = (j - i).clamp(-maxDistance, maxDistance) + maxDistance;
        return relative_position_bias.index_select(0, index.flatten()).view(length1, length2);
    }

    private Tensor Compare(Tensor x, Tensor aligned, Tensor mask)
    {
        var features = cat(new[] { x, aligned, x - aligned, x * aligned }, 2);
        // Padded steps are zeroed so nothing downstream depends on how far a batch is padded.
        var compared = nn.functional.relu(compare.forward(features)) * mask.unsqueeze(2);
        // Composition (ESIM's second stage): each compared token also sees its neighbours' comparisons, as a
        // residual so the token's own evidence reaches the pooling directly.
        return composition is null ? compared : compared + composition.forward(compared, mask);
    }

    /// <inheritdoc/>
    public override Tensor? Regularizer() => head.Regularizer();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { encoder.Dispose(); layer_norm.Dispose(); relative_position_bias.Dispose(); compare.Dispose(); composition?.Dispose(); pooling.Dispose(); head.Dispose(); }
        base.Dispose(disposing);
    }
}
