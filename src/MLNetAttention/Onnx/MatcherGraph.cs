using MLNetAttention.Models;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Onnx;

/// <summary>
/// The ONNX graph of a <see cref="TextMatcher"/>: input_ids_1 and input_ids_2 to probabilities [batch, 2] and both
/// sentences' attention weights, reproducing the eval-mode forward pass of each matcher kind. The shared encoder's
/// weights are stored once and applied to both inputs.
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
            default:
                throw new NotSupportedException($"The ONNX exporter does not know the matcher {network.GetType().Name}.");
        }

        g.Output(probabilities, OnnxModelInfo.ProbabilitiesName, DataType.Float, OnnxModelInfo.BatchAxis, 2L);
        g.Output(weights1, OnnxModelInfo.AttentionWeights1Name, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence1Axis);
        g.Output(weights2, OnnxModelInfo.AttentionWeights2Name, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.Sequence2Axis);
        return g.Graph;
    }
}
