using MLNetAttention.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Faithfulness;

/// <summary>
/// The same model with uniform weights at inference: a <see cref="TextClassifier"/> with mean pooling holding the
/// original's parameters (the attention scorer's are dropped). For multi-head pooling every head's weighted sum
/// becomes the same mean, so the dense layer's H column blocks are summed into one; sliced heads side by side already
/// make the mean of the whole vector, so their reader stays as it is.
/// </summary>
public static class UniformTwin
{
    /// <summary>Builds the uniform-weights twin of <paramref name="network"/>, in eval mode. The caller disposes it.</summary>
    /// <param name="network">A trained classifier network (left unchanged).</param>
    public static TextClassifier Create(TextClassifier network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var options = network.Options.Clone();
        options.Pooling = PoolingKind.Mean;
        // The companion follows: with uniform weights in the first network, attention in the companion would not be a twin.
        options.CompanionPooling = null;
        // Building a module draws initial weights from the global generator; keep the caller's random stream intact.
        using var rngState = torch.get_rng_state();
        var twin = new TextClassifier(options);
        torch.set_rng_state(rngState);
        try
        {
            using var scope = NewDisposeScope();
            // A companion network's parameters sit under "companion."; it pools the same way and gets the same treatment.
            var networks = new List<(string Prefix, TextClassifierOptions Options)> { ("", network.Options) };
            if (network.CompanionOptions is { } companion) networks.Add((TextClassifier.CompanionParameterPrefix, companion));
            var state = network.state_dict()
                .Where(p => !networks.Any(n => p.Key.StartsWith(n.Prefix + "pooling.", StringComparison.Ordinal)))
                .ToDictionary(p => p.Key, p => p.Value);
            foreach (var (prefix, pooled) in networks.Where(n => n.Options.Pooling == PoolingKind.MultiHead && !n.Options.SlicedHeads))
            {
                // The layer that reads the pooled vector: the dense layer, or the output with a linear read-out.
                string key = prefix + (pooled.DenseDim > 0 ? "dense.weight" : "output.weight");
                var reader = state[key];
                state[key] = reader.reshape(reader.shape[0], pooled.Heads, pooled.PooledInputDim).sum(1);
            }
            using (no_grad()) twin.load_state_dict(state, strict: true);
            twin.eval();
            return twin;
        }
        catch
        {
            twin.Dispose();
            throw;
        }
    }
}
