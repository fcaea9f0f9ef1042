using MLNetAttention.Data;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Cli;

/// <summary>The demo's data set view of a model, written by the library for the model the CLI tests train, and linked from a report.</summary>
[TestClass]
public sealed class DatasetViewTests
{
    [TestMethod]
    public void TheDatasetViewOfTheTestPoemsHasBothClassesAndIsLinkedFromTheReport()
    {
        using var classifier = AttentionClassifier.Load(CliTests.TrainedModel());
        var test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();
        var predictions = classifier.Predict(test.Select(e => e.Text));
        string directory = Path.Combine(Path.GetTempPath(), "mlna-cli-tests", Guid.NewGuid().ToString("N"));
        var view = ReportWriter.WriteDatasetView(predictions, test.Select(e => (string?)e.Label).ToArray(), Path.Combine(directory, "attention"),
            new DatasetAttentionReportOptions { Title = "What the <attention> model attends to" }, ClassGrouping.Predicted, top: 20, minCount: 3);

        Assert.AreEqual(Path.Combine(directory, "attention", ReportWriter.DatasetHtmlFile), view.Html);
        Assert.AreEqual("explain.html", Path.GetFileName(view.Html));
        Assert.IsTrue(File.Exists(view.Html) && File.Exists(view.Svg));
        Assert.IsTrue(view.Png is null ? view.PngSkipped is not null : File.Exists(view.Png) && view.PngSkipped is null, "the PNG is written or its absence explained");
        Assert.AreEqual(800, view.Summary.Texts);
        CollectionAssert.AreEquivalent(new[] { "song", "tang" }, view.Summary.Classes.Select(c => c.Label).ToArray());
        Assert.AreEqual(800, view.Summary.Classes.Sum(c => c.Texts));
        Assert.AreEqual(3, view.Summary.MinCount);
        string page = File.ReadAllText(view.Html);
        foreach (string label in new[] { "tang", "song" }) StringAssert.Contains(page, "<h2>" + label);
        StringAssert.Contains(page, "What the &lt;attention&gt; model attends to");
        StringAssert.Contains(page, "800 texts grouped by their predicted class");

        var link = view.LinkFrom(directory, "attention model: what it attends to");
        Assert.AreEqual("attention/explain.html", link.Href);
        Assert.IsTrue(File.Exists(Path.Combine(directory, link.Href)), "the link resolves from the report's directory");
        var options = new HtmlReportOptions();
        options.Links.Add(link);
        string report = HtmlReport.Render(predictions.Take(3).Select((p, i) => WeightedText.FromPrediction(p, test[i].Label)), options);
        StringAssert.Contains(report, "<a href=\"attention/explain.html\">attention model: what it attends to</a>");
        Directory.Delete(directory, recursive: true);
    }
}
