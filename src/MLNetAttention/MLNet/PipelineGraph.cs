using Google.Protobuf;
using MLNetAttention.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.MLNet;

/// <summary>
/// The variant of an exported classifier or matcher graph that <c>ApplyOnnxModel</c> runs inside the ML.NET pipeline.
/// ML.NET feeds one row per call: per sentence (one for a classifier, two for a matcher) a [1, n] tensor of token ids
/// with 0 for a token that is not in the vocabulary; the variant keeps the first max_length ids (<c>Slice</c>), maps 0
/// to the unknown id 1 (<c>Max</c>), feeds the original graph, and renames its outputs to the pipeline's columns. Two
/// nodes are added per sentence: each node costs about a microsecond per row.
/// </summary>
internal static class PipelineGraph
{
    /// <summary>The input of a classifier: int64 [1, n] ids, 0 = not in the vocabulary; n is at least 1 (an empty text gets one unknown token).</summary>
    public const string InputName = PipelineColumns.Ids;

    /// <summary>The probabilities, float [1, classes].</summary>
    public const string ScoreName = AttentionPoolColumns.Score;

    /// <summary>The weights, float [1, L] or [1, heads, L] with L the kept tokens.</summary>
    public const string WeightsName = AttentionPoolColumns.AttentionWeights;

    /// <summary>The kept ids before unknown ones become 1 (int64 [1, L]): tells the token step which tokens were scored.</summary>
    public const string KeptIdsName = PipelineColumns.KeptIds;

    private const string Prefix = "mlnet_pool.";

    /// <summary>
    /// One sentence of the graph: the exported graph's input and weights output, and the pipeline's columns for them
    /// (<see cref="Ids"/> in, <see cref="Weights"/> and <see cref="KeptIds"/> out).
    /// </summary>
    public sealed record Side(string GraphInput, string GraphWeights, string Ids, string KeptIds, string Weights);

    /// <summary>The sentences of a model of <paramref name="kind"/>, in input order.</summary>
    public static IReadOnlyList<Side> SidesOf(string kind) => kind == OnnxModelInfo.MatcherKindName
        ?
        [
            new(OnnxModelInfo.InputIds1Name, OnnxModelInfo.AttentionWeights1Name, PipelineColumns.Ids, PipelineColumns.KeptIds, AttentionMatchColumns.AttentionWeights1),
            new(OnnxModelInfo.InputIds2Name, OnnxModelInfo.AttentionWeights2Name, PipelineColumns.Ids2, PipelineColumns.KeptIds2, AttentionMatchColumns.AttentionWeights2),
        ]
        : [new(OnnxModelInfo.InputIdsName, OnnxModelInfo.AttentionWeightsName, InputName, KeptIdsName, WeightsName)];

    /// <summary>The ONNX step's input columns for a model of <paramref name="kind"/>.</summary>
    public static string[] InputColumns(string kind) => [.. SidesOf(kind).Select(s => s.Ids)];

    /// <summary>The ONNX step's output columns for the model <paramref name="info"/> describes (with <c>Alignment</c> for a cross matcher).</summary>
    public static string[] OutputColumns(OnnxModelInfo info) =>
        [ScoreName, .. SidesOf(info.Kind).SelectMany(s => new[] { s.Weights, s.KeptIds }), .. info.HasAlignment ? [AlignmentName] : Array.Empty<string>()];

    /// <summary>A cross matcher's alignment, float [1, L1 * L2]: row-major over the kept tokens of both texts.</summary>
    public const string AlignmentName = AttentionMatchColumns.Alignment;

