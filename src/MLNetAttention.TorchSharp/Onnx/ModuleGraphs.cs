using System.Runtime.InteropServices;
using MLNetAttention.Models;
using MLNetAttention.Modules;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Onnx;

/// <summary>
/// The float32 parameters of a module, copied out of its state dict by name. Serves one graph builder: each
/// initializer is added once and shared by every use (the matchers run their encoder on both sentences).
/// </summary>
internal sealed class ParameterSet
{
    private readonly Dictionary<string, (float[] Data, long[] Shape)> _values;
    private readonly Dictionary<string, string> _initializers = new(StringComparer.Ordinal);

    private ParameterSet(Dictionary<string, (float[] Data, long[] Shape)> values) => _values = values;

    /// <summary>Copies every tensor of <paramref name="module"/>'s state dict (parameters and buffers).</summary>
    public static ParameterSet From(nn.Module module)
    {
        var values = new Dictionary<string, (float[] Data, long[] Shape)>(StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in module.state_dict())
        {
            if (tensor.dtype != ScalarType.Float32)
                throw new NotSupportedException($"Parameter {name} is {tensor.dtype}; the ONNX exporter writes float32 models only.");
            var copy = tensor.detach().cpu().contiguous();
            values[name] = (copy.data<float>().ToArray(), copy.shape);
        }
        return new ParameterSet(values);
    }

    /// <summary>The values and shape of parameter <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">The module has no such parameter.</exception>
    public (float[] Data, long[] Shape) this[string name] =>
        _values.TryGetValue(name, out var value)
            ? value
            : throw new InvalidOperationException($"The network has no parameter '{name}' (it has {string.Join(", ", _values.Keys)}); the exporter does not match this architecture.");

    /// <summary>Whether the module has a parameter (or buffer) <paramref name="name"/>.</summary>
    public bool Contains(string name) => _values.ContainsKey(name);

    /// <summary>Adds parameter <paramref name="name"/> as an initializer of its own shape.</summary>
    public string Add(OnnxGraphBuilder g, string name) => Once(name, () =>
    {
        var (data, shape) = this[name];
        return g.Initializer(name, data, shape);
    });

    /// <summary>The initializer <paramref name="key"/> names, created by <paramref name="create"/> on first use.</summary>
    public string Once(string key, Func<string> create)
    {
        if (!_initializers.TryGetValue(key, out string? name))
            _initializers[key] = name = create();
        return name;
    }

    /// <summary>
    /// Looks up <paramref name="indices"/> in the table parameter <paramref name="name"/> stored as <paramref name="storage"/>:
    /// a Gather on the whole table, or, for a compact table, a row index from bucket to touched row (untouched
    /// buckets to row 0, all zeros; see RowIndex), a Gather on the touched rows and, for int8, the cast back to float32 times the row's
    /// scale; <see cref="EmbeddingTableStorage.Int8"/> keeps every row in int8 with its scale, gathered directly.
    /// <paramref name="maxRows"/> &gt; 0 keeps at most that many touched rows, the largest by L2 norm.
    /// </summary>
    public string GatherTable(OnnxGraphBuilder g, string name, string indices, EmbeddingTableStorage storage, int maxRows = 0)
    {
        if (storage == EmbeddingTableStorage.Dense) return g.Gather(Add(g, name), indices);
        var (data, shape) = this[name];
        if (shape.Length != 2) throw new InvalidOperationException($"Parameter {name} has shape [{string.Join(", ", shape)}]; expected a table.");
        int dim = (int)shape[1];
        // Every row, so the ids index the int8 rows and their scales directly.
        if (storage == EmbeddingTableStorage.Int8) return GatherInt8(g, name, data, dim, indices);
        var touched = new List<long>();
        for (long r = 0; r < shape[0]; r++)
            if (data.AsSpan((int)(r * dim), dim).ContainsAnyExcept(0f)) touched.Add(r);
        if (maxRows > 0 && touched.Count > maxRows)
        {
            var norms = touched.Select(r => { double sum = 0; foreach (float v in data.AsSpan((int)(r * dim), dim)) sum += v * v; return sum; }).ToArray();
            // Largest norms first; ties by bucket, so the choice does not depend on the sort's stability.
            touched = touched.Zip(norms).OrderByDescending(p => p.Second).ThenBy(p => p.First).Take(maxRows).Select(p => p.First).Order().ToList();
        }
        int rowCount = touched.Count + 1;
        var rows = new float[rowCount * dim];
        for (int i = 0; i < touched.Count; i++)
            Array.Copy(data, touched[i] * dim, rows, (i + 1L) * dim, dim);

        var rowIndex = RowIndex(g, name, indices, touched, shape[0]);
        switch (storage)
        {
            case EmbeddingTableStorage.TouchedRows:
                return g.Gather(g.Initializer(name + OnnxWeights.RowsSuffix, rows, rowCount, dim), rowIndex);
            case EmbeddingTableStorage.TouchedRowsInt8:
                return GatherInt8(g, name, rows, dim, rowIndex);
            default:
                throw new ArgumentOutOfRangeException(nameof(storage), storage, "Unknown table storage.");
        }
    }

