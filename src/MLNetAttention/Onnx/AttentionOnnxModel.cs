using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetAttention.Text;

namespace MLNetAttention.Onnx;

/// <summary>
/// An exported classifier loaded in ONNX Runtime, with the tokenizer and labels read from its metadata:
/// scores texts like <c>AttentionClassifier.Predict</c> without TorchSharp weights.
/// </summary>
public sealed partial class AttentionOnnxModel : IDisposable
{
    private const int BatchSize = 64;
    private readonly InferenceSession _session;

    private AttentionOnnxModel(OnnxModelInfo info, InferenceSession session)
    {
        Info = info;
        Tokenizer = info.CreateTokenizer();
        _session = session;
    }

    /// <summary>The model's metadata.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>The tokenizer rebuilt from the metadata.</summary>
    public AttentionTokenizer Tokenizer { get; }

    /// <summary>Loads an .onnx file written by <c>OnnxExporter</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelLoadException">The file is not an MLNetAttention classifier, is truncated or damaged.</exception>
    public static AttentionOnnxModel Load(string path, SessionOptions? sessionOptions = null)
    {
        var info = OnnxModelInfo.Read(path, out byte[] bytes);
        return Create(info, bytes, path, sessionOptions);
    }

    /// <summary>Loads the bytes of an .onnx file written by <c>OnnxExporter</c>.</summary>
    /// <exception cref="ModelLoadException">The bytes are not an MLNetAttention classifier, are truncated or damaged.</exception>
    public static AttentionOnnxModel Load(byte[] model, SessionOptions? sessionOptions = null)
    {
        var info = OnnxModelInfo.Read(model);
        return Create(info, model, info.Source, sessionOptions);
    }

    private static AttentionOnnxModel Create(OnnxModelInfo info, byte[] bytes, string source, SessionOptions? sessionOptions)
    {
        var session = OpenSession(info, bytes, source, sessionOptions, OnnxModelInfo.ClassifierKindName);
        try
        {
            return new AttentionOnnxModel(info, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="bytes"/> in ONNX Runtime after checking that the model is of <paramref name="kind"/>.</summary>
    internal static InferenceSession OpenSession(OnnxModelInfo info, byte[] bytes, string source, SessionOptions? sessionOptions, string kind)
    {
        if (info.Kind != kind)
            throw new ModelLoadException(source, $"the model is a '{info.Kind}', not a '{kind}'" + (info.Kind == OnnxModelInfo.MatcherKindName
                ? "; load it with AttentionOnnxMatcher." : info.Kind == OnnxModelInfo.ClassifierKindName ? "; load it with AttentionOnnxModel." : "."),
                ModelLoadProblem.WrongKind);
        try
        {
            return sessionOptions is null ? new InferenceSession(bytes) : new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(source, $"ONNX Runtime cannot load the model ({e.Message}). Export it again.", e);
        }
    }

    /// <summary>Scores one text.</summary>
    public ClassPrediction Predict(string text) => Predict([text])[0];

    /// <summary>
    /// Scores texts in batches of texts of similar length (each batch padded to its longest text, so little padding is
    /// computed); results are in input order and equal to scoring each text alone (every encoder is padding-invariant).
    /// </summary>
    /// <exception cref="ArgumentException">A text is empty or only whitespace.</exception>
    public IReadOnlyList<ClassPrediction> Predict(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var inputs = texts.ToList();
        int maxLength = Info.MaxLength;
        var windows = new TokenWindow[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(inputs[i]))
                throw new ArgumentException($"Text {i} is empty; there is nothing to classify.", nameof(texts));
            windows[i] = Tokenizer.EncodeWindows(inputs[i], maxLength, maxLength)[0];
        }

        // Batching in input order pads every text to the longest in its batch; sorted by length, a batch of 64 poems
        // costs about what its texts cost alone.
        int[] order = Enumerable.Range(0, inputs.Count).OrderBy(i => windows[i].Ids.Length).ToArray();
        var results = new ClassPrediction[inputs.Count];
        int classes = Info.Labels.Count;
        for (int first = 0; first < order.Length; first += BatchSize)
        {
            int count = Math.Min(BatchSize, order.Length - first);
            int length = Math.Max(1, windows[order[first + count - 1]].Ids.Length);
            var ids = new long[count * length];
            for (int r = 0; r < count; r++)
            {
                var row = windows[order[first + r]].Ids;
                for (int t = 0; t < row.Length; t++) ids[r * length + t] = row[t];
            }
            var (probabilities, weights, heads) = Run(ids, count, length);
            for (int r = 0; r < count; r++)
            {
                int index = order[first + r];
                results[index] = TokenWeights.Prediction(inputs[index], windows[index], Tokenizer, Info.Labels,
                    probabilities.AsSpan(r * classes, classes), weights.AsSpan(r * heads * length), heads, length);
            }
        }
        return results;
    }

    /// <summary>
    /// Runs the graph on token ids (row-major, <paramref name="batch"/> x <paramref name="length"/>, 0 = padding) and
    /// returns the probabilities (batch x classes), the weights (batch x heads x length) and the number of heads.
    /// </summary>
    public (float[] Probabilities, float[] Weights, int Heads) Run(long[] ids, int batch, int length)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length != batch * length)
            throw new ArgumentException($"{ids.Length} ids do not fill a {batch} x {length} batch.", nameof(ids));
        if (length > Info.MaxLength)
            throw new ArgumentException($"Inputs have {length} steps; the model accepts at most {Info.MaxLength}.", nameof(length));
        var input = new DenseTensor<long>(ids, [batch, length]);
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIdsName, input)]);
        float[] probabilities = results.First(r => r.Name == OnnxModelInfo.ProbabilitiesName).AsTensor<float>().ToArray();
        OnnxModelInfo.CheckFinite(probabilities, Info.Source, OnnxModelInfo.ProbabilitiesName);
        var weightTensor = results.First(r => r.Name == OnnxModelInfo.AttentionWeightsName).AsTensor<float>();
        int heads = weightTensor.Rank == 3 ? weightTensor.Dimensions[1] : 1;
        return (probabilities, weightTensor.ToArray(), heads);
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
