using MLNetAttention.Models;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Onnx;

/// <summary>
/// The ONNX graph of a <see cref="TextClassifier"/>: input_ids to probabilities and attention_weights. With a companion
/// network both networks run on the same ids; the outputs are their probabilities and weights averaged.
/// </summary>
internal static class ClassifierGraph
{
    /// <summary>The state-dict prefix of the companion network's parameters (TextClassifier's field name).</summary>
    public const string CompanionPrefix = "companion";

    public static GraphProto Build(TextClassifier network, EmbeddingTableStorage bigramStorage = EmbeddingTableStorage.Dense, int maxBigramRows = 0,
        EmbeddingTableStorage tokenStorage = EmbeddingTableStorage.Dense)
    {
        var options = network.Options;
        var p = ParameterSet.From(network);
        var g = new OnnxGraphBuilder();

        var ids = g.Input(OnnxModelInfo.InputIdsName, DataType.Int64, OnnxModelInfo.BatchAxis, OnnxModelInfo.SequenceAxis);
        var (mask, maskU) = ModuleGraphs.Mask(g, ids);
        var (logits, weights) = Member(g, p, "", options, ids, mask, maskU, bigramStorage, maxBigramRows, tokenStorage);
        var probabilities = g.Softmax(logits, -1);
        if (options.ResolvedCompanion() is { } companion)
        {
            var (companionLogits, companionWeights) = Member(g, p, CompanionPrefix, companion, ids, mask, maskU, bigramStorage, maxBigramRows, tokenStorage);
            var half = g.FloatScalar(0.5f);
            probabilities = g.Mul(g.Add(probabilities, g.Softmax(companionLogits, -1)), half);
            // A single-head companion's (batch, seq) weights join every head of a multi-head network: Add broadcasts.
            if (companion.WeightRows != options.WeightRows) companionWeights = g.Unsqueeze(companionWeights, 1);
            weights = g.Mul(g.Add(weights, companionWeights), half);
        }

        g.Output(probabilities, OnnxModelInfo.ProbabilitiesName, DataType.Float, OnnxModelInfo.BatchAxis, (long)options.NumClasses);
        if (options.Pooling == PoolingKind.MultiHead)
            g.Output(weights, OnnxModelInfo.AttentionWeightsName, DataType.Float, OnnxModelInfo.BatchAxis, (long)options.Heads, OnnxModelInfo.SequenceAxis);
        else
            g.Output(weights, OnnxModelInfo.AttentionWeightsName, DataType.Float, OnnxModelInfo.BatchAxis, OnnxModelInfo.SequenceAxis);
        return g.Graph;
    }

    // One network's path from the ids to its logits and weights; prefix is its place in the state dict ("" for the model's own).
    private static (string Logits, string Weights) Member(OnnxGraphBuilder g, ParameterSet p, string prefix, TextClassifierOptions options,
        string ids, string mask, string maskU, EmbeddingTableStorage bigramStorage, int maxBigramRows, EmbeddingTableStorage tokenStorage)
    {
        string Name(string module) => ModuleGraphs.Join(prefix, module);
        var x = p.GatherTable(g, Name("embedding.weight"), ids, tokenStorage);
        if (options.BigramBuckets > 0)
            x = ModuleGraphs.AddBigrams(g, p, prefix, ids, x, maskU, options.BigramBuckets, options.EffectiveBigramHashStride, bigramStorage, options.Trigrams, maxBigramRows);

        var encoded = ModuleGraphs.Encoder(g, p, Name("encoder"), options.Encoder, ids, x, mask, maskU);
        var (pooled, weights) = options.Pooling switch
        {
            PoolingKind.Attention => ModuleGraphs.AttentionPooling(g, p, Name("pooling"), encoded, mask),
            PoolingKind.MultiHead => ModuleGraphs.MultiHeadPooling(g, p, Name("pooling"), encoded, mask, options.Heads, options.AttentionHiddenDim, options.SeparateHeadKeys, options.SlicedHeads),
            PoolingKind.Max => ModuleGraphs.MaxPooling(g, encoded, mask, maskU),
            PoolingKind.Mean => ModuleGraphs.MeanPooling(g, encoded, mask),
            _ => throw new NotSupportedException($"The ONNX exporter does not know the pooling {options.Pooling}."),
        };

        var hidden = options.DenseDim > 0 ? ModuleGraphs.Gelu(g, ModuleGraphs.Linear(g, p, Name("dense"), pooled)) : pooled;
        return (ModuleGraphs.Linear(g, p, Name("output"), hidden), weights);
    }
}