    // The row of each bucket in indices. The file keeps a byte per bucket, its rank among the touched buckets of its
    // block of OnnxWeights.RowIndexBlock (1-based; 0 = untouched), and per block the touched rows before it; a bucket's
    // row is (block start + rank) * sign(rank), so untouched buckets read the zero row 0. The formula runs on every
    // bucket at once (each block's start repeated over its buckets), from initializers only, so ONNX Runtime folds it
    // into one int32 row per bucket when the session starts and a call does a single Gather. Applied to the ids on
    // each call it took seven small operators per n-gram order, about 5 % of imdb's scoring time; folded in int64
    // from a Range it took 1.4 s more to load, in int32 from an Expand 0.3 s. Standard operators only (earlier
    // versions used ai.onnx.ml's LabelEncoder: a hash map built at load and probed on one thread).
    private static string RowIndex(OnnxGraphBuilder g, string name, string indices, List<long> touched, long buckets)
    {
        const int block = OnnxWeights.RowIndexBlock;
        var ranks = new byte[buckets];
        var perBlock = new int[(buckets + block - 1) / block];
        foreach (long bucket in touched) ranks[bucket] = (byte)++perBlock[bucket / block]; // touched is in ascending order
        var starts = new long[perBlock.Length];
        for (long b = 0, before = 0; b < starts.Length; before += perBlock[b], b++) starts[b] = before;
        var rankTable = g.Initializer(name + OnnxWeights.RowRanksSuffix, DataType.Uint8, ranks, buckets);
        var startTable = g.Initializer(name + OnnxWeights.BlockStartsSuffix, DataType.Int64, MemoryMarshal.AsBytes(starts.AsSpan()), starts.Length);
        // In int32 (a table has far fewer than 2^31 rows; Gather takes int32 indices): half the memory of int64.
        long blocks = starts.Length;
        var rank = g.Cast(rankTable, DataType.Int32);
        var blockStart = g.Reshape(g.Cast(startTable, DataType.Int32), blocks, 1);
        var start = g.Reshape(g.Node("Expand", [blockStart, g.Int64s([blocks, block])]), blocks * block);
        if (blocks * block != buckets) start = g.Node("Slice", [start, g.Int64s([0]), g.Int64s([buckets])]);
        var rowOfBucket = g.Mul(g.Add(start, rank), g.Node("Sign", [rank])); // sign = min(rank, 1), as ranks are not negative
        return g.Node("Gather", [rowOfBucket, indices], [("axis", 0L)], name: name + OnnxWeights.RowIndexSuffix);
    }

    // rows (row-major, width dim) as int8 NAME.rows with float32 NAME.scales, cast back to float32 times each row's
    // scale and looked up by rowIndex. The dequantizing Cast and Mul read only initializers, so ONNX Runtime folds them
    // into one float32 table when the session starts: the file keeps int8, and scoring is a plain Gather (dequantizing
    // after the Gather cost a Cast and a Mul per token on every call, a quarter of the compact imdb model's time).
    private static string GatherInt8(OnnxGraphBuilder g, string name, float[] rows, int dim, string rowIndex)
    {
        long rowCount = rows.Length / dim;
        var (quantized, scales) = QuantizeRows(rows, dim);
        var table = g.Initializer(name + OnnxWeights.RowsSuffix, DataType.Int8, MemoryMarshal.AsBytes(quantized.AsSpan()), rowCount, dim);
        var scale = g.Initializer(name + OnnxWeights.ScalesSuffix, scales, rowCount);
        var dequantized = g.Mul(g.Cast(table, DataType.Float), g.Unsqueeze(scale, -1));
        return g.Gather(dequantized, rowIndex);
    }

