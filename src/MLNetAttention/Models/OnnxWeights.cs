using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Models;

/// <summary>
/// Reads a network's parameters back out of an exported ONNX model, so a model directory can keep one copy of its
/// weights. The exporter stores each parameter under its state-dict name, as is or transposed (<c>NAME.T</c>); a
/// table stored as touched rows (<see cref="EmbeddingTableStorage"/>) is <c>NAME.rows</c>, for int8 also
/// <c>NAME.scales</c>, and the row index <c>NAME.row_index</c>: computed from <c>NAME.row_ranks</c> and
/// <c>NAME.block_starts</c>, or, in files of earlier versions, a LabelEncoder's output; it is expanded back to its full
/// size with untouched rows zero, dequantized exactly as the ONNX graph computes it. A whole table in int8 is
/// <c>NAME.rows</c> and <c>NAME.scales</c> without a row lookup.
/// </summary>
internal sealed class OnnxWeights
{
    /// <summary>Suffix of a transposed parameter's initializer.</summary>
    public const string TransposedSuffix = ".T";

    /// <summary>Suffix of a compact table's rows (row 0 is the zero row untouched buckets map to).</summary>
    public const string RowsSuffix = ".rows";

    /// <summary>Suffix of an int8 compact table's per-row scales (float32).</summary>
    public const string ScalesSuffix = ".scales";

    /// <summary>Suffix of the value that holds each bucket's row of a compact table (the row index's last node).</summary>
    public const string RowIndexSuffix = ".row_index";

    /// <summary>Suffix of a compact table's uint8 rank of each bucket within its block (0 = untouched).</summary>
    public const string RowRanksSuffix = ".row_ranks";

    /// <summary>Suffix of a compact table's int64 count of touched rows before each block of buckets.</summary>
    public const string BlockStartsSuffix = ".block_starts";

    /// <summary>Buckets per block of the row index: at most this many touched buckets share a block, so a rank fits a byte.</summary>
    public const int RowIndexBlock = 128;

