using MLNetAttention.Models;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Onnx;

/// <summary>
/// The ONNX graph of a <see cref="TextMatcher"/>: input_ids_1 and input_ids_2 to probabilities [batch, 2] and both
/// sentences' attention weights, reproducing the eval-mode forward pass of each matcher kind. The shared encoder's
/// weights are stored once and applied to both inputs. The cross-attention matcher has a fourth output, the alignment
/// [batch, seq1, seq2] of <see cref="CrossAttentionMatcher.Align"/>.
/// </summary>
internal static class MatcherGraph
{
    public static GraphProto Build(TextMatcher network)
    {
        var options = network.Options;
        var p = ParameterSet.From(network);
        var g = new OnnxGraphBuilder();

        var ids1 = g.Input(OnnxModelInfo.InputIds1Name, DataType.Int64, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence1Axis);
        var ids2 = g.Input(OnnxModelInfo.InputIds2Name, DataType.Int64, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence2Axis);
        var (x1, mask1, maskU1) = ModuleGraphs.MatchTokenEncoder(g, p, "encoder", options.Encoder, ids1);
        var (x2, mask2, maskU2) = ModuleGraphs.MatchTokenEncoder(g, p, "encoder", options.Encoder, ids2);

        string probabilities, weights1, weights2;
        string? alignment = null;
        switch (network)
        {
            case SiameseMatcher:
            {
                var (u, w1) = ModuleGraphs.AttentionPooling(g, p, "pooling", x1, mask1);
                var (v, w2) = ModuleGraphs.AttentionPooling(g, p, "pooling", x2, mask2);
                probabilities = g.Softmax(ModuleGraphs.MatchHead(g, p, "head", u, v), -1);
                (weights1, weights2) = (w1, w2);
                break;
            }
            case InteractiveMatcher:
            {
                // Each side's masked max, projected when the widths differ, is the other side's query.
                bool projected = p.Contains("query_projection.weight");
                string Query(string x, string maskU)
                {
                    var pooled = ModuleGraphs.MaskedMax(g, x, maskU);
                    return projected ? ModuleGraphs.Linear(g, p, "query_projection", pooled, bias: false) : pooled;
                }
                var q1 = Query(x1, maskU1);
                var q2 = Query(x2, maskU2);
                var (u, w1) = ModuleGraphs.AdditiveAttention(g, p, "attention", x1, q2, mask1);
                var (v, w2) = ModuleGraphs.AdditiveAttention(g, p, "attention", x2, q1, mask2);
                probabilities = g.Softmax(ModuleGraphs.MatchHead(g, p, "head", u, v), -1);
                (weights1, weights2) = (w1, w2);
                break;
            }
            case TripletMatcher:
            {
                string Embed(string x, string mask, out string weights)
                {
                    var (pooled, w) = ModuleGraphs.AttentionPooling(g, p, "pooling", x, mask);
                    weights = w;
                    return ModuleGraphs.L2Normalize(g, ModuleGraphs.Linear(g, p, "projection", pooled, bias: false));
                }
                var e1 = Embed(x1, mask1, out weights1);
                var e2 = Embed(x2, mask2, out weights2);
                var score = g.ReduceSum(g.Mul(e1, e2), 1, keepDims: true); // (batch, 1)
                // Platt calibration as TripletMatcher.forward: logits [0, a s + b], softmax.
                var (calibration, _) = p["calibration"];
                var logit = g.Add(g.Mul(score, g.FloatScalar(calibration[0])), g.FloatScalar(calibration[1]));
                var zero = g.Mul(logit, g.FloatScalar(0f));
                probabilities = g.Softmax(g.Node("Concat", [zero, logit], [("axis", 1L)]), -1);
                break;
            }
            case CrossAttentionMatcher:
            {
                // Normalised token vectors with padding zeroed again, as CrossAttentionMatcher.Encode.
                x1 = g.Mul(ModuleGraphs.LayerNorm(g, p, "layer_norm", x1), maskU1);
                x2 = g.Mul(ModuleGraphs.LayerNorm(g, p, "layer_norm", x2), maskU2);
                var scores = CrossScores(g, p, x1, x2, options.MaxRelativeDistance);
                var alignment12 = ModuleGraphs.MaskedSoftmax(g, scores, mask2, heads: true);                  // (batch, seq1, seq2)
                var alignment21 = ModuleGraphs.MaskedSoftmax(g, g.Transpose(scores, 0, 2, 1), mask1, heads: true); // (batch, seq2, seq1)
                var m1 = Compare(g, p, x1, g.MatMul(alignment12, x2), maskU1);
                var m2 = Compare(g, p, x2, g.MatMul(alignment21, x1), maskU2);
                var (u, w1) = ModuleGraphs.AttentionPooling(g, p, "pooling", m1, mask1);
                var (v, w2) = ModuleGraphs.AttentionPooling(g, p, "pooling", m2, mask2);
                probabilities = g.Softmax(ModuleGraphs.MatchHead(g, p, "head", u, v), -1);
                (weights1, weights2) = (w1, w2);
                // Rows of padded steps are 0, as Align returns them.
                alignment = g.Mul(alignment12, maskU1);
                break;
            }
            default:
                throw new NotSupportedException($"The ONNX exporter does not know the matcher {network.GetType().Name}.");
        }

        g.Output(probabilities, OnnxModelInfo.ProbabilitiesName, DataType.Float, OnnxModelInfo.BatchAxis, 2L);
        g.Output(weights1, OnnxModelInfo.AttentionWeights1Name, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence1Axis);
        g.Output(weights2, OnnxModelInfo.AttentionWeights2Name, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence2Axis);
        if (alignment is not null)
            g.Output(alignment, OnnxModelInfo.AlignmentName, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence1Axis, OnnxModelInfo.Sequence2Axis);
        return g.Graph;
    }