    /// <summary>Builds the variant of <paramref name="exported"/> (an .onnx file written by <c>OnnxExporter</c>).</summary>
    public static byte[] Build(byte[] exported, OnnxModelInfo info)
    {
        var model = ModelProto.Parser.ParseFrom(exported);
        var graph = model.Graph;
        var sides = SidesOf(info.Kind);
        graph.Output.Clear();

        var zero = Int64s("zero", [0]);
        var axis1 = Int64s("axis1", [1]);
        var maxLength = Int64s("max_length", [info.MaxLength]);
        var oneScalar = new TensorProto { Name = Prefix + "one", DataType = (int)DataType.Int64 };
        oneScalar.Int64Data.Add(1);
        graph.Initializer.AddRange([zero, axis1, maxLength, oneScalar]);

        // Rename the outputs where they are produced, so that no Identity node is added.
        Rename(graph, OnnxModelInfo.ProbabilitiesName, ScoreName);
        graph.Output.Add(ValueInfo(ScoreName, DataType.Float, 1L, (long)info.Labels.Count));
        bool multiHead = info.ModelOptions?.Pooling == Models.PoolingKind.MultiHead;
        foreach (var side in sides.Reverse())
        {
            graph.Input.Remove(graph.Input.Single(i => i.Name == side.GraphInput));
            Rename(graph, side.GraphWeights, side.Weights);
            graph.Node.Insert(0, Node("Max", [side.KeptIds, oneScalar.Name], side.GraphInput));
            graph.Node.Insert(0, Node("Slice", [side.Ids, zero.Name, maxLength.Name, axis1.Name], side.KeptIds));
        }
        foreach (var side in sides)
        {
            graph.Input.Add(ValueInfo(side.Ids, DataType.Int64, 1L, OnnxModelInfo.SequenceAxis + side.Ids));
            graph.Output.Add(multiHead
                ? ValueInfo(side.Weights, DataType.Float, 1L, (long)info.Heads, OnnxModelInfo.SequenceAxis + side.Ids)
                : ValueInfo(side.Weights, DataType.Float, 1L, OnnxModelInfo.SequenceAxis + side.Ids));
            graph.Output.Add(ValueInfo(side.KeptIds, DataType.Int64, 1L, OnnxModelInfo.SequenceAxis + side.Ids));
        }
        if (info.HasAlignment)
        {
            // [1, L1, L2] flattened to [1, L1 * L2]: ML.NET's column is a vector, row-major as MatchPrediction.Alignment.
            if (!graph.Node.Any(n => n.Output.Contains(OnnxModelInfo.AlignmentName)))
                throw new InvalidOperationException($"The matcher graph has no '{OnnxModelInfo.AlignmentName}' output although its metadata say it is a cross matcher.");
            var flat = Int64s("flat_shape", [1, -1]);
            graph.Initializer.Add(flat);
            graph.Node.Add(Node("Reshape", [OnnxModelInfo.AlignmentName, flat.Name], AlignmentName));
            graph.Output.Add(ValueInfo(AlignmentName, DataType.Float, 1L, OnnxModelInfo.SequenceAxis + AlignmentName));
        }
        return model.ToByteArray();
    }

    /// <summary>
    /// The graph the batched step runs (<see cref="BatchedOnnxTransformer"/>), recovered from a variant: the exported
    /// graph, with the variant's output names, a batch axis on every input and output, and without the nodes the variant
    /// added (the step keeps the first max_length ids and maps unknown ids to 1 itself, so that padding stays 0, which the
    /// exported graph masks). Null when <paramref name="variant"/> is not a variant.
    /// </summary>
    public static BatchedGraph? ToBatched(byte[] variant)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(variant);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        var graph = model.Graph;
        string? kind = model.MetadataProps.FirstOrDefault(p => p.Key == OnnxModelInfo.KindKey)?.Value;
        if (graph is null || kind is null || !IsVariant(graph))
            return null;
        var sides = SidesOf(kind);
        var maxLength = graph.Initializer.FirstOrDefault(t => t.Name == Prefix + "max_length");
        var score = graph.Output.FirstOrDefault(o => o.Name == ScoreName);
        if (graph.Input.Count != sides.Count || sides.Any(s => graph.Input.All(i => i.Name != s.Ids) || graph.Output.All(o => o.Name != s.Weights))
            || maxLength is not { Int64Data.Count: 1 } || score is null)
            return null;
        bool hasAlignment = graph.Output.Any(o => o.Name == AlignmentName);
        var weightDims = sides.Select(s => graph.Output.Single(o => o.Name == s.Weights).Type.TensorType.Shape.Dim.ToArray()).ToArray();
        long classes = score.Type.TensorType.Shape.Dim[^1].DimValue;

