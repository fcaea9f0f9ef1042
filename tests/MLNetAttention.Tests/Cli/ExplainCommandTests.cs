using System.Text.Json;
using System.Xml.Linq;

namespace MLNetAttention.Tests.Cli;

/// <summary>mlnet-attention explain through the built tool, on the small poetry model the other CLI tests train.</summary>
[TestClass]
public sealed class ExplainCommandTests
{
    [TestMethod]
    public void JsonTotalsOfEachClassAddUpToTheTextsPredictedAsIt()
    {
        string model = CliTests.TrainedModel();
        var (code, output, error) = CliTests.Run("explain", "--model", model, "--data", "sample:poetry-dynasty", "--json",
            "--top", "100000", "--min-count", "1", "--examples", "1");
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "explained 800 texts from bundled sample poetry-dynasty in ");
        StringAssert.Contains(error, "texts/s)");
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.AreEqual("predicted", root.GetProperty("by").GetString());
        Assert.AreEqual(800, root.GetProperty("texts").GetInt32());
        Assert.AreEqual(1, root.GetProperty("heads").GetInt32());
        Assert.IsFalse(root.GetProperty("approximate").GetBoolean());
        var classes = root.GetProperty("classes").EnumerateArray().ToList();
        CollectionAssert.AreEquivalent(new[] { "song", "tang" }, classes.Select(c => c.GetProperty("label").GetString()).ToArray());
        Assert.AreEqual(800, classes.Sum(c => c.GetProperty("texts").GetInt32()), "every text is in one predicted class");
        foreach (var c in classes)
        {
            int texts = c.GetProperty("texts").GetInt32();
            var tokens = c.GetProperty("tokensByTotal").EnumerateArray().ToList();
            Assert.AreEqual(c.GetProperty("distinctTokens").GetInt32(), tokens.Count, "--top 100000 --min-count 1 lists every token");
            // Each text's weights sum to 1, so the class's token totals sum to its number of texts.
            Assert.AreEqual(texts, tokens.Sum(t => t.GetProperty("total").GetDouble()), 1e-3 * texts + 1e-6);
            Assert.AreEqual(texts, c.GetProperty("mass").GetDouble(), 1e-3 * texts + 1e-6);
            Assert.AreEqual(c.GetProperty("tokens").GetInt64(), tokens.Sum(t => t.GetProperty("count").GetInt64()));
            double previous = double.MaxValue;
            foreach (var t in tokens)
            {
                double total = t.GetProperty("total").GetDouble();
                Assert.IsLessThanOrEqualTo(previous, total, "sorted by total");
                previous = total;
                Assert.AreEqual(total / t.GetProperty("count").GetInt64(), t.GetProperty("mean").GetDouble(), 1e-9);
                var example = t.GetProperty("examples").EnumerateArray().Single();
                string text = example.GetProperty("text").GetString()!;
                Assert.AreEqual(t.GetProperty("token").GetString(),
                    text.Substring(example.GetProperty("offset").GetInt32(), example.GetProperty("length").GetInt32()), "the example locates the token");
                Assert.AreEqual(c.GetProperty("label").GetString(), example.GetProperty("predicted").GetString());
            }
        }
    }

    [TestMethod]
    public void TableHtmlSvgAndPngFromTheOnnxFileByTrueClass()
    {
        string model = CliTests.TrainedModel();
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string html = Path.Combine(directory, "explain.html"), svg = Path.Combine(directory, "explain.svg"), png = Path.Combine(directory, "explain.png");
        var (code, output, error) = CliTests.Run("explain", "--model", Path.Combine(model, "model.onnx"), "--data", "sample:poetry-dynasty",
            "--by", "true", "--limit", "200", "--top", "5", "--min-count", "3", "--html", html, "--svg", svg, "--png", png);
        Assert.AreEqual(0, code, error);
        StringAssert.Contains(error, "explained 200 texts");
        foreach (string label in new[] { "tang", "song" })
            StringAssert.Contains(output, $"{label} (true) · ");
        StringAssert.Contains(output, "tokens by total (count ≥ 3)");
        StringAssert.Contains(output, "bigrams by mean (count ≥ 3)");
        var header = output.Split('\n').First(l => l.Contains("#  token", StringComparison.Ordinal));
        StringAssert.Contains(header, "total");
        StringAssert.Contains(header, "mean");
        StringAssert.Contains(header, "count");
        var ranked = output.Split('\n').Where(l => l.TrimStart().StartsWith("5  ", StringComparison.Ordinal)).ToList();
        Assert.IsNotEmpty(ranked, "five tokens per list");
        Assert.IsFalse(output.Split('\n').Any(l => l.TrimStart().StartsWith("6  ", StringComparison.Ordinal)), "--top 5");

        string page = File.ReadAllText(html);
        StringAssert.Contains(page, "<table class=\"sortable\">");
        StringAssert.Contains(page, "<mark>");
        StringAssert.Contains(page, "200 texts grouped by their true class");
        var chart = XDocument.Parse(File.ReadAllText(svg));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.HasCount(10, chart.Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "bar"), "five bars for each of the two classes");
        StringAssert.Contains(error, $"wrote {png}");
        CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(png).Take(4).ToArray());
        Directory.Delete(directory, recursive: true);
    }

    [TestMethod]
    public void BadSettingsAndMissingDataGetTheirExitCodes()
    {
        string model = CliTests.TrainedModel();
        var (code, _, error) = CliTests.Run("explain", "--model", model, "--data", "sample:poetry-dynasty", "--top", "0");
        Assert.AreEqual(1, code, error);
        StringAssert.Contains(error, "--top must be at least 1");
        (code, _, error) = CliTests.Run("explain", "--model", model, "--data", "sample:poetry-dynasty", "--by", "gold");
        Assert.AreEqual(1, code, error);
        (code, _, error) = CliTests.Run("explain", "--model", model, "--data", Path.Combine(Path.GetTempPath(), "no-such-file.jsonl"));
        Assert.AreEqual(2, code, error);
        (code, _, error) = CliTests.Run("explain", "--model", Path.Combine(Path.GetTempPath(), "no-such-model"), "--data", "sample:poetry-dynasty");
        Assert.AreEqual(3, code, error);
    }
}
