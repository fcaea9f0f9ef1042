using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace MLNetAttention.Onnx;

/// <summary>
/// Builds an ONNX graph node by node: every method adds one node (or initializer) and returns the name of the
/// value it produces, so sub-graphs compose like expressions. Names are made unique from a prefix.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The opset the exporter targets (no Gelu op; LayerNormalization exists; ReduceMax takes axes as an attribute).</summary>
    public const int Opset = 17;

    /// <summary>The IR version written (ONNX 1.10+, understood by every ONNX Runtime since 1.10).</summary>
    public const int IrVersion = 8;

    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new() { Name = "mlnet_attention" };

    /// <summary>A fresh value name starting with <paramref name="prefix"/>.</summary>
    public string Fresh(string prefix)
    {
        _counters.TryGetValue(prefix, out int n);
        _counters[prefix] = n + 1;
        return n == 0 ? prefix : $"{prefix}_{n}";
    }

    /// <summary>Declares a graph input; dimensions are sizes (long) or symbolic names (string).</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (through an Identity when the names differ).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (value != name) Node("Identity", [value], name: name);
        Graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>Adds a float initializer with the given shape.</summary>
    public string Initializer(string name, float[] data, params long[] dims)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"Initializer {name}: {data.Length} values do not fill shape [{string.Join(", ", dims)}].");
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan()));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds an initializer of any element type from its little-endian bytes (float16 and int8 tables).</summary>
    public string Initializer(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, params long[] dims)
    {
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)type };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(bytes);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 constant (shared between uses), for shapes, axes, indices and integer arithmetic.</summary>
    public string Int64s(params long[] values) => SharedConstant("i64", values, TensorProto.Types.DataType.Int64, scalar: false);

    /// <summary>An int64 scalar constant.</summary>
    public string Int64Scalar(long value) => SharedConstant("i64s", [value], TensorProto.Types.DataType.Int64, scalar: true);

    /// <summary>A float scalar constant.</summary>
    public string FloatScalar(float value)
    {
        string key = $"f32:{BitConverter.SingleToInt32Bits(value)}";
        if (_constants.TryGetValue(key, out string? name)) return name;
        var tensor = new TensorProto { Name = Fresh("const_f"), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        Graph.Initializer.Add(tensor);
        return _constants[key] = tensor.Name;
    }

    private string SharedConstant(string prefix, long[] values, TensorProto.Types.DataType type, bool scalar)
    {
        string key = $"{prefix}:{string.Join(",", values)}";
        if (_constants.TryGetValue(key, out string? name)) return name;
        var tensor = new TensorProto { Name = Fresh("const_" + prefix), DataType = (int)type };
        if (!scalar) tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return _constants[key] = tensor.Name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    /// <param name="opType">The ONNX operator.</param>
    /// <param name="inputs">Input value names ("" for an omitted optional input).</param>
    /// <param name="attributes">Attributes: long, float, string, long[] or float[] values.</param>
    /// <param name="name">The output name; default a fresh name from the operator.</param>
    /// <param name="domain">The operator's domain; "" is the default ONNX domain.</param>
    public string Node(string opType, string[] inputs, (string Name, object Value)[]? attributes = null, string? name = null, string domain = "") =>
        NodeMulti(opType, inputs, 1, attributes, name, domain)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] NodeMulti(string opType, string[] inputs, int outputCount, (string Name, object Value)[]? attributes = null, string? name = null, string domain = "")
    {
        var node = new NodeProto { OpType = opType, Domain = domain };
        node.Name = Fresh("node_" + opType);
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++)
            outputs[i] = i == 0 && name is not null ? name : Fresh(opType.ToLowerInvariant());
        node.Output.AddRange(outputs);
        foreach (var (attributeName, value) in attributes ?? [])
            node.Attribute.Add(Attribute(attributeName, value));
        Graph.Node.Add(node);
        return outputs;
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var attribute = new AttributeProto { Name = name };
        switch (value)
        {
            case int i: attribute.Type = AttributeProto.Types.AttributeType.Int; attribute.I = i; break;
            case long l: attribute.Type = AttributeProto.Types.AttributeType.Int; attribute.I = l; break;
            case float f: attribute.Type = AttributeProto.Types.AttributeType.Float; attribute.F = f; break;
            case string s: attribute.Type = AttributeProto.Types.AttributeType.String; attribute.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: attribute.Type = AttributeProto.Types.AttributeType.Ints; attribute.Ints.AddRange(ls); break;
            case float[] fs: attribute.Type = AttributeProto.Types.AttributeType.Floats; attribute.Floats.AddRange(fs); break;
            case TensorProto t: attribute.Type = AttributeProto.Types.AttributeType.Tensor; attribute.T = t; break;
            default: throw new ArgumentException($"Attribute {name}: unsupported value type {value.GetType().Name}.");
        }
        return attribute;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"Dimension {dim} of {name} is neither a size nor a name."),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    // ---- Small operator helpers: each returns the output name. ----

    public string Add(string a, string b) => Node("Add", [a, b]);
    public string Sub(string a, string b) => Node("Sub", [a, b]);
    public string Mul(string a, string b) => Node("Mul", [a, b]);
    public string Div(string a, string b) => Node("Div", [a, b]);
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);
    public string Tanh(string x) => Node("Tanh", [x]);
    public string Relu(string x) => Node("Relu", [x]);
    public string Abs(string x) => Node("Abs", [x]);
    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], [("perm", perm)]);
    public string Unsqueeze(string x, params long[] axes) => Node("Unsqueeze", [x, Int64s(axes)]);
    public string Squeeze(string x, params long[] axes) => Node("Squeeze", [x, Int64s(axes)]);
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64s(shape)]);
    public string ReduceSum(string x, long axis, bool keepDims) => Node("ReduceSum", [x, Int64s(axis)], [("keepdims", keepDims ? 1L : 0L)]);
    public string Softmax(string x, long axis = -1) => Node("Softmax", [x], [("axis", axis)]);
    public string Cast(string x, TensorProto.Types.DataType to) => Node("Cast", [x], [("to", (long)to)]);
    public string Gather(string data, string indices, long axis = 0) => Node("Gather", [data, indices], [("axis", axis)]);

    /// <summary>The size of axis <paramref name="axis"/> of <paramref name="x"/> as a 1-element int64 tensor.</summary>
    public string Dim(string x, long axis) => Node("Shape", [x], [("start", axis), ("end", axis + 1)]);
}
