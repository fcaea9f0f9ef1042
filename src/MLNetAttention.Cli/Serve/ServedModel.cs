using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Onnx;
using MLNetAttention.Serving;

namespace MLNetAttention.Cli.Serve;

/// <summary>
/// The model a server scores with: an exported classifier or matcher in ONNX Runtime (never TorchSharp), behind a
/// <see cref="MicroBatchScorer{TInput, TOutput}"/> that merges concurrent requests into batches.
/// </summary>
internal sealed class ServedModel : IAsyncDisposable
{
    private readonly AttentionOnnxModel? _classifier;
    private readonly AttentionOnnxMatcher? _matcher;
    private readonly MicroBatchScorer<string, ClassPrediction>? _texts;
    private readonly MicroBatchScorer<(string Text1, string Text2), MatchPrediction>? _pairs;

    private ServedModel(string path, AttentionOnnxModel? classifier, AttentionOnnxMatcher? matcher, MicroBatchOptions batching)
    {
        Path = path;
        _classifier = classifier;
        _matcher = matcher;
        // Both ONNX scorers are thread-safe (one session shared by every batch) and pad each batch only to its longest input.
        if (classifier is not null) _texts = new MicroBatchScorer<string, ClassPrediction>(texts => classifier.Predict(texts), batching);
        if (matcher is not null) _pairs = new MicroBatchScorer<(string, string), MatchPrediction>(pairs => matcher.Predict(pairs), batching);
        Batching = (_texts?.Options ?? _pairs!.Options);
    }

    /// <summary>The .onnx file being served.</summary>
    public string Path { get; }

    /// <summary>The model's metadata.</summary>
    public OnnxModelInfo Info => _classifier?.Info ?? _matcher!.Info;

    /// <summary>The tokenizer mode ("Char" or "Mixed").</summary>
    public string TokenizerMode => (_classifier?.Tokenizer ?? _matcher!.Tokenizer).Options.Mode.ToString();

    /// <summary>Whether the model scores sentence pairs (POST /v1/match) rather than texts (POST /v1/predict).</summary>
    public bool IsMatcher => _matcher is not null;

    /// <summary>The batching settings in force.</summary>
    public MicroBatchOptions Batching { get; }

    /// <summary>
    /// Loads <paramref name="model"/>: an .onnx file, or a model directory's model.onnx. The kind (classifier or matcher)
    /// is read from the file.
    /// </summary>
    /// <exception cref="ModelLoadException">The path does not exist, a directory has no model.onnx, or the file is not an MLNetAttention model or is damaged.</exception>
    public static ServedModel Load(string model, SessionOptions sessionOptions, MicroBatchOptions batching)
    {
        string path = Directory.Exists(model) ? System.IO.Path.Combine(model, "model.onnx") : model;
        if (Directory.Exists(model) && !File.Exists(path))
            throw new ModelLoadException(model, "the model directory has no model.onnx, which serve scores with ONNX Runtime. " +
                $"Export it with `mlnet-attention export --model {model} --out model.onnx` and serve that file.", ModelLoadProblem.Damaged);
        if (!File.Exists(path))
            throw new ModelLoadException(model, "the model does not exist: pass the model directory that 'train' wrote, or an .onnx file that 'train' or 'export' wrote.",
                ModelLoadProblem.Missing);

        try
        {
            return new ServedModel(path, AttentionOnnxModel.Load(path, sessionOptions), null, batching);
        }
        catch (ModelLoadException e) when (e.Problem == ModelLoadProblem.WrongKind)
        {
            return new ServedModel(path, null, AttentionOnnxMatcher.Load(path, sessionOptions), batching);
        }
    }

    /// <summary>Classifies <paramref name="texts"/> in the next batches.</summary>
    public Task<IReadOnlyList<ClassPrediction>> PredictAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        _texts!.ScoreAsync(texts, cancellationToken);

    /// <summary>Matches <paramref name="pairs"/> in the next batches.</summary>
    public Task<IReadOnlyList<MatchPrediction>> MatchAsync(IReadOnlyList<(string Text1, string Text2)> pairs, CancellationToken cancellationToken) =>
        _pairs!.ScoreAsync(pairs, cancellationToken);

    /// <summary>Scores what is queued, then releases the ONNX Runtime session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_texts is not null) await _texts.DisposeAsync();
        if (_pairs is not null) await _pairs.DisposeAsync();
        _classifier?.Dispose();
        _matcher?.Dispose();
    }
}
