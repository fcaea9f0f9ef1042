using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetAttention.Onnx;

/// <summary>Settings of a Triton Inference Server model written by <see cref="TritonModelRepository.Write"/>.</summary>
public sealed class TritonModelOptions
{
    /// <summary>The model's name in the repository (its folder); letters, digits, '-', '_' and '.'.</summary>
    public string Name { get; set; } = "mlnet_attention";

    /// <summary>The largest batch Triton forms; 0 turns batching off (every request is scored alone).</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>How long the dynamic batcher waits for more requests, in microseconds.</summary>
    public int MaxQueueDelayMicroseconds { get; set; } = 500;

    /// <summary>Model instances (per GPU with <see cref="Gpu"/>).</summary>
    public int InstanceCount { get; set; } = 1;

    /// <summary>Run the instances on GPUs (KIND_GPU) instead of the CPU (KIND_CPU).</summary>
    public bool Gpu { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting Triton would refuse.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Name) || Name is "." or ".." || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"The Triton model name '{Name}' must be letters, digits, '-', '_' or '.' (it is a folder name).", nameof(Name));
        if (MaxBatchSize is < 0 or > 1_000_000)
            throw new ArgumentException($"MaxBatchSize is {MaxBatchSize}; it must be 0 (no batching) to 1,000,000.", nameof(MaxBatchSize));
        if (MaxQueueDelayMicroseconds is < 0 or > 10_000_000)
            throw new ArgumentException($"MaxQueueDelayMicroseconds is {MaxQueueDelayMicroseconds}; it must be 0 to 10,000,000 (10 s).", nameof(MaxQueueDelayMicroseconds));
        if (InstanceCount is < 1 or > 1024)
            throw new ArgumentException($"InstanceCount is {InstanceCount}; it must be 1 to 1,024.", nameof(InstanceCount));
    }
}

/// <summary>One input or output of a Triton model configuration.</summary>
/// <param name="Name">The tensor's name in the ONNX graph.</param>
/// <param name="DataType">Triton's type name, e.g. TYPE_INT64.</param>
/// <param name="Dims">The shape without the batch axis when batching is on; -1 for a dynamic axis.</param>
public sealed record TritonTensor(string Name, string DataType, IReadOnlyList<long> Dims);

/// <summary>
/// Writes a Triton Inference Server model repository entry for an exported model: <c>NAME/config.pbtxt</c>,
/// <c>NAME/1/model.onnx</c> and, for classifiers, <c>NAME/labels.txt</c> (Triton's classification extension reads it).
/// </summary>
/// <remarks>
/// The configuration is read off the ONNX graph itself, so it names exactly the model's inputs and outputs, with every
/// dynamic axis as -1. Tokenization stays with the client (the vocabulary is in the ONNX metadata): a client sends
/// token ids padded with 0, and Triton's dynamic batcher only joins requests of equal shape, so clients that pad to a
/// common length (the model's maximum length, or a few fixed lengths) get batched together. The weights come back for
/// every position, padding included; a client multiplies them by the mask (ids != 0), and padding's weights are 0.
/// </remarks>
public static class TritonModelRepository
{
    /// <summary>The configuration file's name.</summary>
    public const string ConfigFile = "config.pbtxt";

    /// <summary>The labels file's name.</summary>
    public const string LabelsFile = "labels.txt";

    /// <summary>
    /// Writes <paramref name="onnxPath"/> into the repository <paramref name="repository"/> as model
    /// <see cref="TritonModelOptions.Name"/>, version 1. An existing entry of that name is replaced as a whole.
    /// </summary>
    /// <returns>The model's folder.</returns>
    /// <exception cref="ModelLoadException">The file is not a model this library exported.</exception>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    /// <exception cref="IOException">The folder holds files that are not a Triton model's, or cannot be written.</exception>
    public static string Write(string onnxPath, string repository, TritonModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        options ??= new TritonModelOptions();
        options.Validate();
        var info = OnnxModelInfo.Read(onnxPath);
        var (inputs, outputs) = Describe(onnxPath, options.MaxBatchSize > 0);
        string config = Config(info, inputs, outputs, options);
        string target = Path.Combine(repository, options.Name);
        AtomicDirectory.Replace(target, new[] { ConfigFile, LabelsFile, "1" }, staging =>
        {
            Directory.CreateDirectory(Path.Combine(staging, "1"));
            File.Copy(onnxPath, Path.Combine(staging, "1", "model.onnx"));
            File.WriteAllText(Path.Combine(staging, ConfigFile), config, new UTF8Encoding(false));
            if (info.Kind == OnnxModelInfo.ClassifierKindName)
                File.WriteAllLines(Path.Combine(staging, LabelsFile), info.Labels, new UTF8Encoding(false));
        });
        return Path.GetFullPath(target);
    }