    /// <summary>Symmetric int8 per row: scale = the row's largest magnitude / 127, value = round(weight / scale).</summary>
    internal static (sbyte[] Values, float[] Scales) QuantizeRows(float[] rows, int dim)
    {
        int rowCount = rows.Length / dim;
        var values = new sbyte[rows.Length];
        var scales = new float[rowCount];
        for (int r = 0; r < rowCount; r++)
        {
            var row = rows.AsSpan(r * dim, dim);
            float largest = 0;
            foreach (float v in row) largest = Math.Max(largest, Math.Abs(v));
            float step = largest / 127f;
            scales[r] = step;
            if (step == 0) continue; // an all-zero row
            for (int d = 0; d < dim; d++)
                values[r * dim + d] = (sbyte)Math.Clamp(MathF.Round(row[d] / step), -127f, 127f);
        }
        return (values, scales);
    }

    /// <summary>Adds the transpose of the 2-D parameter <paramref name="name"/> (a Linear weight [out, in] as [in, out]).</summary>
    public string AddTransposed(OnnxGraphBuilder g, string name) => Once(name + ".T", () =>
    {
        var (data, shape) = this[name];
        if (shape.Length != 2) throw new InvalidOperationException($"Parameter {name} has shape [{string.Join(", ", shape)}]; expected a matrix.");
        int rows = (int)shape[0], columns = (int)shape[1];
        var transposed = new float[data.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                transposed[c * rows + r] = data[r * columns + c];
        return g.Initializer(name + ".T", transposed, columns, rows);
    });
}

/// <summary>
/// One ONNX sub-graph per TorchSharp module of the library, reproducing its eval-mode forward pass exactly
/// (dropout is the identity and is left out). Each takes the value names of its inputs and returns the names of
/// its outputs; <c>prefix</c> is the module's path in the state dict (e.g. "encoder", "pooling").
/// </summary>
/// <remarks>
/// Shapes: x is (batch, seq, dim) float, mask is (batch, seq) float with 1 for tokens and 0 for padding, and
/// maskU is the mask unsqueezed to (batch, seq, 1).
/// </remarks>
internal static class ModuleGraphs
{
    /// <summary>The state-dict name of <paramref name="name"/> inside the module at <paramref name="prefix"/> ("" for the root).</summary>
    public static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    /// <summary>The float mask (batch, seq) of int64 ids, 1 where id != 0 (padding is id 0), and its (batch, seq, 1) form.</summary>
    public static (string Mask, string MaskU) Mask(OnnxGraphBuilder g, string ids)
    {
        var isPadding = g.Node("Equal", [ids, g.Int64Scalar(0)]);
        var mask = g.Cast(g.Node("Not", [isPadding]), DataType.Float);
        return (mask, g.Unsqueeze(mask, -1));
    }

    /// <summary>Linear layer: x W^T (+ b).</summary>
    public static string Linear(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, bool bias = true)
    {
        var y = g.MatMul(x, p.AddTransposed(g, Join(prefix, "weight")));
        return bias ? g.Add(y, p.Add(g, Join(prefix, "bias"))) : y;
    }

    /// <summary>Exact GELU, as torch's default: x * 0.5 * (1 + erf(x / sqrt 2)); opset 17 has no Gelu operator.</summary>
    public static string Gelu(OnnxGraphBuilder g, string x)
    {
        var erf = g.Node("Erf", [g.Mul(x, g.FloatScalar((float)(1 / Math.Sqrt(2))))]);
        return g.Mul(g.Mul(x, g.FloatScalar(0.5f)), g.Add(g.FloatScalar(1f), erf));
    }

    /// <summary>Embedding lookup: (batch, seq) int64 ids to (batch, seq, dim).</summary>
    public static string Embedding(OnnxGraphBuilder g, ParameterSet p, string prefix, string ids) =>
        g.Gather(p.Add(g, Join(prefix, "weight")), ids);