    /// <summary>The operator domain of LabelEncoder (the row lookup of compact tables written by earlier versions).</summary>
    public const string MlDomain = "ai.onnx.ml";

    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);

    private OnnxWeights(ModelProto model)
    {
        foreach (var initializer in model.Graph.Initializer) _initializers[initializer.Name] = initializer;
        foreach (var node in model.Graph.Node)
            foreach (var output in node.Output) _producers[output] = node;
    }

    /// <summary>Parses the model at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static OnnxWeights Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(() => ModelProto.Parser.ParseFrom(stream));
    }

    /// <summary>Parses an ONNX model held in memory.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static OnnxWeights FromBytes(byte[] model) => Parse(() => ModelProto.Parser.ParseFrom(model));

    private static OnnxWeights Parse(Func<ModelProto> parse)
    {
        try
        {
            var model = parse();
            if (model.Graph is null) throw new InvalidDataException("the file has no graph");
            return new OnnxWeights(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"not an ONNX model ({e.Message})", e);
        }
    }

    /// <summary>
    /// The values of parameter <paramref name="name"/> with shape <paramref name="shape"/>, row-major, or false when the
    /// model does not hold it in a form this reader knows (or holds it with another shape).
    /// </summary>
    /// <exception cref="InvalidDataException">The parameter is there but its data are damaged.</exception>
    public bool TryGet(string name, IReadOnlyList<long> shape, out float[] values)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (_initializers.TryGetValue(name, out var direct) && SameShape(direct, shape))
        {
            values = Floats(direct);
            return true;
        }
        if (shape.Count == 2 && _initializers.TryGetValue(name + TransposedSuffix, out var transposed) && SameShape(transposed, [shape[1], shape[0]]))
        {
            var stored = Floats(transposed);
            int rows = (int)shape[0], columns = (int)shape[1];
            values = new float[count];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    values[r * columns + c] = stored[c * rows + r];
            return true;
        }
        if (shape.Count == 2 && TryExpandTable(name, shape[0], (int)shape[1], out values)) return true;
        if (shape.Count == 2 && Int8Table(name, shape[0], shape[1]) is { } int8Rows)
        {
            values = Dequantize(name, int8Rows, shape[0], (int)shape[1]);
            return true;
        }
        values = [];
        return false;
    }

    /// <summary>
    /// Whether <see cref="TryGet"/> finds parameter <paramref name="name"/> with shape <paramref name="shape"/>, without
    /// decoding it (a compact table would be expanded to its full size just to be thrown away).
    /// </summary>
    public bool Holds(string name, IReadOnlyList<long> shape) =>
        (_initializers.TryGetValue(name, out var direct) && SameShape(direct, shape))
        || (shape.Count == 2 && _initializers.TryGetValue(name + TransposedSuffix, out var transposed) && SameShape(transposed, [shape[1], shape[0]]))
        || (shape.Count == 2 && CompactTable(name, shape[1]) is not null)
        || (shape.Count == 2 && Int8Table(name, shape[0], shape[1]) is not null);

    /// <summary>Whether some compact table finds its rows through a rank per bucket (files of this version) rather than a LabelEncoder.</summary>
    public bool HasRankedRowIndex => _initializers.Keys.Any(k => k.EndsWith(RowRanksSuffix, StringComparison.Ordinal));

    /// <summary>How the table <paramref name="name"/> is stored, or null when the model does not hold it.</summary>
    public EmbeddingTableStorage? TableStorage(string name)
    {
        if (_initializers.ContainsKey(name)) return EmbeddingTableStorage.Dense;
        if (!_initializers.TryGetValue(name + RowsSuffix, out var rows)) return null;
        if (!_producers.ContainsKey(name + RowIndexSuffix)) return EmbeddingTableStorage.Int8;
        return (DataType)rows.DataType == DataType.Int8 ? EmbeddingTableStorage.TouchedRowsInt8 : EmbeddingTableStorage.TouchedRows;
    }

    private bool TryExpandTable(string name, long buckets, int dim, out float[] values)
    {
        values = [];
        if (CompactTable(name, dim) is not var (rowsTensor, lookup)) return false;
        if (lookup.OpType != "LabelEncoder") return TryExpandRanked(name, rowsTensor, buckets, dim, out values);
        var keys = lookup.Attribute.FirstOrDefault(a => a.Name == "keys_int64s")?.Ints;
        var rowIds = lookup.Attribute.FirstOrDefault(a => a.Name == "values_int64s")?.Ints;
        if (keys is null || rowIds is null || keys.Count != rowIds.Count)
            throw new InvalidDataException($"the row lookup of {name} is damaged (keys and rows differ in number)");
        long rowCount = rowsTensor.Dims[0];
        var rows = (DataType)rowsTensor.DataType == DataType.Int8 ? Dequantize(name, rowsTensor, rowCount, dim) : Floats(rowsTensor);
        values = new float[checked(buckets * dim)];
        for (int i = 0; i < keys.Count; i++)
        {
            long bucket = keys[i], row = rowIds[i];
            if (bucket < 0 || bucket >= buckets || row < 0 || row >= rowCount)
                throw new InvalidDataException($"the row lookup of {name} maps bucket {bucket} to row {row}, outside the table ({buckets} buckets, {rowCount} rows)");
            Array.Copy(rows, row * dim, values, bucket * dim, dim);
        }
        return true;
    }

    // A compact table whose row index is a rank per bucket plus a start per block (ModuleGraphs' RowIndex).
    private bool TryExpandRanked(string name, TensorProto rowsTensor, long buckets, int dim, out float[] values)
    {
        values = [];
        if (!_initializers.TryGetValue(name + RowRanksSuffix, out var ranksTensor) || !_initializers.TryGetValue(name + BlockStartsSuffix, out var startsTensor))
            throw new InvalidDataException($"the row index of {name} is damaged (its ranks or block starts are missing)");
        if (!SameShape(ranksTensor, [buckets])) return false; // a table of another size
        var ranks = ranksTensor.RawData.Span;
        long blocks = (buckets + RowIndexBlock - 1) / RowIndexBlock;
        if ((DataType)ranksTensor.DataType != DataType.Uint8 || ranks.Length != buckets
            || (DataType)startsTensor.DataType != DataType.Int64 || !SameShape(startsTensor, [blocks]) || startsTensor.RawData.Length != blocks * sizeof(long))
            throw new InvalidDataException($"the row index of {name} is damaged (ranks or block starts of the wrong type or size)");
        var starts = MemoryMarshal.Cast<byte, long>(startsTensor.RawData.Span);
        long rowCount = rowsTensor.Dims[0];
        var rows = (DataType)rowsTensor.DataType == DataType.Int8 ? Dequantize(name, rowsTensor, rowCount, dim) : Floats(rowsTensor);
        values = new float[checked(buckets * dim)];
        for (long bucket = 0; bucket < buckets; bucket++)
        {
            if (ranks[(int)bucket] == 0) continue;
            long row = starts[(int)(bucket / RowIndexBlock)] + ranks[(int)bucket];
            if (row < 1 || row >= rowCount)
                throw new InvalidDataException($"the row index of {name} maps bucket {bucket} to row {row}, outside the table ({rowCount} rows)");
            Array.Copy(rows, row * dim, values, bucket * dim, dim);
        }
        return true;
    }

    // Int8 rows times their float32 scales, as the graph's Cast and Mul compute them.
    private float[] Dequantize(string name, TensorProto rowsTensor, long rowCount, int dim)
    {
        if (!_initializers.TryGetValue(name + ScalesSuffix, out var scalesTensor) || scalesTensor.Dims.Count != 1 || scalesTensor.Dims[0] != rowCount)
            throw new InvalidDataException($"the int8 table {name} has no per-row scales");
        var rows = Floats(rowsTensor);
        var scales = Floats(scalesTensor);
        for (long r = 0; r < rowCount; r++)
            for (int d = 0; d < dim; d++)
                rows[r * dim + d] *= scales[r];
        return rows;
    }

    // A whole table in int8 (every row, no row lookup) of the given shape, or null.
    private TensorProto? Int8Table(string name, long rows, long dim) =>
        _initializers.TryGetValue(name + RowsSuffix, out var table) && (DataType)table.DataType == DataType.Int8
        && !_producers.ContainsKey(name + RowIndexSuffix) && SameShape(table, [rows, dim])
            ? table
            : null;

    // A compact table's rows (width dim) and the node whose output is the row of each bucket (a LabelEncoder in files
    // of earlier versions, else the end of the rank lookup), or null.
    private (TensorProto Rows, NodeProto Lookup)? CompactTable(string name, long dim) =>
        _initializers.TryGetValue(name + RowsSuffix, out var rows) && rows.Dims.Count == 2 && rows.Dims[1] == dim
        && _producers.TryGetValue(name + RowIndexSuffix, out var lookup)
        && (lookup.OpType == "LabelEncoder" || _initializers.ContainsKey(name + RowRanksSuffix))
            ? (rows, lookup)
            : null;

    private static bool SameShape(TensorProto tensor, IReadOnlyList<long> shape) =>
        tensor.Dims.Count == shape.Count && tensor.Dims.Zip(shape).All(p => p.First == p.Second);

    /// <summary>A float32 or int8 initializer's values as float32 (the same conversion as ONNX Cast).</summary>
    private static float[] Floats(TensorProto tensor)
    {
        long count = tensor.Dims.Aggregate(1L, (a, b) => a * b);
        var raw = tensor.RawData.Span;
        float[] values = (DataType)tensor.DataType switch
        {
            DataType.Float when raw.Length > 0 => MemoryMarshal.Cast<byte, float>(raw).ToArray(),
            DataType.Float => tensor.FloatData.ToArray(),
            DataType.Int8 => MemoryMarshal.Cast<byte, sbyte>(raw).ToArray().Select(b => (float)b).ToArray(),
            var other => throw new InvalidDataException($"initializer {tensor.Name} has element type {other}; expected float or int8"),
        };
        if (values.Length != count)
            throw new InvalidDataException($"initializer {tensor.Name} holds {values.Length} values for shape [{string.Join(", ", tensor.Dims)}]");
        return values;
    }
}
