using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>
/// A metric matcher: shared encoder and <see cref="AttentionPooling1D"/>, a linear projection, and the pair score
/// s = cos(P u, P v) in [-1, 1]. Trained on (anchor, positive, negative) with the hinge
/// max(0, margin - s(a, p) + s(a, n)). At inference the score is turned into a probability by a Platt-calibrated
/// sigmoid, p = sigmoid(a s + b), whose scale and bias are buffers fitted on validation pairs after training
/// (so they are saved with the weights); the logits are [0, a s + b], so softmax gives the same p.
/// </summary>
public sealed class TripletMatcher : TextMatcher
{
    private readonly MatchTokenEncoder encoder;
    private readonly AttentionPooling1D pooling;
    private readonly Linear projection;
    private readonly Tensor calibration;

    /// <summary>Builds the model described by <paramref name="options"/> with fresh weights and calibration (a = 10, b = 0).</summary>
    public TripletMatcher(TextMatcherOptions options) : base(nameof(TripletMatcher), options)
    {
        encoder = new MatchTokenEncoder(Options);
        pooling = new AttentionPooling1D(encoder.OutputDim, Options.AttentionHiddenDim);
        // No bias: a shared offset would make every pair's cosine start near 1.
        projection = nn.Linear(encoder.OutputDim, Options.ProjectionDim, hasBias: false);
        calibration = tensor(new float[] { 10f, 0f });
        register_buffer("calibration", calibration);
        RegisterComponents();
    }

    /// <summary>The calibration's scale a and bias b: p(match) = sigmoid(a * score + b).</summary>
    public (float Scale, float Bias) Calibration
    {
        get
        {
            var values = calibration.data<float>().ToArray();
            return (values[0], values[1]);
        }
    }

    /// <summary>Sets the calibration (see <see cref="Calibration"/>).</summary>
    public void SetCalibration(float scale, float bias)
    {
        using var noGrad = no_grad();
        using var values = tensor(new[] { scale, bias });
        calibration.copy_(values);
    }

    /// <summary>Pools and projects a batch of sentences to unit vectors (batch, projection) with their weights.</summary>
    public (Tensor Embedding, Tensor Weights) Embed(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var (x, mask) = encoder.forward(ids);
        var (pooled, weights) = pooling.forward(x, mask);
        var projected = nn.functional.normalize(projection.forward(pooled), p: 2, dim: 1);
        return (projected.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>The pair score cos(P u, P v) (batch) with both weight rows.</summary>
    public (Tensor Score, Tensor Weights1, Tensor Weights2) Score(Tensor ids1, Tensor ids2)
    {
        using var scope = NewDisposeScope();
        var (e1, w1) = Embed(ids1);
        var (e2, w2) = Embed(ids2);
        var score = (e1 * e2).sum(1);
        return (score.MoveToOuterDisposeScope(), w1.MoveToOuterDisposeScope(), w2.MoveToOuterDisposeScope());
    }

    /// <summary>The triplet hinge loss, mean over the batch, of anchors, positives and negatives (batch, seq each).</summary>
    public Tensor TripletLoss(Tensor anchors, Tensor positives, Tensor negatives) => TripletLossAndOrder(anchors, positives, negatives).Loss;

    /// <summary>The triplet hinge loss and, per triplet, whether the anchor is closer to the positive than to the negative (bool, batch).</summary>
    public (Tensor Loss, Tensor Ordered) TripletLossAndOrder(Tensor anchors, Tensor positives, Tensor negatives)
    {
        using var scope = NewDisposeScope();
        var (a, _) = Embed(anchors);
        var (p, _) = Embed(positives);
        var (n, _) = Embed(negatives);
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var margin = Options.TripletMargin.ToScalar();
        using var zero = 0f.ToScalar();
        var gap = (a * p).sum(1) - (a * n).sum(1);
        var loss = nn.functional.relu(margin - gap).mean();
        return (loss.MoveToOuterDisposeScope(), gap.gt(zero).detach().MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override (Tensor Logits, Tensor Weights1, Tensor Weights2) forward(Tensor ids1, Tensor ids2)
    {
        using var scope = NewDisposeScope();
        var (score, w1, w2) = Score(ids1, ids2);
        var logit = score * calibration[0] + calibration[1];
        var logits = stack(new[] { zeros_like(logit), logit }, 1);
        return (logits.MoveToOuterDisposeScope(), w1.MoveToOuterDisposeScope(), w2.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override Tensor? Regularizer() => null;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { encoder.Dispose(); pooling.Dispose(); projection.Dispose(); calibration.Dispose(); }
        base.Dispose(disposing);
    }
}