    /// <summary>
    /// TextClassifier's hashed bigrams added to <paramref name="x"/>: bucket_t = (id_t * <paramref name="multiplier"/> + id_{t+1}) mod
    /// <paramref name="buckets"/>, with id 0 after the last step, embedded, projected and zeroed on padding.
    /// </summary>
    public static string AddBigrams(OnnxGraphBuilder g, ParameterSet p, string prefix, string ids, string x, string maskU, int buckets, long multiplier,
        EmbeddingTableStorage storage = EmbeddingTableStorage.Dense, bool trigrams = false, int maxRows = 0)
    {
        var rest = g.Node("Slice", [ids, g.Int64s(1), g.Int64s(long.MaxValue), g.Int64s(1)]);
        var next = g.Node("Pad", [rest, g.Int64s(0, 0, 0, 1)]);
        var hashed = g.Add(g.Mul(ids, g.Int64Scalar(multiplier)), next);
        var bucket = g.Node("Mod", [hashed, g.Int64Scalar(buckets)], [("fmod", 0L)]);
        string bigrams;
        if (trigrams)
        {
            // (batch, seq, 2): each position's bigram and trigram bucket, looked up together and summed.
            var padded = g.Node("Pad", [ids, g.Int64s(0, 0, 0, 2)]);
            var afterNext = g.Node("Slice", [padded, g.Int64s(2), g.Int64s(long.MaxValue), g.Int64s(1)]);
            var trigramBucket = g.Node("Mod", [g.Add(g.Mul(bucket, g.Int64Scalar(multiplier)), afterNext), g.Int64Scalar(buckets)], [("fmod", 0L)]);
            var both = g.Node("Concat", [g.Unsqueeze(bucket, -1), g.Unsqueeze(trigramBucket, -1)], [("axis", -1L)]);
            bigrams = g.ReduceSum(p.GatherTable(g, Join(prefix, "bigram_embedding.weight"), both, storage, maxRows), -2, keepDims: false);
        }
        else
        {
            bigrams = p.GatherTable(g, Join(prefix, "bigram_embedding.weight"), bucket, storage, maxRows);
        }
        var projected = Linear(g, p, Join(prefix, "bigram_projection"), bigrams, bias: false);
        return g.Add(x, g.Mul(projected, maskU));
    }

    /// <summary>The SequenceEncoder of <paramref name="kind"/> (built by EncoderFactory) at <paramref name="prefix"/>: (batch, seq, dim) to (batch, seq, encoded dim).</summary>
    public static string Encoder(OnnxGraphBuilder g, ParameterSet p, string prefix, EncoderKind kind, string ids, string x, string mask, string maskU) => kind switch
    {
        EncoderKind.Conv => ConvEncoder(g, p, prefix, x, maskU),
        EncoderKind.BiLstm => BiLstmEncoder(g, p, prefix, x, mask, maskU),
        EncoderKind.ResConv => ResConvEncoder(g, p, prefix, x, ids, maskU),
        EncoderKind.None => IdentityEncoder(g, x, maskU),
        _ => throw new NotSupportedException($"The ONNX exporter does not know the encoder {kind}."),
    };

    /// <summary>
    /// MatchTokenEncoder: embedding (dropout is the identity) and the encoder, on one side's ids (batch, seq).
    /// Returns the encoded vectors with that side's mask (batch, seq) and its (batch, seq, 1) form.
    /// </summary>
    public static (string Encoded, string Mask, string MaskU) MatchTokenEncoder(OnnxGraphBuilder g, ParameterSet p, string prefix, EncoderKind kind, string ids)
    {
        var (mask, maskU) = Mask(g, ids);
        var x = Embedding(g, p, Join(prefix, "embedding"), ids);
        return (Encoder(g, p, Join(prefix, "encoder"), kind, ids, x, mask, maskU), mask, maskU);
    }

    /// <summary>MatchHead: [u, v, u*v, |u-v|] -> dense -> exact GELU -> output; returns the logits (batch, 2).</summary>
    public static string MatchHead(OnnxGraphBuilder g, ParameterSet p, string prefix, string u, string v)
    {
        var features = g.Node("Concat", [u, v, g.Mul(u, v), g.Abs(g.Sub(u, v))], [("axis", 1L)]);
        var hidden = Gelu(g, Linear(g, p, Join(prefix, "dense"), features));
        return Linear(g, p, Join(prefix, "output"), hidden);
    }

