using System.Reflection;
using System.Text.RegularExpressions;
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

    // The data's path: each folder may use only the folders before it (within and across the two packages).
    private static readonly string[] Layers = ["Text", "Data", "Modules", "Models", "Training", "Onnx", "MLNet", "Visualization", "Faithfulness"];

    [TestMethod]
    public void NoFolderReachesALaterOne()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MLNetAttention.sln"))) root = root.Parent;
        Assert.IsNotNull(root, "the repository root (MLNetAttention.sln) was not found above the test output");
        var reference = new Regex(@"\bMLNetAttention\.(" + string.Join("|", Layers) + @")\b");
        var violations = new List<string>();
        int files = 0;
        foreach (string project in new[] { "MLNetAttention", "MLNetAttention.TorchSharp" })
        {
            string projectDirectory = Path.Combine(root.FullName, "src", project);
            foreach (string file in Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories))
            {
                string[] parts = Path.GetRelativePath(projectDirectory, file).Split(Path.DirectorySeparatorChar);
                int layer = parts.Length > 1 ? Array.IndexOf(Layers, parts[0]) : -1;
                if (layer < 0) continue;
                files++;
                string[] lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                    foreach (Match match in reference.Matches(lines[i]))
                        if (Array.IndexOf(Layers, match.Groups[1].Value) > layer)
                            violations.Add($"{project}/{string.Join('/', parts)}:{i + 1} ({parts[0]} uses {match.Groups[1].Value})");
            }
        }
        Assert.IsGreaterThan(100, files, "the source folders were not found");
        Assert.IsEmpty(violations, string.Join("; ", violations));
    }
}
