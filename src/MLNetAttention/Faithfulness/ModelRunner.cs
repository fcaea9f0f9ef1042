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
        var probabilities = new float[rows.Count][];
        var weights = new float[rows.Count][];
        if (rows.Count == 0) return (probabilities, weights);
        var data = new EncodedExamples(rows, new int[rows.Count]);
        network.eval();
        using var noGrad = no_grad();
        foreach (var batch in LengthBuckets.Plan(data, batchSize, random: null))
        {
            using var scope = NewDisposeScope();
            var (logits, w) = network.forward(LengthBuckets.Ids(data, batch));
            var p = logits.softmax(-1).data<float>().ToArray();
            var mean = (w.dim() == 3 ? w.mean(new long[] { 1 }) : w).contiguous();
            int classes = (int)logits.shape[1], length = (int)mean.shape[1];
            var values = mean.data<float>().ToArray();
            for (int r = 0; r < batch.Length; r++)
            {
                int index = batch[r];
                probabilities[index] = p.AsSpan(r * classes, classes).ToArray();
                weights[index] = values.AsSpan(r * length, rows[index].Length).ToArray();
            }
        }
        return (probabilities, weights);
    }

    /// <summary>
    /// Gradient × input per token: the gradient of the <paramref name="targets"/> logit with respect to the vectors the
    /// encoder receives (token embeddings, plus bigram embeddings when the model has them), dotted with those vectors.
    /// </summary>
    public static float[][] GradientTimesInput(TextClassifier network, IReadOnlyList<int[]> rows, IReadOnlyList<int> targets, int batchSize)
    {
        var result = new float[rows.Count][];
        if (rows.Count == 0) return result;
        var parts = Parts.Of(network);
        var data = new EncodedExamples(rows, targets);
        network.eval();
        foreach (var batch in LengthBuckets.Plan(data, batchSize, random: null))
        {
            using var scope = NewDisposeScope();
            var ids = LengthBuckets.Ids(data, batch);
            var target = LengthBuckets.Labels(data, batch);
            Tensor expected;
            Tensor x;
            using (no_grad())
            {
                expected = network.forward(ids).Logits;
                x = parts.Embed(ids);
            }
            using var gradMode = enable_grad();
            x = x.detach().requires_grad_(true);
            var logits = parts.FromEmbedded(x, Masking.FromIds(ids));
            // The recomposed forward must be the model's own: this fails loudly if TextClassifier.forward changes.
            if (!logits.detach().allclose(expected, rtol: 1e-4, atol: 1e-4))
                throw new InvalidOperationException("The gradient × input pass no longer reproduces TextClassifier.forward; update ModelRunner.Parts.");
            var selected = logits.gather(1, target.unsqueeze(1)).sum();
            var gradient = autograd.grad(new[] { selected }, new[] { x })[0];
            var product = (gradient * x.detach()).sum(-1).contiguous();
            int length = (int)product.shape[1];
            var values = product.data<float>().ToArray();
            for (int r = 0; r < batch.Length; r++)
                result[batch[r]] = values.AsSpan(r * length, rows[batch[r]].Length).ToArray();
        }
        return result;
    }

    /// <summary>The submodules of a <see cref="TextClassifier"/>, found by name, composing its eval-mode forward pass.</summary>
    internal sealed class Parts
    {
        private Parts(Dictionary<string, nn.Module> modules, TextClassifierOptions options)
        {
            T Get<T>(string name) where T : class =>
                modules.TryGetValue(name, out var m) && m is T typed ? typed
                : throw new InvalidOperationException($"TextClassifier has no submodule '{name}' of type {typeof(T).Name}; update ModelRunner.Parts.");
            Options = options;
            Embedding = Get<Embedding>("embedding");
            Encoder = Get<SequenceEncoder>("encoder");
            Pooling = Get<PoolingLayer>("pooling");
            Dense = Get<Linear>("dense");
            Output = Get<Linear>("output");
            if (options.BigramBuckets > 0)
            {
                BigramEmbedding = Get<Embedding>("bigram_embedding");
                BigramProjection = Get<Linear>("bigram_projection");
            }
        }

        public TextClassifierOptions Options { get; }
        public Embedding Embedding { get; }
        public Embedding? BigramEmbedding { get; }
        public Linear? BigramProjection { get; }
        public SequenceEncoder Encoder { get; }
        public PoolingLayer Pooling { get; }
        public Linear Dense { get; }
        public Linear Output { get; }

        public static Parts Of(TextClassifier network) =>
            new(network.named_children().ToDictionary(c => c.name, c => c.module), network.Options);

        /// <summary>What the encoder receives in eval mode (dropout is the identity).</summary>
        public Tensor Embed(Tensor ids)
        {
            var x = Embedding.forward(ids);
            if (BigramEmbedding is null || BigramProjection is null) return x;
            var next = nn.functional.pad(ids[.., 1..], new long[] { 0, 1 });
            var buckets = (ids * TextClassifier.BigramHashMultiplier + next).remainder(Options.BigramBuckets);
            return x + BigramProjection.forward(BigramEmbedding.forward(buckets)) * Masking.FromIds(ids).unsqueeze(-1);
        }

        /// <summary>The logits from the embedded tokens, in eval mode.</summary>
        public Tensor FromEmbedded(Tensor x, Tensor mask) => FromPooled(Pooling.forward(Encoder.forward(x, mask), mask).Output);

        /// <summary>The logits from a pooled vector.</summary>
        public Tensor FromPooled(Tensor pooled) => Output.forward(nn.functional.gelu(Dense.forward(pooled)));
    }
}