        // The variant's own nodes: Slice (kept ids) and Max (unknown → 1) per side, and the alignment's Reshape.
        var added = sides.SelectMany(s => new[] { s.KeptIds, s.GraphInput }).Append(AlignmentName).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => n.Output.Count == 1 && added.Contains(n.Output[0])).ToList())
            graph.Node.Remove(node);
        foreach (var initializer in graph.Initializer.Where(t => t.Name.StartsWith(Prefix, StringComparison.Ordinal)).ToList())
            graph.Initializer.Remove(initializer);

        graph.Input.Clear();
        graph.Output.Clear();
        graph.Output.Add(ValueInfo(ScoreName, DataType.Float, OnnxModelInfo.BatchAxis, classes));
        for (int s = 0; s < sides.Count; s++)
        {
            string sequence = OnnxModelInfo.SequenceAxis + sides[s].Ids;
            graph.Input.Add(ValueInfo(sides[s].GraphInput, DataType.Int64, OnnxModelInfo.BatchAxis, sequence));
            // [1, L] or [1, heads, L] in the variant: the same rank with the batch axis in front.
            graph.Output.Add(weightDims[s].Length == 3
                ? ValueInfo(sides[s].Weights, DataType.Float, OnnxModelInfo.BatchAxis, weightDims[s][1].DimValue, sequence)
                : ValueInfo(sides[s].Weights, DataType.Float, OnnxModelInfo.BatchAxis, sequence));
        }
        if (hasAlignment)
            graph.Output.Add(ValueInfo(OnnxModelInfo.AlignmentName, DataType.Float, OnnxModelInfo.BatchAxis,
                OnnxModelInfo.SequenceAxis + sides[0].Ids, OnnxModelInfo.SequenceAxis + sides[1].Ids));
        return new BatchedGraph(model.ToByteArray(), sides, checked((int)maxLength.Int64Data[0]), hasAlignment);
    }

    /// <summary>Whether <paramref name="graph"/> is such a variant (its inputs are the pipeline's id columns).</summary>
    public static bool IsVariant(GraphProto graph) =>
        graph.Input.Count > 0 && graph.Input.All(i => i.Name.StartsWith(InputName, StringComparison.Ordinal));

    private static void Rename(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == from) node.Output[i] = to;
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
        }
    }

    private static TensorProto Int64s(string name, long[] values)
    {
        var tensor = new TensorProto { Name = Prefix + name, DataType = (int)DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Prefix + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
                string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
                _ => throw new ArgumentException($"Attribute {name}: unsupported value {value}."),
            });
        }
        return node;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol } : new TensorShapeProto.Types.Dimension { DimValue = (long)dim });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}

/// <summary>
/// The graph <see cref="BatchedOnnxTransformer"/> runs (<see cref="PipelineGraph.ToBatched"/>): inputs
/// <see cref="PipelineGraph.Side.GraphInput"/> (int64 [batch, L], 0 = padding), outputs <see cref="PipelineGraph.ScoreName"/>
/// [batch, classes], per side <see cref="PipelineGraph.Side.Weights"/> [batch, L] or [batch, heads, L] and, with
/// <paramref name="HasAlignment"/>, <see cref="OnnxModelInfo.AlignmentName"/> [batch, L1, L2].
/// </summary>
internal sealed record BatchedGraph(byte[] Model, IReadOnlyList<PipelineGraph.Side> Sides, int MaxLength, bool HasAlignment);