    /// <summary>The inputs and outputs of the ONNX graph at <paramref name="onnxPath"/> as Triton declares them.</summary>
    /// <param name="onnxPath">The model file.</param>
    /// <param name="batched">Leave the leading batch axis out of the shapes, as Triton does when max_batch_size &gt; 0.</param>
    public static (IReadOnlyList<TritonTensor> Inputs, IReadOnlyList<TritonTensor> Outputs) Describe(string onnxPath, bool batched)
    {
        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(onnxPath, sessionOptions);
        TritonTensor Of(KeyValuePair<string, NodeMetadata> entry)
        {
            var dims = entry.Value.Dimensions.Select(d => d < 0 ? -1L : d).ToArray();
            if (batched)
            {
                if (dims.Length == 0 || dims[0] != -1)
                    throw new InvalidOperationException($"'{entry.Key}' has no dynamic batch axis; write the repository with MaxBatchSize 0.");
                dims = dims[1..];
            }
            return new TritonTensor(entry.Key, TypeName(entry.Value.ElementDataType, entry.Key), dims);
        }
        return (session.InputMetadata.Select(Of).ToArray(), session.OutputMetadata.Select(Of).ToArray());
    }

    private static string TypeName(TensorElementType type, string name) => type switch
    {
        TensorElementType.Int64 => "TYPE_INT64",
        TensorElementType.Int32 => "TYPE_INT32",
        TensorElementType.Float => "TYPE_FP32",
        TensorElementType.Float16 => "TYPE_FP16",
        _ => throw new NotSupportedException($"'{name}' is {type}; the Triton writer knows int64, int32, float and float16."),
    };

    private static string Config(OnnxModelInfo info, IReadOnlyList<TritonTensor> inputs, IReadOnlyList<TritonTensor> outputs, TritonModelOptions options)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"# Written by {OnnxModelInfo.ProducerName}: a {info.Kind} with labels {string.Join(", ", info.Labels)}; maximum length {info.MaxLength} tokens.\n");
        text.Append("# Inputs are token ids (0 = padding) from the tokenizer in the model's metadata (mlnet_attention.tokenizer).\n");
        text.Append(c, $"name: \"{options.Name}\"\nbackend: \"onnxruntime\"\nmax_batch_size: {options.MaxBatchSize}\n");
        void Tensors(string kind, IReadOnlyList<TritonTensor> tensors)
        {
            text.Append(kind).Append(": [\n");
            for (int i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                text.Append(c, $"  {{\n    name: \"{t.Name}\"\n    data_type: {t.DataType}\n    dims: [ {string.Join(", ", t.Dims.Select(d => d.ToString(c)))} ]\n");
                if (kind == "output" && t.Name == OnnxModelInfo.ProbabilitiesName && info.Kind == OnnxModelInfo.ClassifierKindName)
                    text.Append(c, $"    label_filename: \"{LabelsFile}\"\n");
                text.Append(i + 1 < tensors.Count ? "  },\n" : "  }\n");
            }
            text.Append("]\n");
        }
        Tensors("input", inputs);
        Tensors("output", outputs);
        if (options.MaxBatchSize > 0)
            text.Append(c, $"dynamic_batching {{\n  max_queue_delay_microseconds: {options.MaxQueueDelayMicroseconds}\n}}\n");
        text.Append(c, $"instance_group [\n  {{\n    count: {options.InstanceCount}\n    kind: {(options.Gpu ? "KIND_GPU" : "KIND_CPU")}\n  }}\n]\n");
        return text.ToString();
    }
}
