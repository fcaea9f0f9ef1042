using System.Buffers.Binary;
using System.IO.Compression;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MLNetAttention.Onnx;
using Onnx;

namespace MLNetAttention.MLNet;

/// <summary>
/// Loads a saved ML.NET model and gives its AttentionPool steps back their ONNX Runtime settings and their batching. ML.NET
/// saves an <c>ApplyOnnxModel</c> step as its ONNX bytes and column names only, so after <c>mlContext.Model.Load</c> ONNX
/// Runtime runs with its defaults (all cores per row, on top of ML.NET's own row parallelism: measured 0.55–0.75× the
/// fitted pipeline on 2 cores), one row per call. This re-creates each of MLNetAttention's ONNX steps, from the bytes in
/// the saved file, with <see cref="AttentionPoolOptions"/>, and wraps it in a <see cref="BatchedOnnxTransformer"/> as the
/// fitted transformer does; every other step is kept as loaded. The result saves as the same chain, its
/// <c>Transform</c> batches as the fitted transformer's does (identical outputs with the same batch options), and a
/// <c>PredictionEngine</c> maps one row at a time as after <c>Model.Load</c>.
/// </summary>
internal static class AttentionPoolModelLoader
{
    private const string OnnxEntrySuffix = "/OnnxModel";

    public static ITransformer Load(ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema, AttentionPoolOptions options) =>
        Load(catalog, path, out inputSchema, options, out _);

    /// <summary>As the other overload; <paramref name="replaced"/> counts the ONNX steps re-created.</summary>
    public static ITransformer Load(ModelOperationsCatalog catalog, string path, out DataViewSchema inputSchema, AttentionPoolOptions options, out int replaced)
    {
        ITransformer loaded;
        try
        {
            loaded = catalog.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is TargetInvocationException or InvalidOperationException or FileNotFoundException or FormatException
            && Describe(e).Contains("MLNetAttention", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"{path}: ML.NET cannot load MLNetAttention's pipeline steps ({Describe(e)}). Deploy MLNetAttention.dll (and its dependencies) with the " +
                "application and call mlContext.ComponentCatalog.RegisterAttentionPool() before loading.", e);
        }
        var models = ReadOnnxModels(path);
        int? gpu = ExecutionProvider.Resolve(options.GpuDeviceId, options.FallbackToCpu, ExecutionProvider.IsCudaAvailable);
        var context = new MLContext();
        int next = 0, count = 0;
        var result = Rebuild(loaded, inputSchema);
        replaced = count;
        return result;

        ITransformer Rebuild(ITransformer transformer, DataViewSchema schema)
        {
            if (transformer is OnnxTransformer)
            {
                if (next >= models.Count)
                    return transformer;
                byte[] model = models[next++];
                if (PipelineGraphColumns(model) is not var (inputs, outputs) || PipelineGraph.ToBatched(model) is not { } batched)
                    return transformer;
                string file = PipelineChain.WriteModelFile(model, options.CacheDirectory);
                count++;
                var rowByRow = context.Transforms.ApplyOnnxModel(PipelineChain.OnnxOptionsFor(file, inputs, outputs, gpu, options)).Fit(new EmptyDataView(schema));
                (transformer as IDisposable)?.Dispose();
                return new BatchedOnnxTransformer(rowByRow, batched, gpu, options);
            }
            if (transformer.GetType().IsGenericType && transformer.GetType().GetGenericTypeDefinition() == typeof(TransformerChain<>))
            {
                var steps = new List<ITransformer>();
                foreach (var step in (IEnumerable<ITransformer>)transformer)
                {
                    var rebuilt = Rebuild(step, schema);
                    schema = rebuilt.GetOutputSchema(schema);
                    steps.Add(rebuilt);
                }
                return new TransformerChain<ITransformer>([.. steps]);
            }
            return transformer;
        }
    }

    // The messages of an exception and its inner exceptions, innermost last.
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is not TargetInvocationException) messages.Add(x.Message);
        return string.Join(" → ", messages);
    }

    // The ONNX models embedded in the saved zip, in chain order (ML.NET writes each as an int32 length and the bytes).
    private static List<byte[]> ReadOnnxModels(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var models = new List<byte[]>();
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(OnnxEntrySuffix, StringComparison.Ordinal)).OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            int length = bytes.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : -1;
            models.Add(length == bytes.Length - 4 ? bytes[4..] : []);
        }
        return models;
    }

    // The input and output columns of an AttentionPool or AttentionMatch graph variant, or null for any other model.
    private static (string[] Inputs, string[] Outputs)? PipelineGraphColumns(byte[] model)
    {
        if (model.Length == 0)
            return null;
        try
        {
            var proto = ModelProto.Parser.ParseFrom(model);
            if (!proto.MetadataProps.Any(p => p.Key == OnnxModelInfo.FormatKey) || !PipelineGraph.IsVariant(proto.Graph))
                return null;
            return ([.. proto.Graph.Input.Select(i => i.Name)], [.. proto.Graph.Output.Select(o => o.Name)]);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            return null;
        }
    }

    // A view with a schema and no rows: what an estimator's Fit needs to check its input columns.
    private sealed class EmptyDataView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = schema;

        public long? GetRowCount() => 0;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(Schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(Schema)];

        private sealed class Cursor(DataViewSchema schema) : DataViewRowCursor
        {
            public override DataViewSchema Schema { get; } = schema;

            public override long Position => -1;

            public override long Batch => 0;

            public override bool MoveNext() => false;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => throw new InvalidOperationException("The view has no rows.");

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => (ref TValue value) => throw new InvalidOperationException("The view has no rows.");

            public override bool IsColumnActive(DataViewSchema.Column column) => true;
        }
    }
}