    // CrossAttentionMatcher's scores (batch, seq1, seq2): x1 x2^T / sqrt(d) + b[clip(j - i, -D, D) + D], the bias
    // index computed from the two dynamic lengths.
    private static string CrossScores(OnnxGraphBuilder g, ParameterSet p, string x1, string x2, int maxDistance)
    {
        var (_, compareShape) = p["compare.weight"];
        long width = compareShape[1] / 4; // compare takes [x, a, x - a, x * a]
        var similarity = g.Mul(g.MatMul(x1, g.Transpose(x2, 0, 2, 1)), g.FloatScalar((float)(1.0 / Math.Sqrt(width))));
        var i = g.Unsqueeze(Positions(g, x1), 1); // (seq1, 1)
        var j = g.Unsqueeze(Positions(g, x2), 0); // (1, seq2)
        var clipped = g.Node("Clip", [g.Sub(j, i), g.Int64Scalar(-maxDistance), g.Int64Scalar(maxDistance)]);
        var index = g.Add(clipped, g.Int64Scalar(maxDistance));
        var bias = g.Gather(p.Add(g, "relative_position_bias"), index); // (seq1, seq2)
        return g.Add(similarity, bias);
    }

    // 0, 1, ..., seq - 1 (int64) for x of shape (batch, seq, dim).
    private static string Positions(OnnxGraphBuilder g, string x) =>
        g.Node("Range", [g.Int64Scalar(0), g.Squeeze(g.Dim(x, 1), 0), g.Int64Scalar(1)]);

    // CrossAttentionMatcher.Compare: ReLU(W [x, a, x - a, x * a] + b), padded steps zeroed.
    private static string Compare(OnnxGraphBuilder g, ParameterSet p, string x, string aligned, string maskU)
    {
        var features = g.Node("Concat", [x, aligned, g.Sub(x, aligned), g.Mul(x, aligned)], [("axis", 2L)]);
        var compared = g.Mul(g.Relu(ModuleGraphs.Linear(g, p, "compare", features)), maskU);
        // The residual composition convolution, when the model has one.
        return p.Contains("composition.conv1.weight") ? g.Add(compared, ModuleGraphs.ConvEncoder(g, p, "composition", compared, maskU)) : compared;
    }
}
