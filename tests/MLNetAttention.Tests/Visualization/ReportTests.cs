using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Visualization;

[TestClass]
public sealed class ReportTests
{
    [TestMethod]
    public void ColourMapsHaveTheirDocumentedEndsAndTheOriginalHasThirteenSteps()
    {
        Assert.AreEqual("#440154", ColorMap.Hex(ColorTheme.Viridis, 0));
        Assert.AreEqual("#fde725", ColorMap.Hex(ColorTheme.Viridis, 1));
        Assert.AreEqual("#000004", ColorMap.Hex(ColorTheme.Magma, 0));
        Assert.AreEqual(13, ColorMap.Stops(ColorTheme.Original).Count);
        Assert.AreEqual("#f5f5ff", ColorMap.Hex(ColorTheme.Original, 0));
        Assert.AreEqual("#8a0000", ColorMap.Hex(ColorTheme.Original, 1));
        Assert.AreEqual("#ffffff", ColorMap.TextColorOn("#440154"));
        Assert.AreEqual("#000000", ColorMap.TextColorOn("#fde725"));
    }

    [TestMethod]
    public void EqualWeightsGiveValidColoursAndNoNaN()
    {
        var normalized = ColorMap.Normalize(new[] { 0.25f, 0.25f, 0.25f, 0.25f });
        CollectionAssert.AreEqual(new double[4], normalized);
        CollectionAssert.AreEqual(new double[] { 0, 0, 1 }, ColorMap.Normalize(new[] { 1f, float.NaN, 2f }));
        Assert.AreEqual("#440154", ColorMap.Hex(ColorTheme.Viridis, double.NaN));

        var flat = VisualizationSamples.English("one two three four", weights: new[] { 0.25f, 0.25f, 0.25f, 0.25f });
        string html = HtmlReport.Render(new[] { flat });
        string svg = SvgFigure.Render(flat);
        foreach (string output in new[] { html, svg })
        {
            var nan = Regex.Match(output, @"\bNaN\b");
            Assert.IsFalse(nan.Success, nan.Success ? "NaN in the output: " + output.Substring(Math.Max(0, nan.Index - 200), 260) : "");
            Assert.IsFalse(output.Contains("Infinity"), "Infinity in the output");
        }
        StringAssert.Contains(html, "background:#440154");
        Assert.IsTrue(PngFigure.Render(flat).Length > 1000);
    }

