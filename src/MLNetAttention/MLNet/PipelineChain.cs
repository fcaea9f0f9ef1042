using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using MLNetAttention.Onnx;
using MLNetAttention.Text;

namespace MLNetAttention.MLNet;

/// <summary>
/// Builds the chain of ML.NET transformers behind <c>AttentionPool</c> (one text) and <c>AttentionMatch</c> (a pair):
/// per text a copy of its column, a stateless segmentation <c>CustomMapping</c> and <c>MapValue</c> token → id; one
/// <c>ApplyOnnxModel</c> on the <see cref="PipelineGraph"/> variant; per text a stateless token <c>CustomMapping</c>;
/// the arg-max <c>CustomMapping</c>, <c>MapValue</c> index → label key, and <c>DropColumns</c> of the intermediates.
/// </summary>
internal static class PipelineChain
{
    /// <summary>Rejects a model of the wrong kind, naming the catalog method that scores it.</summary>
    public static OnnxModelInfo ReadInfo(byte[] model, string source, string expectedKind)
    {
        var info = OnnxModelInfo.Read(model, source);
        if (info.Kind != expectedKind)
        {
            string method = info.Kind == OnnxModelInfo.MatcherKindName ? "mlContext.Transforms.AttentionMatch" : "mlContext.Transforms.AttentionPool";
            string self = expectedKind == OnnxModelInfo.MatcherKindName ? "AttentionMatch scores matchers (text pairs)" : "AttentionPool scores classifiers";
            throw new ModelLoadException(source, $"the model is a '{info.Kind}', not a '{expectedKind}': {self}; score it with {method}(...).", ModelLoadProblem.WrongKind);
        }
        return info;
    }

    /// <summary>
    /// The estimator chain for <paramref name="info"/>'s kind; <paramref name="textColumns"/> holds one column per text.
    /// <paramref name="variant"/> is the graph its <c>ApplyOnnxModel</c> step runs.
    /// </summary>
    public static IEstimator<ITransformer> Build(TransformsCatalog catalog, OnnxModelInfo info, byte[] model, AttentionPoolOptions options,
        IReadOnlyList<string> textColumns, out int? gpuDeviceId, out byte[] variant)
    {
        gpuDeviceId = ExecutionProvider.Resolve(options.GpuDeviceId, options.FallbackToCpu, ExecutionProvider.IsCudaAvailable);
        var tokenizer = info.CreateTokenizer();
        var vocabulary = tokenizer.Vocabulary;
        var ids = new List<KeyValuePair<string, long>>(vocabulary.Count);
        for (int id = AttentionTokenizer.UnknownId + 1; id < vocabulary.Count; id++)
            ids.Add(new KeyValuePair<string, long>(vocabulary[id], id));
        var labels = info.Labels.Select((label, index) => new KeyValuePair<uint, string>((uint)index, label)).ToArray();
        bool mixed = tokenizer.Options.Mode == TokenizationMode.Mixed;
        bool pair = info.Kind == OnnxModelInfo.MatcherKindName;
        if (textColumns.Count != (pair ? 2 : 1))
            throw new ArgumentException($"A '{info.Kind}' scores {(pair ? 2 : 1)} text column(s), not {textColumns.Count}.", nameof(textColumns));

        IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>()
            .Append(catalog.CopyColumns(PipelineColumns.Text, textColumns[0]))
            .Append(mixed
                ? catalog.CustomMapping(new MixedSegmentFactory().GetMapping(), MixedSegmentFactory.ContractName)
                : catalog.CustomMapping(new CharSegmentFactory().GetMapping(), CharSegmentFactory.ContractName))
            .Append(catalog.Conversion.MapValue(PipelineColumns.Ids, ids, PipelineColumns.Forms));
        if (pair)
        {
            chain = chain
                .Append(catalog.CopyColumns(PipelineColumns.Text2, textColumns[1]))
                .Append(mixed
                    ? catalog.CustomMapping(new MixedSegment2Factory().GetMapping(), MixedSegment2Factory.ContractName)
                    : catalog.CustomMapping(new CharSegment2Factory().GetMapping(), CharSegment2Factory.ContractName))
                .Append(catalog.Conversion.MapValue(PipelineColumns.Ids2, ids, PipelineColumns.Forms2));
        }

        variant = PipelineGraph.Build(model, info);
        string file = WriteModelFile(variant, options.CacheDirectory);
        chain = chain.Append(catalog.ApplyOnnxModel(OnnxOptionsFor(file, PipelineGraph.InputColumns(info.Kind), PipelineGraph.OutputColumns(info), gpuDeviceId, options)));
        chain = pair
            ? chain
                .Append(catalog.CustomMapping(new Tokens1Factory().GetMapping(), Tokens1Factory.ContractName))
                .Append(catalog.CustomMapping(new Tokens2Factory().GetMapping(), Tokens2Factory.ContractName))
            : chain.Append(catalog.CustomMapping(new TokensFactory().GetMapping(), TokensFactory.ContractName));
        return chain
            .Append(catalog.CustomMapping(new ArgMaxFactory().GetMapping(), ArgMaxFactory.ContractName))
            .Append(catalog.Conversion.MapValue(AttentionPoolColumns.PredictedLabel, labels, PipelineColumns.LabelIndex, treatValuesAsKeyType: true))
            .Append(catalog.DropColumns(pair ? PipelineColumns.AllOfPairs : PipelineColumns.All));
    }

