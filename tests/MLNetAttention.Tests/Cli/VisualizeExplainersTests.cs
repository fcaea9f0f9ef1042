using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNetAttention.Data;

namespace MLNetAttention.Tests.Cli;

/// <summary>visualize --explainers through the built tool, on the small poetry model the other CLI tests train.</summary>
[TestClass]
public sealed class VisualizeExplainersTests
{
    private static (string Directory, string Input) ThreePoems()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string input = Path.Combine(directory, "poems.jsonl");
        File.WriteAllLines(input, BundledSamples.ReadTexts("poetry-dynasty.test").Take(3)
            .Select(e => JsonSerializer.Serialize(new { text = e.Text, label = e.Label })));
        return (directory, input);
    }

    private static string[] RowNames(string html) =>
        Regex.Matches(html, "<div class=\"xrow\" data-explainer=\"\\d+\"><span class=\"xname\">([^<]*)</span>").Select(m => m.Groups[1].Value).ToArray();

    [TestMethod]
    public void AllExplainersFromTheModelDirectoryInTheReportAndTheFigure()
    {
        string model = CliTests.TrainedModel();
        var (directory, input) = ThreePoems();
        string html = Path.Combine(directory, "report.html");
        var (code, _, error) = CliTests.Run("visualize", "--model", model, "--input", input, "--out", html, "--explainers", "all", "--ig-steps", "5");
        Assert.AreEqual(0, code, error);
        string page = File.ReadAllText(html);
        string[] each = ["attention", "leave-one-out", "gradient × input", "integrated gradients"];
        CollectionAssert.AreEqual(Enumerable.Repeat(each, 3).SelectMany(n => n).ToArray(), RowNames(page), "four rows under each of the three poems, attention first");
        Assert.AreEqual(3, Regex.Matches(page, "data-explainer=\"3\">integrated gradients</button>").Count, "each poem has a tab per explainer");
        StringAssert.Contains(page, "Explainers side by side");

        // Without the flag, today's report.
        (code, _, error) = CliTests.Run("visualize", "--model", model, "--input", input, "--out", html);
        Assert.AreEqual(0, code, error);
        Assert.IsEmpty(RowNames(File.ReadAllText(html)));

        string svg = Path.Combine(directory, "figure.svg");
        (code, _, error) = CliTests.Run("visualize", "--model", model, "--input", input, "--format", "svg", "--out", svg,
            "--explainers", "integrated-gradients", "--explainers", "leave-one-out");
        Assert.AreEqual(0, code, error);
        var elements = XDocument.Parse(File.ReadAllText(svg)).Descendants().ToList();
        int tokens = elements.Count(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "token");
        Assert.AreEqual(2 * tokens, elements.Count(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "explainer"), "two rows of every poem's tokens");
        var labels = elements.Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.AreEqual(3, labels.Count(l => l == "leave-one-out"));
        Assert.AreEqual(3, labels.Count(l => l == "integrated gradients"));
        Directory.Delete(directory, recursive: true);
    }

    [TestMethod]
    public void AnOnnxFileExplainsWithAttentionAndLeaveOneOutAndRefusesGradients()
    {
        string onnx = Path.Combine(CliTests.TrainedModel(), "model.onnx");
        var (directory, input) = ThreePoems();
        string html = Path.Combine(directory, "report.html");
        var (code, _, error) = CliTests.Run("visualize", "--model", onnx, "--input", input, "--out", html, "--explainers", "all");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "attention and leave-one-out");
        CollectionAssert.AreEqual(Enumerable.Repeat(new[] { "attention", "leave-one-out" }, 3).SelectMany(n => n).ToArray(), RowNames(File.ReadAllText(html)));

        foreach (string asked in new[] { "gradient-x-input", "attention,integrated-gradients" })
        {
            string refused = Path.Combine(directory, "refused.html");
            (code, _, error) = CliTests.Run("visualize", "--model", onnx, "--input", input, "--out", refused, "--explainers", asked);
            Assert.AreEqual(1, code, error);
            StringAssert.Contains(error, "--explainers ");
            StringAssert.Contains(error, "needs the model directory");
            Assert.IsFalse(File.Exists(refused), "nothing is written on a usage error");
        }

        (code, _, error) = CliTests.Run("visualize", "--model", onnx, "--input", input, "--out", html, "--explainers", "saliency");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "choose from attention, leave-one-out, gradient-x-input, integrated-gradients, all or none");
        (code, _, error) = CliTests.Run("visualize", "--model", onnx, "--input", input, "--format", "ansi", "--explainers", "attention");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--format ansi");
        (code, _, error) = CliTests.Run("visualize", "--model", onnx, "--input", input, "--out", html, "--explainers", "all", "--ig-steps", "0");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--ig-steps");
        Directory.Delete(directory, recursive: true);
    }
}
