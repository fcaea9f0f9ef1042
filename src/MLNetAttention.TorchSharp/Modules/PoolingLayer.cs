using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// A layer that pools a padded sequence of vectors (batch, seq, dim) into one vector per sequence and
/// reports how much each step contributed: (batch, seq) weights, or (batch, heads, seq) for several heads.
/// Weights of padded steps are 0 and the weights of each head sum to 1.
/// </summary>
public abstract class PoolingLayer : nn.Module<Tensor, Tensor, (Tensor Output, Tensor Weights)>
{
    /// <summary>Creates the layer with its module name.</summary>
    protected PoolingLayer(string name) : base(name) { }

    /// <summary>The size of the pooled vector for inputs of width <paramref name="inputDim"/>.</summary>
    public virtual int OutputSize(int inputDim) => inputDim;

    /// <summary>The number of weight rows the layer returns per sequence (1 unless multi-head).</summary>
    public virtual int Heads => 1;
}