    /// <summary>
    /// The fitted chain with its <c>ApplyOnnxModel</c> step wrapped in a <see cref="BatchedOnnxTransformer"/>: what
    /// <c>Transform</c> runs (the rows before and after the ONNX step go through the same ML.NET transformers).
    /// </summary>
    public static TransformerChain<ITransformer> Batched(ITransformer fitted, byte[] variant, int? gpuDeviceId, AttentionPoolOptions options)
    {
        var graph = PipelineGraph.ToBatched(variant) ?? throw new InvalidOperationException("The pipeline's ONNX graph is not a variant it can batch.");
        var steps = Steps(fitted).Select(step => step is OnnxTransformer ? new BatchedOnnxTransformer(step, graph, gpuDeviceId, options) : step).ToArray();
        if (steps.Count(step => step is BatchedOnnxTransformer) != 1)
            throw new InvalidOperationException("The pipeline's chain should hold exactly one ONNX step.");
        return new TransformerChain<ITransformer>(steps);
    }

    // The steps of a chain, nested chains flattened (appending to an estimator typed IEstimator<ITransformer> nests one).
    private static IEnumerable<ITransformer> Steps(ITransformer transformer) =>
        transformer is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [transformer];

    /// <summary>Disposes the steps of <paramref name="chain"/> that hold native resources (the ONNX sessions).</summary>
    public static void Dispose(IEnumerable<ITransformer> chain)
    {
        foreach (var step in chain)
            (step as IDisposable)?.Dispose();
    }

    // The variant graph goes to a file named by its hash: ApplyOnnxModel takes IntraOpNumThreads only with a file.
    internal static string WriteModelFile(byte[] variant, string? cacheDirectory)
    {
        string directory = cacheDirectory ?? Path.Combine(Path.GetTempPath(), "mlnet-attention", "pipeline");
        string path = Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(variant))[..32] + ".onnx");
        if (File.Exists(path) && new FileInfo(path).Length == variant.Length)
            return path;
        try
        {
            Directory.CreateDirectory(directory);
            AtomicFile.Write(path, stream => stream.Write(variant));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{path}: cannot write the pipeline's ONNX graph ({e.Message}). Set AttentionPoolOptions.CacheDirectory to a writable folder.", e);
        }
        return path;
    }

    internal static OnnxOptions OnnxOptionsFor(string modelFile, string[] inputColumns, string[] outputColumns, int? gpuDeviceId, AttentionPoolOptions options) => new()
    {
        ModelFile = modelFile,
        InputColumns = inputColumns,
        OutputColumns = outputColumns,
        GpuDeviceId = gpuDeviceId,
        FallbackToCpu = options.FallbackToCpu,
        IntraOpNumThreads = options.IntraOpNumThreads,
        InterOpNumThreads = 1,
    };
}
