using System.Text.Json;

namespace MLNetAttention.Tests.Cli;

/// <summary>`evaluate` reports the model's size on disk next to its accuracy.</summary>
[TestClass]
public sealed class ModelSizeCliTests
{
    [TestMethod]
    public void EvaluatePrintsTheDirectorysSizeInTheTableAndTheJson()
    {
        string model = CliTests.TrainedModel();
        long expected = new DirectoryInfo(model).EnumerateFiles().Sum(f => f.Length);

        var (code, output, error) = CliTests.Run("evaluate", "--model", model, "--data", "sample:poetry-dynasty", "--json");
        Assert.AreEqual(0, code, error);
        using var json = JsonDocument.Parse(output);
        Assert.AreEqual(expected, json.RootElement.GetProperty("modelBytes").GetInt64());

        (code, output, error) = CliTests.Run("evaluate", "--model", model, "--data", "sample:poetry-dynasty");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "model size " + (expected / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " MB (");
        StringAssert.Contains(output, "model.onnx ");
        StringAssert.Contains(output, "weights.bin ");
    }
}
