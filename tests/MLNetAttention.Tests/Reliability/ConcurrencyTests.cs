using Microsoft.ML;
using MLNetAttention.MLNet;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.MLNet;
using MLNetAttention.Tests.Onnx;

namespace MLNetAttention.Tests.Reliability;

/// <summary>Eight threads through every public scorer give exactly what one thread gives.</summary>
[TestClass]
public sealed class ConcurrencyTests
{
    private const int Threads = 8;
    private const int Rounds = 5;

    private static void AssertSameFromEveryThread<T>(Func<T[]> score, Func<T, float[]> values)
    {
        var expected = score();
        var results = new T[Threads * Rounds][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = Threads }, i => results[i] = score());
        foreach (var result in results)
        {
            Assert.HasCount(expected.Length, result);
            for (int row = 0; row < expected.Length; row++)
                CollectionAssert.AreEqual(values(expected[row]), values(result[row]), $"row {row} differs on another thread");
        }
    }

    [TestMethod]
    public void TheTorchSharpClassifierTheOnnxScorerAndTheMLNetTransformAgreeAcrossThreads()
    {
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.MultiHead);
        string[] texts = OnnxTestModels.Texts;
        AssertSameFromEveryThread(() => classifier.Predict(texts).ToArray(), p => [.. p.Probabilities, .. p.Tokens.SelectMany(t => t.Weights)]);

        string path = Path.Combine(OnnxTestModels.TempDirectory(), "concurrency.onnx");
        OnnxExporter.Export(classifier, path);
        using var onnx = AttentionOnnxModel.Load(path);
        AssertSameFromEveryThread(() => onnx.Predict(texts).ToArray(), p => [.. p.Probabilities, .. p.Tokens.SelectMany(t => t.Weights)]);

        // ML.NET: one fitted transformer shared by all threads, each with its own data view (Transform is thread-safe;
        // a PredictionEngine is not, as ML.NET documents).
        var ml = new MLContext(1);
        var model = ml.Transforms.AttentionPool(path).Fit(ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "月" } }));
        AssertSameFromEveryThread(() => AttentionPoolTests.Score(ml, model, texts).ToArray(), r => [.. r.Score, .. r.AttentionWeights]);

        // Single examples from many threads: the pool lends each call its own PredictionEngine.
        var pool = new AttentionPredictionPool<TextRow, ScoredRow>(ml, model);
        AssertSameFromEveryThread(() => texts.Select(t => pool.Predict(new TextRow { Text = t })).ToArray(), r => [.. r.Score, .. r.AttentionWeights]);
        var expected = AttentionPoolTests.Score(ml, model, texts);
        var pooled = texts.Select(t => pool.Predict(new TextRow { Text = t })).ToList();
        // The pool's engines score one row per ONNX Runtime call, Transform in batches: equal within float rounding.
        for (int i = 0; i < texts.Length; i++)
            Assert.IsLessThanOrEqualTo(1e-6f, OnnxTestModels.MaxAbsDiff(expected[i].AttentionWeights, pooled[i].AttentionWeights), "the pool scores as Transform does");
    }
}