    [TestMethod]
    public void HtmlEscapesEveryUserText()
    {
        var review = VisualizationSamples.English("<script>alert('x')</script> a \"quoted\" & <b>bold</b> review", truth: "<img src=x onerror=alert(1)>", predicted: "neg");
        var pair = new WeightedPair(review, VisualizationSamples.English("<script>second</script>")) { TrueLabel = "<i>1</i>", PredictedLabel = "0" };
        string html = HtmlReport.Render(new[] { review }, new[] { pair }, new HtmlReportOptions { Title = "<script>title</script>", Description = "<u>x</u>" });

        Assert.AreEqual(1, Regex.Matches(html, "<script", RegexOptions.IgnoreCase).Count, "only the report's own script element");
        Assert.IsFalse(html.Contains("<img"), "a label was not escaped");
        Assert.IsFalse(html.Contains("<b>bold"), "the text was not escaped");
        Assert.IsFalse(html.Contains("<i>1"), "the pair label was not escaped");
        Assert.IsFalse(html.Contains("<u>"), "the description was not escaped");
        StringAssert.Contains(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
        StringAssert.Contains(html, ">&quot;quoted&quot;</span> <span");
        StringAssert.Contains(html, ">&amp;</span>");
        StringAssert.Contains(html, "<title>&lt;script&gt;title&lt;/script&gt;</title>");
    }

    [TestMethod]
    public void HtmlReportIsOfflineAndFiltersCorrectAndMisclassifiedExamples()
    {
        var examples = new[]
        {
            VisualizationSamples.TwoHeadPoem("tang", "tang"),
            VisualizationSamples.TwoHeadPoem("song", "tang"),
            VisualizationSamples.English("no gold label here", truth: null),
        };
        string html = HtmlReport.Render(examples);
        Assert.IsFalse(Regex.IsMatch(html, "(src|href)=\"(https?:)?//"), "the report references a remote resource");
        Assert.IsFalse(html.Contains("@import"));
        StringAssert.Contains(html, "data-filter=\"correct\">Correct (1)");
        StringAssert.Contains(html, "data-filter=\"wrong\">Misclassified (1)");
        StringAssert.Contains(html, "data-status=\"correct\"");
        StringAssert.Contains(html, "data-status=\"wrong\"");
        StringAssert.Contains(html, "data-status=\"unknown\"");
        StringAssert.Contains(html, "accuracy 0.500 (1 of 2 correct)");
        StringAssert.Contains(html, "<span class=\"bar\"");
    }

    [TestMethod]
    public void MultiHeadExamplesGetTabsAndAHeatmapSingleHeadOnesDoNot()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        string multi = HtmlReport.Render(new[] { poem });
        StringAssert.Contains(multi, "class=\"tabs\"");
        StringAssert.Contains(multi, "data-head=\"mean\"");
        StringAssert.Contains(multi, "data-head=\"1\">head 2</button>");
        StringAssert.Contains(multi, "head × token heatmap");
        Assert.AreEqual(1, Regex.Matches(multi, "<div class=\"heatmap\">").Count);
        StringAssert.Contains(multi, "data-weights=\"[[");
        Assert.AreEqual(poem.Spans.Count, Regex.Matches(multi, "<span class=\"t\"").Count);
        StringAssert.Contains(multi, "title=\"床 · weight ");

        string single = HtmlReport.Render(new[] { VisualizationSamples.English("just one head") });
        Assert.IsFalse(single.Contains("class=\"tabs\""));
        Assert.IsFalse(single.Contains("class=\"heatmap\""));
    }

    [TestMethod]
    public void HeadLabelsNameTheTabsHeatmapRowsAndPlotLegendEscapedAndOnlyForTheirHeadCount()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        string[] labels = ["明 月", "<b>霜</b> & \"x\""];
        string html = HtmlReport.Render(new[] { poem, VisualizationSamples.English("just one head") }, new HtmlReportOptions { HeadLabels = labels });
        StringAssert.Contains(html, "data-head=\"0\">head 1 · 明 月</button>");
        StringAssert.Contains(html, "data-head=\"1\">head 2 · &lt;b&gt;霜&lt;/b&gt; &amp; &quot;x&quot;</button>");
        Assert.IsFalse(html.Contains("<b>霜"), "a head label was not escaped");
        // The heatmap's rows are drawn by the script from JSON in an escaped attribute.
        var attribute = Regex.Match(html, "<div class=\"heatmap\" data-labels=\"([^\"]*)\">");
        Assert.IsTrue(attribute.Success, "no heatmap row labels");
        CollectionAssert.AreEqual(new[] { "head 1 · 明 月", "head 2 · <b>霜</b> & \"x\"" },
            JsonSerializer.Deserialize<string[]>(WebUtility.HtmlDecode(attribute.Groups[1].Value)));
        // The per-head line plot's legend.
        StringAssert.Contains(html, ">head 2 · &lt;b&gt;霜&lt;/b&gt; &amp; &quot;x&quot;</text>");
        Assert.AreEqual(1, Regex.Matches(html, "<script", RegexOptions.IgnoreCase).Count);

