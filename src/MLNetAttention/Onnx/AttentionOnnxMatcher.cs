using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetAttention.Text;

namespace MLNetAttention.Onnx;

/// <summary>
/// An exported matcher (siamese, interactive, triplet or cross) loaded in ONNX Runtime, with the tokenizer read from its
/// metadata: scores sentence pairs like <c>AttentionMatcher.Predict</c> without TorchSharp weights,
/// including the cross-attention matcher's <see cref="MatchPrediction.Alignment"/>.
/// </summary>
public sealed class AttentionOnnxMatcher : IDisposable
{
    private readonly InferenceSession _session;

    private AttentionOnnxMatcher(OnnxModelInfo info, InferenceSession session)
    {
        Info = info;
        Tokenizer = info.CreateTokenizer();
        _session = session;
        HasAlignment = session.OutputMetadata.ContainsKey(OnnxModelInfo.AlignmentName);
    }

    /// <summary>The model's metadata (<see cref="OnnxModelInfo.MatcherOptions"/> holds the architecture).</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>Pairs per ONNX Runtime call in <see cref="Predict(IEnumerable{ValueTuple{string, string}})"/> (default 64).</summary>
    public int BatchSize
    {
        get => _batchSize;
        set => _batchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A batch holds at least one pair.");
    }

    private int _batchSize = 64;

    /// <summary>The tokenizer rebuilt from the metadata.</summary>
    public AttentionTokenizer Tokenizer { get; }

    /// <summary>
    /// Whether the graph has the <see cref="OnnxModelInfo.AlignmentName"/> output (a cross-attention matcher):
    /// <see cref="Run"/> then returns it and <see cref="Predict(string, string)"/> fills <see cref="MatchPrediction.Alignment"/>.
    /// </summary>
    public bool HasAlignment { get; }

    /// <summary>Loads an .onnx file written by <c>OnnxExporter.Export</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelLoadException">The file is not an MLNetAttention matcher, is truncated or damaged.</exception>
    public static AttentionOnnxMatcher Load(string path, SessionOptions? sessionOptions = null)
    {
        var info = OnnxModelInfo.Read(path, out byte[] bytes);
        return Create(info, bytes, path, sessionOptions);
    }

    /// <summary>Loads the bytes of an .onnx file written by <c>OnnxExporter.ExportToBytes</c>.</summary>
    /// <exception cref="ModelLoadException">The bytes are not an MLNetAttention matcher, are truncated or damaged.</exception>
    public static AttentionOnnxMatcher Load(byte[] model, SessionOptions? sessionOptions = null)
    {
        var info = OnnxModelInfo.Read(model);
        return Create(info, model, info.Source, sessionOptions);
    }

