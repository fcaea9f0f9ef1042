using System.Reflection;
using MLNetAttention.Onnx;
using MLNetAttention.Training;

namespace MLNetAttention.Tests;

[TestClass]
public sealed class PackageSplitTests
{
    private static readonly Assembly Scoring = typeof(AttentionOnnxModel).Assembly;
    private static readonly Assembly Training = typeof(AttentionClassifier).Assembly;

    [TestMethod]
    public void TheScoringAssemblyReferencesNeitherTorchSharpNorTheTrainingAssembly()
    {
        var references = Scoring.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        CollectionAssert.DoesNotContain(references, "TorchSharp");
        CollectionAssert.DoesNotContain(references, Training.GetName().Name);
        CollectionAssert.Contains(references, "Microsoft.ML.OnnxRuntime");
        Assert.AreEqual("MLNetAttention", Scoring.GetName().Name);
    }

    [TestMethod]
    public void TheTrainingAssemblyBuildsOnTheScoringOne()
    {
        var references = Training.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        CollectionAssert.Contains(references, "TorchSharp");
        CollectionAssert.Contains(references, "MLNetAttention");
        Assert.AreEqual("MLNetAttention.TorchSharp", Training.GetName().Name);
    }
}
