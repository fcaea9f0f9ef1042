using MLNetAttention.Models;
using MLNetAttention.Modules;
using MLNetAttention.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Faithfulness;

/// <summary>Batched forward passes over many id rows: probabilities, mean weights and gradient × input.</summary>
internal static class ModelRunner
{
    /// <summary>Class probabilities and the weights (mean over heads, one per token) of each row, in input order.</summary>
    public static (float[][] Probabilities, float[][] Weights) Forward(TextClassifier network, IReadOnlyList<int[]> rows, int batchSize)
    {
        var (probabilities, rowsOfWeights) = Run(network, rows, batchSize, byHead: false);
        return (probabilities, rowsOfWeights.Select(row => row[0]).ToArray());
    }

    /// <summary>
    /// Class probabilities and each head's weights of each row, in input order: Heads[row][head][token]
    /// (one head for single-head, max and mean pooling).
    /// </summary>
    public static (float[][] Probabilities, float[][][] Heads) ForwardByHead(TextClassifier network, IReadOnlyList<int[]> rows, int batchSize) =>
        Run(network, rows, batchSize, byHead: true);

    // One batched pass for both: weights come back [row][weight row][token], one weight row per head, or a single row
    // holding the mean over heads (taken in libtorch, as before).
    private static (float[][] Probabilities, float[][][] Weights) Run(TextClassifier network, IReadOnlyList<int[]> rows, int batchSize, bool byHead)
    {
        var probabilities = new float[rows.Count][];
        var weights = new float[rows.Count][][];
        if (rows.Count == 0) return (probabilities, weights);
        var data = new EncodedExamples(rows, new int[rows.Count]);
        network.eval();
        using var noGrad = no_grad();
        foreach (var batch in LengthBuckets.Plan(data, batchSize, random: null))
        {
            using var scope = NewDisposeScope();
            var (logits, w) = network.forward(LengthBuckets.Ids(data, batch));
            var p = logits.softmax(-1).data<float>().ToArray();
            var heads = w.dim() == 3 ? w : w.unsqueeze(1);
            var weightRows = (byHead ? heads : heads.mean(new long[] { 1 }, keepdim: true)).contiguous();
            int classes = (int)logits.shape[1], count = (int)weightRows.shape[1], length = (int)weightRows.shape[2];
            var values = weightRows.data<float>().ToArray();
            for (int r = 0; r < batch.Length; r++)
            {
                int index = batch[r];
                probabilities[index] = p.AsSpan(r * classes, classes).ToArray();
                weights[index] = Enumerable.Range(0, count)
                    .Select(h => values.AsSpan((r * count + h) * length, rows[index].Length).ToArray()).ToArray();
            }
        }
        return (probabilities, weights);
    }

    /// <summary>
    /// Integrated gradients per token (Sundararajan et al. 2017) of the <paramref name="targets"/> logit, with respect to
    /// the vectors the encoder receives (token embeddings, plus bigram embeddings when the model has them): (x − x′) ·
    /// the mean of the gradients at x′ + α(x − x′) for α = 1/m, 2/m, …, 1 (a right Riemann sum of m =
    /// <paramref name="steps"/> points). The baseline x′ is the zero vector at every position, which is the padding
    /// embedding, while the padding mask stays that of the real tokens (so the pooling still sees n positions).
    /// With one step this is gradient × input.
    /// </summary>
    public static float[][] IntegratedGradients(TextClassifier network, IReadOnlyList<int[]> rows, IReadOnlyList<int> targets, int steps, int batchSize)
    {
        var result = new float[rows.Count][];
        if (rows.Count == 0) return result;
        var data = new EncodedExamples(rows, targets);
        network.eval();
        foreach (var batch in LengthBuckets.Plan(data, batchSize, random: null))
        {
            using var scope = NewDisposeScope();
            var ids = LengthBuckets.Ids(data, batch);
            var target = LengthBuckets.Labels(data, batch).unsqueeze(1);
            var mask = Masking.FromIds(ids);
            Tensor x;
            using (no_grad()) x = network.Embed(ids).detach();
            var total = zeros_like(x);
            using (enable_grad())
            {
                for (int s = 1; s <= steps; s++)
                {
                    using var step = NewDisposeScope();
                    var point = (x * (s / (double)steps)).requires_grad_(true);
                    var (logits, _) = network.FromEmbeddings(point, mask);
                    var selected = logits.gather(1, target).sum();
                    var gradient = autograd.grad(new[] { selected }, new[] { point })[0];
                    total.add_(gradient.detach());
                }
            }
            var attribution = (x * total / steps).sum(-1).contiguous();
            int length = (int)attribution.shape[1];
            var values = attribution.data<float>().ToArray();
            for (int r = 0; r < batch.Length; r++)
                result[batch[r]] = values.AsSpan(r * length, rows[batch[r]].Length).ToArray();
        }
        return result;
    }

    /// <summary>
    /// Gradient × input per token: the gradient of the <paramref name="targets"/> logit with respect to the vectors the
    /// encoder receives (token embeddings, plus bigram embeddings when the model has them), dotted with those vectors.
    /// </summary>
    public static float[][] GradientTimesInput(TextClassifier network, IReadOnlyList<int[]> rows, IReadOnlyList<int> targets, int batchSize) =>
        // Integrated gradients with one step is exactly gradient × input: the gradient at x, times x.
        IntegratedGradients(network, rows, targets, steps: 1, batchSize);
}