        // Labels made for another number of heads are not this text's; without labels the heads are "head k".
        foreach (var options in new[] { new HtmlReportOptions { HeadLabels = ["a", "b", "c"] }, new HtmlReportOptions() })
        {
            string plain = HtmlReport.Render(new[] { poem }, options);
            StringAssert.Contains(plain, "data-head=\"1\">head 2</button>");
            Assert.IsFalse(plain.Contains("head 1 · "), "a label on a head it does not belong to");
            StringAssert.Contains(plain, "<div class=\"heatmap\"></div>");
        }
    }

    [TestMethod]
    public void TheHeaderShowsTheHeadDiversityOnlyWhenGiven()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        var diversity = new HeadDiversity(2);
        diversity.Add(Enumerable.Range(0, 2).Select(h => poem.HeadWeights(h).Select(w => (double)w).ToArray()).ToArray());
        var result = diversity.Result;
        string F(double value, string format = "0.0000") => value.ToString(format, CultureInfo.InvariantCulture);
        Assert.IsGreaterThan(0.001, result.HeadDivergenceFromUniform.Min(), "the sample's figures print with four decimals");

        string html = HtmlReport.Render(new[] { poem }, new HtmlReportOptions { HeadDiversity = result });
        StringAssert.Contains(html, $"<p class=\"diversity\">2 heads over 1 texts: mean divergence from uniform <b>{F(result.MeanDivergenceFromUniform)}</b> nats");
        StringAssert.Contains(html, $" · mean pairwise divergence <b>{F(result.MeanPairwiseDivergence!.Value)}</b> nats");
        StringAssert.Contains(html, $" · head diversity ratio <b>{F(result.DiversityRatio!.Value, "0.00")}</b></p>");
        StringAssert.Contains(html, "their ratio is 0 when the heads are copies of one another and 1 when they differ from each other as much as from uniform weights");
        StringAssert.Contains(html, $"data-head=\"1\" title=\"head 2: mean divergence from uniform weights {F(result.HeadDivergenceFromUniform[1])} nats over 1 texts\">head 2</button>");

        string without = HtmlReport.Render(new[] { poem });
        Assert.IsFalse(without.Contains("class=\"diversity\""));
        Assert.IsFalse(without.Contains("diversity ratio"));

        var english = VisualizationSamples.English("one head and its weights");
        var single = new HeadDiversity(1);
        single.Add(new[] { english.HeadWeights(0).Select(w => (double)w).ToArray() });
        string one = HtmlReport.Render(new[] { english }, new HtmlReportOptions { HeadDiversity = single.Result });
        StringAssert.Contains(one, $"Attention weights over 1 texts: mean Jensen–Shannon divergence from uniform <b>{F(single.Result.MeanDivergenceFromUniform)}</b> nats.");
        Assert.IsFalse(one.Contains("diversity ratio"), "no pairwise figures for one head");
    }

    [TestMethod]
    public void SvgHeatmapRowsAndPlotLegendTakeTheHeadLabels()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        var document = XDocument.Parse(SvgFigure.Render(poem, new FigureOptions { HeadLabels = ["明 月", "<霜>"] }));
        var texts = document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.AreEqual(2, texts.Count(t => t == "head 2 · <霜>"), "the plot legend and the heatmap row");
        Assert.AreEqual(2, texts.Count(t => t == "head 1 · 明 月"));
        Assert.IsTrue(texts.Any(t => t.StartsWith("weight (one scale for all heads)  min ", StringComparison.Ordinal)), "the heatmap's legend says its scale is shared");
        var unlabelled = XDocument.Parse(SvgFigure.Render(poem)).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.AreEqual(2, unlabelled.Count(t => t == "head 2"));
    }

    [TestMethod]
    public void PairsShowBothTextsSideBySide()
    {
        var pair = new WeightedPair(VisualizationSamples.English("how do I reset my password"), VisualizationSamples.English("forgot password help"))
        {
            TrueLabel = "1", PredictedLabel = "1", Probability = 0.9f,
        };
        string html = HtmlReport.Render(Array.Empty<WeightedText>(), new[] { pair });
        StringAssert.Contains(html, "<div class=\"pair\">");
        Assert.AreEqual(2, Regex.Matches(html, "<div class=\"panel\"").Count);
        Assert.AreEqual(9, Regex.Matches(html, "<span class=\"t\"").Count);
        StringAssert.Contains(html, "Text A");
        StringAssert.Contains(html, "Text B");

        var svg = XDocument.Parse(SvgFigure.Render(pair));
        Assert.AreEqual(9, svg.Descendants().Count(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "token"));
    }

    [TestMethod]
    public void SvgIsWellFormedWithOneBoxPerTokenAPolylinePerHeadAndAHeatmap()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        var document = XDocument.Parse(SvgFigure.Render(poem, new FigureOptions { TokensPerLine = 8 }));
        var elements = document.Descendants().ToList();
        Assert.AreEqual("svg", document.Root!.Name.LocalName);
        StringAssert.Contains((string?)document.Root.Attribute("font-family"), "Noto Sans CJK SC");
        StringAssert.Contains((string?)document.Root.Attribute("font-family"), "Noto Sans CJK TC");
        var boxes = elements.Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "token").ToList();
        Assert.AreEqual(poem.Spans.Count, boxes.Count);
        Assert.AreEqual(3, boxes.Select(b => (string?)b.Attribute("y")).Distinct().Count(), "24 tokens at 8 per line wrap onto 3 lines");
        Assert.AreEqual(2, elements.Count(e => e.Name.LocalName == "polyline"));
        Assert.AreEqual(2 * poem.Spans.Count, elements.Count(e => (string?)e.Attribute("class") == "cell"));
        Assert.IsTrue(elements.Any(e => e.Name.LocalName == "text" && e.Value == "床"));

        var nasty = VisualizationSamples.English("a <tag> & \u0001 control \ud800 char");
        var parsed = XDocument.Parse(SvgFigure.Render(new[] { nasty, poem }, new FigureOptions { Title = "<grid>" }));
        Assert.AreEqual(nasty.Spans.Count + poem.Spans.Count, parsed.Descendants().Count(e => (string?)e.Attribute("class") == "token"));
    }

    [TestMethod]
    public void WritersReplaceFilesAtomicallyAndLeaveNoTemporaryFiles()
    {
        string directory = VisualizationSamples.TempDirectory();
        string html = Path.Combine(directory, "report.html"), svg = Path.Combine(directory, "figure.svg");
        File.WriteAllText(html, "old");
        HtmlReport.Write(html, new[] { VisualizationSamples.TwoHeadPoem() });
        SvgFigure.Write(svg, VisualizationSamples.TwoHeadPoem());
        StringAssert.StartsWith(File.ReadAllText(html), "<!DOCTYPE html>");
        StringAssert.StartsWith(File.ReadAllText(svg), "<?xml");
        CollectionAssert.AreEquivalent(new[] { "report.html", "figure.svg" }, Directory.GetFiles(directory).Select(Path.GetFileName).ToArray());
        Directory.Delete(directory, true);
    }

    [TestMethod]
    public void WeightedTextRejectsSpansAndWeightsThatDoNotMatch()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new WeightedText("abc", new[] { (0, 1), (1, 1) }, new[] { 1f }));
        Assert.ThrowsExactly<ArgumentException>(() => new WeightedText("abc", new[] { (1, 1), (0, 1) }, new[] { 0.5f, 0.5f }));
        Assert.ThrowsExactly<ArgumentException>(() => new WeightedText("abc", new[] { (2, 2) }, new[] { 1f }));
        var text = new WeightedText("ab", new[] { (0, 1), (1, 1) }, new float[][] { [0.2f, 0.8f], [0.6f, 0.4f] });
        Assert.AreEqual(2, text.Heads);
        Assert.AreEqual(0.4f, text.Weights[0], 1e-6);
        Assert.IsNull(text.IsCorrect);
    }
}