    /// <summary>torch.nn.functional.normalize(x, p: 2, dim: 1) of (batch, dim): x / max(||x||, 1e-12).</summary>
    public static string L2Normalize(OnnxGraphBuilder g, string x)
    {
        var norm = g.Node("Sqrt", [g.ReduceSum(g.Mul(x, x), 1, keepDims: true)]);
        return g.Div(x, g.Node("Max", [norm, g.FloatScalar(1e-12f)]));
    }

    /// <summary>IdentityEncoder: padding zeroed.</summary>
    public static string IdentityEncoder(OnnxGraphBuilder g, string x, string maskU) => g.Mul(x, maskU);

    /// <summary>ConvEncoder: zero padding, Conv1d with "same" padding, ReLU, zero padding.</summary>
    public static string ConvEncoder(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, string maskU)
    {
        long kernel = p[Join(prefix, "conv1.weight")].Shape[2];
        var channelsFirst = g.Transpose(g.Mul(x, maskU), 0, 2, 1);
        var conv = Conv(g, p, Join(prefix, "conv1"), channelsFirst, kernel, kernel / 2, kernel / 2);
        return g.Mul(g.Transpose(g.Relu(conv), 0, 2, 1), maskU);
    }

    /// <summary>
    /// ResConvEncoder: + position embedding (first seq rows), LayerNorm (eps 1e-5), then for k = 2, 3, 4:
    /// h += gelu(conv_k(pad(h * mask, (k-1)/2 before, k/2 after))); finally padding zeroed.
    /// </summary>
    public static string ResConvEncoder(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, string ids, string maskU)
    {
        var positions = g.Node("Slice", [p.Add(g, Join(prefix, "position_embedding.weight")), g.Int64s(0), g.Dim(ids, 1), g.Int64s(0)]);
        var h = g.Node("LayerNormalization",
            [g.Add(x, positions), p.Add(g, Join(prefix, "layer_norm.weight")), p.Add(g, Join(prefix, "layer_norm.bias"))],
            [("axis", -1L), ("epsilon", 1e-5f)]);
        for (int i = 0; i < ResConvEncoderKernels.Count; i++)
        {
            int k = ResConvEncoderKernels[i];
            var input = g.Transpose(g.Mul(h, maskU), 0, 2, 1);
            var conv = Conv(g, p, Join(prefix, $"convs.{i}"), input, k, (k - 1) / 2, k / 2);
            h = g.Add(h, g.Transpose(Gelu(g, conv), 0, 2, 1));
        }
        return g.Mul(h, maskU);
    }

    /// <summary>LayerNorm over the last axis (eps 1e-5) with the weight and bias under <paramref name="prefix"/>.</summary>
    public static string LayerNorm(OnnxGraphBuilder g, ParameterSet p, string prefix, string x) =>
        g.Node("LayerNormalization", [x, p.Add(g, Join(prefix, "weight")), p.Add(g, Join(prefix, "bias"))], [("axis", -1L), ("epsilon", 1e-5f)]);

    private static IReadOnlyList<int> ResConvEncoderKernels => Modules.ResConvEncoder.KernelSizes;

    private static string Conv(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, long kernel, long padBefore, long padAfter)
    {
        var shape = p[Join(prefix, "weight")].Shape;
        if (shape[2] != kernel)
            throw new InvalidOperationException($"{prefix}.weight has kernel {shape[2]}; expected {kernel}.");
        return g.Node("Conv", [x, p.Add(g, Join(prefix, "weight")), p.Add(g, Join(prefix, "bias"))],
            [("kernel_shape", new[] { kernel }), ("pads", new[] { padBefore, padAfter })]);
    }

