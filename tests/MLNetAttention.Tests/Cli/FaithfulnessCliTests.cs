using System.Text;
using System.Text.Json;

namespace MLNetAttention.Tests.Cli;

/// <summary>The ERASER explainer comparison through the built mlnet-attention tool, on a small model of the bundled poetry sample.</summary>
[TestClass]
public sealed class FaithfulnessCliTests
{
    [TestMethod]
    public void EvaluateFaithfulnessJsonHasTheEraserMetricsOfEveryExplainer()
    {
        var (code, output, error) = CliTests.Run("evaluate", "--model", CliTests.TrainedModel(), "--data", "sample:poetry-dynasty", "--faithfulness", "--json",
            "--eraser-examples", "80", "--ig-steps", "5");
        Assert.AreEqual(0, code, error);
        // Two documents: the classification metrics, then the faithfulness report with its "eraser" part.
        var documents = new List<JsonDocument>();
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(output), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read()) documents.Add(JsonDocument.ParseValue(ref reader));
        Assert.AreEqual(2, documents.Count, output);
        Assert.IsTrue(documents[0].RootElement.TryGetProperty("accuracy", out _));
        var eraser = documents[1].RootElement.GetProperty("eraser");
        Assert.AreEqual("Remove", eraser.GetProperty("eraseMode").GetString());
        Assert.AreEqual(5, eraser.GetProperty("integratedGradientsSteps").GetInt32());
        int texts = eraser.GetProperty("texts").GetInt32();
        Assert.IsTrue(texts is > 60 and <= 80, $"{texts} texts");
        CollectionAssert.AreEqual(new[] { 1.0, 5, 10, 20, 50 }, eraser.GetProperty("percentages").EnumerateArray().Select(p => p.GetDouble()).ToArray());
        var explainers = eraser.GetProperty("explainers").EnumerateArray().ToList();
        // The CLI's model has single-head attention pooling: no per-head rows.
        CollectionAssert.AreEqual(new[] { "attention", "leave-one-out", "gradient × input", "integrated gradients", "random" },
            explainers.Select(e => e.GetProperty("explainer").GetString()).ToArray());
        foreach (var row in explainers)
        {
            double comprehensiveness = row.GetProperty("comprehensiveness").GetDouble(), sufficiency = row.GetProperty("sufficiency").GetDouble();
            Assert.IsTrue(comprehensiveness is >= -1 and <= 1 && sufficiency is >= -1 and <= 1, $"{row}");
            Assert.AreEqual(5, row.GetProperty("points").GetArrayLength());
        }
        var taus = eraser.GetProperty("rankCorrelations").EnumerateArray().ToList();
        Assert.AreEqual(5 * 4 / 2, taus.Count);
        Assert.IsTrue(taus.All(t => t.GetProperty("meanKendallTau").GetDouble() is >= -1 and <= 1));
        foreach (var document in documents) document.Dispose();
    }

    [TestMethod]
    public void FaithfulnessPrintsTheExplainerTableNamingTheEraseModeAndRefusesUnknownExplainers()
    {
        var (code, output, error) = CliTests.Run("faithfulness", "--model", CliTests.TrainedModel(), "--data", "sample:poetry-dynasty", "--max-examples", "60",
            "--random-draws", "1", "--importance-examples", "0", "--explainers", "attention,random", "--eraser-mode", "unknown");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(output, "| explainer | comprehensiveness ↑ | sufficiency ↓ |");
        StringAssert.Contains(output, "Erased tokens are replaced by the unknown id");
        StringAssert.Contains(output, "| attention | ");
        StringAssert.Contains(output, "| random | ");
        Assert.IsFalse(output.Contains("leave-one-out |", StringComparison.Ordinal), "only the chosen explainers");

        (code, _, error) = CliTests.Run("faithfulness", "--model", CliTests.TrainedModel(), "--data", "sample:poetry-dynasty", "--explainers", "shap");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "'shap'");
        (code, _, error) = CliTests.Run("evaluate", "--model", CliTests.TrainedModel(), "--data", "sample:poetry-dynasty", "--faithfulness", "--ig-steps", "0");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--ig-steps");
    }
}
