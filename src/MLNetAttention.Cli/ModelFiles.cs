using MLNetAttention.Onnx;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Cli;

/// <summary>
/// predict and visualize take either a model directory (scored with its TorchSharp weights) or an exported .onnx file
/// (scored with ONNX Runtime alone); both give the same predictions, weights and offsets.
/// </summary>
internal static class ModelFiles
{
    public const string Description = "The model directory 'train' wrote, or an .onnx file that 'train' or 'export' wrote (scored with ONNX Runtime).";

    public static bool IsOnnxFile(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(path);

    public static bool IsMatcher(string path) => IsOnnxFile(path)
        ? OnnxModelInfo.Read(path).Kind == OnnxModelInfo.MatcherKindName
        : AttentionMatcher.IsMatcherDirectory(path);

    public static Scorer<string, ClassPrediction> LoadClassifier(string path)
    {
        if (IsOnnxFile(path))
        {
            var onnx = AttentionOnnxModel.Load(path);
            return new Scorer<string, ClassPrediction>(onnx.Predict, onnx);
        }
        var classifier = AttentionClassifier.Load(path);
        return new Scorer<string, ClassPrediction>(classifier.Predict, classifier);
    }

    public static Scorer<(string Text1, string Text2), MatchPrediction> LoadMatcher(string path)
    {
        if (IsOnnxFile(path))
        {
            var onnx = AttentionOnnxMatcher.Load(path);
            return new Scorer<(string, string), MatchPrediction>(onnx.Predict, onnx);
        }
        var matcher = AttentionMatcher.Load(path);
        return new Scorer<(string, string), MatchPrediction>(matcher.Predict, matcher);
    }
}

/// <summary>A loaded model of either form: its batch prediction and what to dispose.</summary>
internal sealed class Scorer<TInput, TPrediction>(Func<IEnumerable<TInput>, IReadOnlyList<TPrediction>> predict, IDisposable owner) : IDisposable
{
    public IReadOnlyList<TPrediction> Predict(IEnumerable<TInput> inputs) => predict(inputs);

    public void Dispose() => owner.Dispose();
}
