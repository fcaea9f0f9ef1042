using MLNetAttention.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Faithfulness;

/// <summary>
/// The same model with uniform weights at inference: a <see cref="TextClassifier"/> with mean pooling holding the
/// original's parameters (the attention scorer's are dropped). For multi-head pooling every head's weighted sum
/// becomes the same mean, so the dense layer's H column blocks are summed into one.
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
        // Building a module draws initial weights from the global generator; keep the caller's random stream intact.
        using var rngState = torch.get_rng_state();
        var twin = new TextClassifier(options);
        torch.set_rng_state(rngState);
        try
        {
            using var scope = NewDisposeScope();
            var state = network.state_dict()
                .Where(p => !p.Key.StartsWith("pooling.", StringComparison.Ordinal))
                .ToDictionary(p => p.Key, p => p.Value);
            if (network.Options.Pooling == PoolingKind.MultiHead)
            {
                var dense = state["dense.weight"];
                int heads = network.Options.Heads, width = network.Options.PooledInputDim;
                state["dense.weight"] = dense.reshape(dense.shape[0], heads, width).sum(1);
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
