using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Cli;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;

namespace MLNetAttention.Tests.Onnx;

[TestClass]
public sealed class TritonRepositoryTests
{
    private static string NewDirectory() => Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "mlna-triton", Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>The config's input or output blocks as (name, data_type, dims), read with a small pbtxt scanner.</summary>
    private static List<(string Name, string Type, long[] Dims, string? Labels)> Blocks(string config, string kind)
    {
        var section = Regex.Match(config, $@"^{kind}: \[(.*?)^\]", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.IsTrue(section.Success, $"no {kind} section in:\n{config}");
        return Regex.Matches(section.Groups[1].Value, @"\{(.*?)\}", RegexOptions.Singleline).Select(block =>
        {
            string body = block.Groups[1].Value;
            string name = Regex.Match(body, "name: \"([^\"]+)\"").Groups[1].Value;
            string type = Regex.Match(body, @"data_type: (\w+)").Groups[1].Value;
            var dims = Regex.Match(body, @"dims: \[([^\]]*)\]").Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
            var labels = Regex.Match(body, "label_filename: \"([^\"]+)\"");
            return (name, type, dims, labels.Success ? labels.Groups[1].Value : null);
        }).ToList();
    }

    private static void AssertMatchesGraph(string config, string onnx, bool batched)
    {
        using var session = new InferenceSession(onnx);
        foreach (var (kind, metadata) in new[] { ("input", session.InputMetadata), ("output", session.OutputMetadata) })
        {
            var blocks = Blocks(config, kind);
            CollectionAssert.AreEquivalent(metadata.Keys.ToArray(), blocks.Select(b => b.Name).ToArray(), kind);
            foreach (var block in blocks)
            {
                var node = metadata[block.Name];
                var expected = node.Dimensions.Select(d => d < 0 ? -1L : d).Skip(batched ? 1 : 0).ToArray();
                CollectionAssert.AreEqual(expected, block.Dims, $"{block.Name} dims");
                string type = node.ElementType == typeof(long) ? "TYPE_INT64" : node.ElementType == typeof(float) ? "TYPE_FP32" : "?";
                Assert.AreEqual(type, block.Type, $"{block.Name} type");
            }
        }
    }

    [TestMethod]
    [DataRow(PoolingKind.Attention)]
    [DataRow(PoolingKind.MultiHead)]
    public void AClassifierRepositoryDeclaresExactlyTheGraphsInputsAndOutputs(PoolingKind pooling)
    {
        using var classifier = Build(EncoderKind.Conv, pooling);
        string directory = NewDirectory();
        string onnx = Path.Combine(directory, "model.onnx");
        OnnxExporter.Export(classifier, onnx);
        string repository = Path.Combine(directory, "repo");

        string folder = TritonModelRepository.Write(onnx, repository, new TritonModelOptions { Name = "poetry", MaxBatchSize = 32, MaxQueueDelayMicroseconds = 250 });

        Assert.AreEqual(Path.Combine(repository, "poetry"), folder);
        CollectionAssert.AreEqual(File.ReadAllBytes(onnx), File.ReadAllBytes(Path.Combine(folder, "1", "model.onnx")));
        CollectionAssert.AreEqual(classifier.Labels.ToArray(), File.ReadAllLines(Path.Combine(folder, "labels.txt")));
        string config = File.ReadAllText(Path.Combine(folder, "config.pbtxt"));
        StringAssert.Contains(config, "name: \"poetry\"");
        StringAssert.Contains(config, "backend: \"onnxruntime\"");
        StringAssert.Contains(config, "max_batch_size: 32");
        StringAssert.Contains(config, "max_queue_delay_microseconds: 250");
        AssertMatchesGraph(config, onnx, batched: true);
        var outputs = Blocks(config, "output");
        // probabilities [classes]; weights [seq] or [heads, seq] once the batch axis is left out.
        CollectionAssert.AreEqual(new long[] { 3 }, outputs.Single(o => o.Name == "probabilities").Dims);
        CollectionAssert.AreEqual(pooling == PoolingKind.MultiHead ? new long[] { 3, -1 } : new long[] { -1 }, outputs.Single(o => o.Name == "attention_weights").Dims);
        Assert.AreEqual("labels.txt", outputs.Single(o => o.Name == "probabilities").Labels);
        Assert.IsNull(outputs.Single(o => o.Name == "attention_weights").Labels);
    }

    [TestMethod]
    public void AMatcherRepositoryHasBothInputsAndNoLabelsAndBatchingCanBeOff()
    {
        using var matcher = BuildMatcher(MatcherKind.Cross, EncoderKind.None);
        string directory = NewDirectory();
        string onnx = Path.Combine(directory, "matcher.onnx");
        OnnxExporter.Export(matcher, onnx);

        string folder = TritonModelRepository.Write(onnx, Path.Combine(directory, "repo"), new TritonModelOptions { Name = "couplets", MaxBatchSize = 0, Gpu = true, InstanceCount = 2 });

        string config = File.ReadAllText(Path.Combine(folder, "config.pbtxt"));
        AssertMatchesGraph(config, onnx, batched: false);
        CollectionAssert.AreEquivalent(new[] { "input_ids_1", "input_ids_2" }, Blocks(config, "input").Select(b => b.Name).ToArray());
        Assert.IsTrue(Blocks(config, "output").Any(o => o.Name == "alignment" && o.Dims.SequenceEqual(new long[] { -1, -1, -1 })));
        Assert.IsFalse(File.Exists(Path.Combine(folder, "labels.txt")));
        StringAssert.Contains(config, "max_batch_size: 0");
        Assert.IsFalse(config.Contains("dynamic_batching"), "no batcher without batching");
        StringAssert.Contains(config, "kind: KIND_GPU");
        StringAssert.Contains(config, "count: 2");
    }

    [TestMethod]
    public void AnExistingModelIsReplacedWholeAndAFolderOfOtherFilesIsRefused()
    {
        using var classifier = Build(EncoderKind.None, PoolingKind.Attention);
        string directory = NewDirectory();
        string onnx = Path.Combine(directory, "model.onnx");
        OnnxExporter.Export(classifier, onnx);
        string repository = Path.Combine(directory, "repo");
        string folder = TritonModelRepository.Write(onnx, repository);
        TritonModelRepository.Write(onnx, repository, new TritonModelOptions { MaxBatchSize = 8 });
        StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "config.pbtxt")), "max_batch_size: 8");

        string unrelated = Path.Combine(repository, "notes");
        Directory.CreateDirectory(unrelated);
        File.WriteAllText(Path.Combine(unrelated, "todo.txt"), "keep me");
        Assert.ThrowsExactly<IOException>(() => TritonModelRepository.Write(onnx, repository, new TritonModelOptions { Name = "notes" }));
        Assert.AreEqual("keep me", File.ReadAllText(Path.Combine(unrelated, "todo.txt")));

        var bad = Assert.ThrowsExactly<ArgumentException>(() => TritonModelRepository.Write(onnx, repository, new TritonModelOptions { Name = "../escape" }));
        StringAssert.Contains(bad.Message, "../escape");
        Assert.ThrowsExactly<FileNotFoundException>(() => TritonModelRepository.Write(Path.Combine(directory, "missing.onnx"), repository));
    }

    [TestMethod]
    public void TheExportCommandWritesARepositoryFromAModelDirectory()
    {
        string model = CliTests.TrainedModel();
        string repository = Path.Combine(NewDirectory(), "models");
        var (code, _, error) = CliTests.Run("export", "--model", model, "--triton", repository, "--triton-name", "tang_song", "--max-batch-size", "16");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "tritonserver --model-repository");
        string folder = Path.Combine(repository, "tang_song");
        string config = File.ReadAllText(Path.Combine(folder, "config.pbtxt"));
        AssertMatchesGraph(config, Path.Combine(folder, "1", "model.onnx"), batched: true);
        CollectionAssert.AreEqual(new[] { "song", "tang" }, File.ReadAllLines(Path.Combine(folder, "labels.txt")).Order().ToArray());
        Assert.AreEqual(0, Directory.GetFiles(repository).Length, "the temporary export is removed");

        var (badCode, _, badError) = CliTests.Run("export", "--model", model, "--triton", repository, "--triton-name", "a/b");
        Assert.AreEqual(1, badCode, badError);
        StringAssert.Contains(badError, "a/b");
    }
}
