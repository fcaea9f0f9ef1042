using MLNetAttention.Models;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Onnx;

/// <summary>The ONNX graph of a <see cref="TextClassifier"/>: input_ids to probabilities and attention_weights.</summary>
internal static class ClassifierGraph
{
    public static GraphProto Build(TextClassifier network, EmbeddingTableStorage bigramStorage = EmbeddingTableStorage.Dense, int maxBigramRows = 0)
    {
        var options = network.Options;
        var p = ParameterSet.From(network);
        var g = new OnnxGraphBuilder();

        var ids = g.Input(OnnxModelInfo.InputIdsName, DataType.Int64, OnnxModelInfo.BatchAxis, OnnxModelInfo.SequenceAxis);
        var (mask, maskU) = ModuleGraphs.Mask(g, ids);
        var x = ModuleGraphs.Embedding(g, p, "embedding", ids);
        if (options.BigramBuckets > 0)
            x = ModuleGraphs.AddBigrams(g, p, ids, x, maskU, options.BigramBuckets, options.EffectiveBigramHashStride, bigramStorage, options.Trigrams, maxBigramRows);

        var encoded = ModuleGraphs.Encoder(g, p, "encoder", options.Encoder, ids, x, mask, maskU);
        var (pooled, weights) = options.Pooling switch
        {
            PoolingKind.Attention => ModuleGraphs.AttentionPooling(g, p, "pooling", encoded, mask),
            PoolingKind.MultiHead => ModuleGraphs.MultiHeadPooling(g, p, "pooling", encoded, mask, options.Heads, options.AttentionHiddenDim, options.SeparateHeadKeys),
            PoolingKind.Max => ModuleGraphs.MaxPooling(g, encoded, mask, maskU),
            PoolingKind.Mean => ModuleGraphs.MeanPooling(g, encoded, mask),
            _ => throw new NotSupportedException($"The ONNX exporter does not know the pooling {options.Pooling}."),
        };

        var hidden = options.DenseDim > 0 ? ModuleGraphs.Gelu(g, ModuleGraphs.Linear(g, p, "dense", pooled)) : pooled;
        var logits = ModuleGraphs.Linear(g, p, "output", hidden);
        g.Output(g.Softmax(logits, -1), OnnxModelInfo.ProbabilitiesName, DataType.Float, OnnxModelInfo.BatchAxis, (long)options.NumClasses);
        if (options.Pooling == PoolingKind.MultiHead)
            g.Output(weights, OnnxModelInfo.AttentionWeightsName, DataType.Float, OnnxModelInfo.BatchAxis, (long)options.Heads, OnnxModelInfo.SequenceAxis);
        else
            g.Output(weights, OnnxModelInfo.AttentionWeightsName, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.SequenceAxis);
        return g.Graph;
    }
}