    /// <summary>
    /// BiLstmEncoder as one ONNX LSTM (bidirectional, layout 0, sequence_lens = tokens per row, so the backward
    /// direction starts at each row's last token as with packed sequences). PyTorch's gate order [i, f, g, o] is
    /// mapped to ONNX's [i, o, f, c]; B = [b_ih, b_hh]. Returns (batch, seq, 2 * hidden), padding zeroed.
    /// </summary>
    public static string BiLstmEncoder(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, string mask, string maskU)
    {
        string lstm = Join(prefix, "lstm");
        int hidden = (int)p[Join(lstm, "weight_hh_l0")].Shape[1];
        var w = p.Once(Join(lstm, "W"), () => g.Initializer(Join(lstm, "W"), Stack(LstmGates(p, Join(lstm, "weight_ih_l0")), LstmGates(p, Join(lstm, "weight_ih_l0_reverse"))),
            2, 4L * hidden, p[Join(lstm, "weight_ih_l0")].Shape[1]));
        var r = p.Once(Join(lstm, "R"), () => g.Initializer(Join(lstm, "R"), Stack(LstmGates(p, Join(lstm, "weight_hh_l0")), LstmGates(p, Join(lstm, "weight_hh_l0_reverse"))),
            2, 4L * hidden, hidden));
        var b = p.Once(Join(lstm, "B"), () => g.Initializer(Join(lstm, "B"), Stack(
                Stack(LstmGates(p, Join(lstm, "bias_ih_l0")), LstmGates(p, Join(lstm, "bias_hh_l0"))),
                Stack(LstmGates(p, Join(lstm, "bias_ih_l0_reverse")), LstmGates(p, Join(lstm, "bias_hh_l0_reverse")))),
            2, 8L * hidden));
        var lengths = g.Cast(g.ReduceSum(mask, 1, keepDims: false), DataType.Int32);
        var timeFirst = g.Transpose(x, 1, 0, 2);
        var y = g.Node("LSTM", [timeFirst, w, r, b, lengths],
            [("hidden_size", (long)hidden), ("direction", "bidirectional"), ("layout", 0L)]);
        // Y: (seq, 2, batch, hidden) -> (batch, seq, 2, hidden) -> (batch, seq, 2 * hidden), forward half first.
        var batchFirst = g.Reshape(g.Transpose(y, 2, 0, 1, 3), 0, 0, -1);
        return g.Mul(batchFirst, maskU);
    }

    // PyTorch stacks the gates [i, f, g, o]; ONNX wants [i, o, f, c].
    private static float[] LstmGates(ParameterSet p, string name)
    {
        var (data, _) = p[name];
        int block = data.Length / 4;
        var result = new float[data.Length];
        int[] order = [0, 3, 1, 2];
        for (int gate = 0; gate < 4; gate++)
            Array.Copy(data, order[gate] * block, result, gate * block, block);
        return result;
    }

    private static float[] Stack(float[] first, float[] second) => [.. first, .. second];

    /// <summary>Masking.MaskedSoftmax: softmax over the last axis of scores - (1 - mask) * 1e12; mask broadcast over heads for 3-D scores.</summary>
    public static string MaskedSoftmax(OnnxGraphBuilder g, string scores, string mask, bool heads = false)
    {
        var broadcastMask = heads ? g.Unsqueeze(mask, 1) : mask;
        var penalty = g.Mul(g.Sub(g.FloatScalar(1f), broadcastMask), g.FloatScalar(Masking.MaskedScorePenalty));
        return g.Softmax(g.Sub(scores, penalty), -1);
    }

    /// <summary>Masking.WeightedSum: (batch, seq) weights times (batch, seq, dim) values summed over time.</summary>
    public static string WeightedSum(OnnxGraphBuilder g, string weights, string values) =>
        g.Squeeze(g.MatMul(g.Unsqueeze(weights, 1), values), 1);

    /// <summary>AttentionPooling1D: returns the pooled vectors (batch, dim) and the weights (batch, seq).</summary>
    public static (string Output, string Weights) AttentionPooling(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, string mask)
    {
        var scores = g.Squeeze(Linear(g, p, Join(prefix, "o_dense"), g.Tanh(Linear(g, p, Join(prefix, "k_dense"), x, bias: false)), bias: false), -1);
        var weights = MaskedSoftmax(g, scores, mask);
        return (WeightedSum(g, weights, x), weights);
    }