    private static AttentionOnnxMatcher Create(OnnxModelInfo info, byte[] bytes, string source, SessionOptions? sessionOptions)
    {
        var session = AttentionOnnxModel.OpenSession(info, bytes, source, sessionOptions, OnnxModelInfo.MatcherKindName);
        try
        {
            return new AttentionOnnxMatcher(info, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Scores one pair: match or not, the probability, both sentences' token weights and, for a cross-attention matcher, the alignment.</summary>
    /// <exception cref="ArgumentException">A sentence is null, empty or has no token.</exception>
    public MatchPrediction Predict(string text1, string text2) => Predict([(text1, text2)])[0];

    /// <summary>Scores pairs in batches (each side padded to its longest sentence); results are in input order.</summary>
    /// <exception cref="ArgumentException">A sentence is null, empty or has no token (the message names the pair).</exception>
    public IReadOnlyList<MatchPrediction> Predict(IEnumerable<(string Text1, string Text2)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var inputs = pairs.ToList();
        var windows1 = new TokenWindow[inputs.Count];
        var windows2 = new TokenWindow[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            windows1[i] = Window(inputs[i].Text1, i, "text1");
            windows2[i] = Window(inputs[i].Text2, i, "text2");
        }

        var results = new List<MatchPrediction>(inputs.Count);
        for (int first = 0; first < inputs.Count; first += BatchSize)
        {
            int count = Math.Min(BatchSize, inputs.Count - first);
            var (ids1, length1) = Pad(windows1, first, count);
            var (ids2, length2) = Pad(windows2, first, count);
            var (probabilities, weights1, weights2, alignment) = Run(ids1, ids2, count, length1, length2);
            for (int r = 0; r < count; r++)
            {
                int index = first + r;
                var (text1, text2) = inputs[index];
                results.Add(new MatchPrediction
                {
                    Text1 = text1, Text2 = text2, Probability = probabilities[r * 2 + 1],
                    Tokens1 = Tokens(text1, windows1[index], weights1.AsSpan(r * length1, length1)),
                    Tokens2 = Tokens(text2, windows2[index], weights2.AsSpan(r * length2, length2)),
                    TruncatedTokens1 = windows1[index].TextTokenCount - windows1[index].Ids.Length,
                    TruncatedTokens2 = windows2[index].TextTokenCount - windows2[index].Ids.Length,
                    Alignment = alignment is null ? null : MatchPrediction.AlignmentOf(alignment, r, length1, length2, windows1[index].Ids.Length, windows2[index].Ids.Length),
                });
            }
        }
        return results;
    }

    /// <summary>
    /// Runs the graph on both sides' token ids (row-major, <paramref name="batch"/> x <paramref name="length1"/> and
    /// <paramref name="batch"/> x <paramref name="length2"/>, 0 = padding) and returns the probabilities (batch x 2,
    /// column 1 = match), both weight matrices (batch x length1, batch x length2) and, when the model has it
    /// (<see cref="HasAlignment"/>), the alignment (batch x length1 x length2, row-major), else null.
    /// </summary>
    /// <exception cref="ArgumentException">The ids do not fill their shapes, or a side is longer than the model's maximum length.</exception>
    public (float[] Probabilities, float[] Weights1, float[] Weights2, float[]? Alignment) Run(long[] ids1, long[] ids2, int batch, int length1, int length2)
    {
        ArgumentNullException.ThrowIfNull(ids1);
        ArgumentNullException.ThrowIfNull(ids2);
        if (ids1.Length != batch * length1)
            throw new ArgumentException($"{ids1.Length} ids do not fill a {batch} x {length1} batch.", nameof(ids1));
        if (ids2.Length != batch * length2)
            throw new ArgumentException($"{ids2.Length} ids do not fill a {batch} x {length2} batch.", nameof(ids2));
        if (Math.Max(length1, length2) > Info.MaxLength)
            throw new ArgumentException($"Sentences have {Math.Max(length1, length2)} steps; the model accepts at most {Info.MaxLength}.", length1 > length2 ? nameof(length1) : nameof(length2));
        using var results = _session.Run(
        [
            NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIds1Name, new DenseTensor<long>(ids1, [batch, length1])),
            NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIds2Name, new DenseTensor<long>(ids2, [batch, length2])),
        ]);
        float[] Output(string name)
        {
            float[] values = results.First(r => r.Name == name).AsTensor<float>().ToArray();
            OnnxModelInfo.CheckFinite(values, Info.Source, name);
            return values;
        }
        return (Output(OnnxModelInfo.ProbabilitiesName), Output(OnnxModelInfo.AttentionWeights1Name), Output(OnnxModelInfo.AttentionWeights2Name),
            HasAlignment ? Output(OnnxModelInfo.AlignmentName) : null);
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();

    private TokenWindow Window(string? text, int index, string side)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"Pair {index}: {side} is empty; both sentences of a pair are needed to match them.", side);
        var window = Tokenizer.EncodeWindows(text, Info.MaxLength, Info.MaxLength)[0];
        if (window.Ids.Length == 0)
            throw new ArgumentException($"Pair {index}: {side} has no tokens; there is nothing to match.", side);
        return window;
    }

    private static (long[] Ids, int Length) Pad(TokenWindow[] windows, int first, int count)
    {
        int length = Math.Max(1, Enumerable.Range(first, count).Max(i => windows[i].Ids.Length));
        var ids = new long[count * length];
        for (int r = 0; r < count; r++)
        {
            var row = windows[first + r].Ids;
            for (int t = 0; t < row.Length; t++) ids[r * length + t] = row[t];
        }
        return (ids, length);
    }

    private TokenWeight[] Tokens(string text, TokenWindow window, ReadOnlySpan<float> weights) =>
        TokenWeights.Of(text, window, Tokenizer, weights);
}