    /// <summary>
    /// MultiHeadAttentionPooling1D: returns the heads concatenated (batch, heads * dim), or with sliced heads each over its
    /// own slice (batch, dim), and the weights (batch, heads, seq).
    /// </summary>
    public static (string Output, string Weights) MultiHeadPooling(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, string mask,
        int heads = 1, int hiddenDim = 0, bool separateKeys = false, bool sliced = false)
    {
        var keys = g.Tanh(Linear(g, p, Join(prefix, "k_dense"), x, bias: false));
        // Separate keys: (batch, seq, heads, hidden) times each head's o_dense row, summed over hidden -> (batch, seq, heads).
        var scores = separateKeys
            ? g.ReduceSum(g.Mul(g.Reshape(keys, 0, 0, heads, hiddenDim), p.Add(g, Join(prefix, "o_dense.weight"))), -1, keepDims: false)
            : Linear(g, p, Join(prefix, "o_dense"), keys, bias: false);
        var weights = MaskedSoftmax(g, g.Transpose(scores, 0, 2, 1), mask, heads: true);
        // Sliced heads: (batch, heads, 1, seq) x (batch, heads, seq, dim / heads), each head over its own slice.
        var pooled = sliced
            ? g.MatMul(g.Unsqueeze(weights, 2), g.Transpose(g.Reshape(x, 0, 0, heads, -1), 0, 2, 1, 3))
            : g.MatMul(weights, x);
        return (g.Reshape(pooled, 0, -1), weights);
    }

    /// <summary>
    /// MaskedGlobalMaxPooling1D: the maxima over real steps (batch, dim), and weights crediting each token with the
    /// magnitudes of the maxima it supplied (first index on ties, as ArgMax), + 1e-12 per real token, normalised.
    /// </summary>
    public static (string Output, string Weights) MaxPooling(OnnxGraphBuilder g, string x, string mask, string maskU)
    {
        var masked = MaskedForMax(g, x, maskU);
        var values = g.Node("ReduceMax", [masked], [("axes", new[] { 1L }), ("keepdims", 0L)]);
        var indices = g.Node("ArgMax", [masked], [("axis", 1L), ("keepdims", 0L), ("select_last_index", 0L)]);
        var oneHotValues = g.Initializer("one_hot_values", [0f, 1f], 2);
        var supplied = g.Node("OneHot", [indices, g.Dim(x, 1), oneHotValues], [("axis", -1L)]); // (batch, dim, seq)
        var credit = g.ReduceSum(g.Mul(supplied, g.Unsqueeze(g.Abs(values), -1)), 1, keepDims: false);
        credit = g.Add(credit, g.Mul(mask, g.FloatScalar(1e-12f)));
        var weights = g.Div(credit, g.ReduceSum(credit, -1, keepDims: true));
        return (values, weights);
    }

    /// <summary>The maxima over real steps (batch, dim) of MaskedGlobalMaxPooling1D, without its weights (the interactive matcher's query).</summary>
    public static string MaskedMax(OnnxGraphBuilder g, string x, string maskU) =>
        g.Node("ReduceMax", [MaskedForMax(g, x, maskU)], [("axes", new[] { 1L }), ("keepdims", 0L)]);

    // x - (1 - mask) * 1e12, as MaskedGlobalMaxPooling1D.
    private static string MaskedForMax(OnnxGraphBuilder g, string x, string maskU) =>
        g.Sub(x, g.Mul(g.Sub(g.FloatScalar(1f), maskU), g.FloatScalar(Masking.MaskedScorePenalty)));

    /// <summary>MaskedMeanPooling1D: the mean over real steps (batch, dim) and the uniform weights (batch, seq).</summary>
    public static (string Output, string Weights) MeanPooling(OnnxGraphBuilder g, string x, string mask)
    {
        var weights = g.Div(mask, g.ReduceSum(mask, -1, keepDims: true));
        return (WeightedSum(g, weights, x), weights);
    }

    /// <summary>
    /// AdditiveAttention1D (the matchers' query-conditioned pooling): xk = tanh(x W_k), weights = masked softmax of
    /// o_dense(xk * query), output = sum_t w_t xk_t. Returns the pooled projections (batch, hidden) and the weights (batch, seq).
    /// </summary>
    public static (string Output, string Weights) AdditiveAttention(OnnxGraphBuilder g, ParameterSet p, string prefix, string x, string query, string mask)
    {
        var projected = g.Tanh(Linear(g, p, Join(prefix, "k_dense"), x, bias: false));
        var scores = g.Squeeze(Linear(g, p, Join(prefix, "o_dense"), g.Mul(projected, g.Unsqueeze(query, 1)), bias: false), -1);
        var weights = MaskedSoftmax(g, scores, mask);
        return (WeightedSum(g, weights, projected), weights);
    }
}
