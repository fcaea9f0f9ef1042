using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Visualization;

/// <summary>Explainers side by side under a text: the HTML rows and tabs, the SVG/PNG rows, and their one colour scale.</summary>
[TestClass]
public sealed class ExplanationViewTests
{
    private const string NastyName = "<b>leave-one-out</b> & \"x\"";

    // Token 2 ("c") has the largest share of any row in leave-one-out (0.6); attention gives it 0.4, gradient × input 0.25.
    private static readonly float[] Attention = [0.1f, 0.2f, 0.4f, 0.2f, 0.1f];
    private static readonly float[] LeaveOneOut = [0.01f, 0.01f, 0.06f, 0.01f, 0.01f];
    private static readonly float[] Gradient = [-2f, 1f, 1f, 0f, 0f];

    private static WeightedText Explained(string text = "a b c d e") =>
        VisualizationSamples.English(text, weights: Attention).WithExplanations(new[]
        {
            new ExplanationRow("attention", Attention),
            new ExplanationRow(NastyName, LeaveOneOut),
            new ExplanationRow("gradient × input", Gradient),
        });

    // |score| over the sum of |scores|, in single precision as the rows keep them.
    private static double[] Shares(float[] scores)
    {
        double sum = scores.Sum(s => Math.Abs((double)s));
        return scores.Select(s => (double)(float)(Math.Abs(s) / sum)).ToArray();
    }

    // Per explainer row, in page order: each token's background colour and whether it is underlined.
    private static List<List<(string Fill, bool Negative)>> Rows(string html) =>
        Regex.Matches(html, "<div class=\"xrow\" data-explainer=\"\\d+\">(.*?)</div>")
            .Select(row => Regex.Matches(row.Groups[1].Value, "<span class=\"x( neg)?\" style=\"background:(#[0-9a-f]{6});")
                .Select(m => (m.Groups[2].Value, m.Groups[1].Success)).ToList())
            .ToList();

    [TestMethod]
    public void SharesAreTheAbsoluteScoresOverTheirSumAndRowsMustFitTheText()
    {
        var row = new ExplanationRow("gradient × input", Gradient);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f, 0.25f, 0f, 0f }, row.Shares.ToArray());
        CollectionAssert.AreEqual(Gradient, row.Scores.ToArray(), "the scores keep their sign");
        CollectionAssert.AreEqual(new float[3], new ExplanationRow("flat", new float[3]).Shares.ToArray(), "all-zero scores give zero shares, not NaN");
        CollectionAssert.AreEqual(new[] { 0f, 1f }, new ExplanationRow("nan", new[] { float.NaN, 2f }).Shares.ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => new ExplanationRow(" ", Gradient));

        var text = VisualizationSamples.English("a b c d e", weights: Attention);
        Assert.ThrowsExactly<ArgumentException>(() => text.WithExplanations(new[] { new ExplanationRow("short", new float[4]) }));
        Assert.IsFalse(text.HasExplanations);
        Assert.IsFalse(text.WithExplanations(Array.Empty<ExplanationRow>()).HasExplanations);
        var explained = Explained();
        Assert.IsTrue(explained.HasExplanations);
        Assert.AreEqual(text.PredictedLabel, explained.PredictedLabel);
        Assert.AreEqual(text.Probability, explained.Probability);
        CollectionAssert.AreEqual(text.Weights.ToArray(), explained.Weights.ToArray());
    }

    [TestMethod]
    public void TheHtmlHasOneEscapedRowPerExplainerPerTextOnOneColourScale()
    {
        var plain = VisualizationSamples.English("no rows here");
        string html = HtmlReport.Render(new[] { Explained(), plain, Explained("f g h i j") });

        Assert.AreEqual(6, Regex.Matches(html, "<div class=\"xrow\"").Count, "three rows for each of the two texts with rows");
        Assert.AreEqual(2, Regex.Matches(html, "<details class=\"figure explainers\"").Count);
        Assert.AreEqual(2, Regex.Matches(html, "<div class=\"tabs\"").Count, "the text without rows gets no tabs");
        Assert.AreEqual(1, Regex.Matches(html, "<script", RegexOptions.IgnoreCase).Count);
        Assert.IsFalse(html.Contains("<b>leave-one-out"), "an explainer's name was not escaped");
        const string escaped = "&lt;b&gt;leave-one-out&lt;/b&gt; &amp; &quot;x&quot;";
        StringAssert.Contains(html, $"<span class=\"xname\">{escaped}</span>");
        StringAssert.Contains(html, $"data-explainer=\"1\">{escaped}</button>");
        StringAssert.Contains(html, "data-explainer=\"0\">attention</button>");
        StringAssert.Contains(html, "data-head=\"mean\">weights</button>");
        var names = Regex.Match(html, "data-explainer-names=\"([^\"]*)\"");
        CollectionAssert.AreEqual(new[] { "attention", NastyName, "gradient × input" },
            JsonSerializer.Deserialize<string[]>(WebUtility.HtmlDecode(names.Groups[1].Value)));
        StringAssert.Contains(html, "divided by the sum of its |scores| over the text");
        StringAssert.Contains(html, "share one min–max colour scale");

        var rows = Rows(html).Take(3).ToList();
        Assert.IsTrue(rows.All(r => r.Count == 5), "one coloured token per span in every row");
        var shares = new[] { Shares(Attention), Shares(LeaveOneOut), Shares(Gradient) };
        double min = shares.SelectMany(s => s).Min(), max = shares.SelectMany(s => s).Max();
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 5; i++)
                Assert.AreEqual(ColorMap.Hex(ColorTheme.Viridis, (shares[r][i] - min) / (max - min)), rows[r][i].Fill, $"row {r}, token {i}");
        string top = ColorMap.Hex(ColorTheme.Viridis, 1);
        Assert.AreEqual(top, rows[1][2].Fill, "the largest share of all rows gets the top colour");
        Assert.AreNotEqual(top, rows[0][2].Fill, "the same token in a weaker row is not drawn on its own scale");
        Assert.AreNotEqual(top, rows[2][0].Fill, "the gradient row's own largest share (0.5) is below the leave-one-out's 0.6");
        Assert.AreEqual(1, rows.SelectMany(r => r).Count(t => t.Fill == top));
        CollectionAssert.AreEqual(new[] { true, false, false, false, false }, rows[2].Select(t => t.Negative).ToArray(), "the negative score is underlined");
        StringAssert.Contains(html, "title=\"a · gradient × input -2 · share 0.5\"");
    }

    [TestMethod]
    public void WithoutRowsTheReportAndFiguresAreUnchanged()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        var english = VisualizationSamples.English("one two three");
        var none = new[] { poem.WithExplanations(null), english.WithExplanations(Array.Empty<ExplanationRow>()) };
        Assert.AreEqual(HtmlReport.Render(new[] { poem, english }), HtmlReport.Render(none));
        Assert.AreEqual(SvgFigure.Render(new[] { poem, english }), SvgFigure.Render(none));
        string html = HtmlReport.Render(none);
        Assert.IsFalse(html.Contains("class=\"xrow\""));
        Assert.IsFalse(html.Contains("Explainers side by side"));
        Assert.IsFalse(html.Contains("data-explainers=\""));
    }

    [TestMethod]
    public void MultiHeadTabsComeBeforeTheExplainerTabs()
    {
        var poem = VisualizationSamples.TwoHeadPoem();
        var rows = new[]
        {
            new ExplanationRow("attention (head mean)", poem.Weights),
            new ExplanationRow("leave-one-out", poem.Weights.Select((w, i) => i % 3 == 0 ? -w : w).ToArray()),
        };
        string html = HtmlReport.Render(new[] { poem.WithExplanations(rows) });
        var tabs = Regex.Match(html, "<div class=\"tabs\" role=\"tablist\">(.*?)</div>").Groups[1].Value;
        var labels = Regex.Matches(tabs, ">([^<]+)</button>").Select(m => m.Groups[1].Value).ToArray();
        CollectionAssert.AreEqual(new[] { "mean", "head 1", "head 2", "attention (head mean)", "leave-one-out" }, labels);
        Assert.AreEqual(2, Regex.Matches(html, "<div class=\"xrow\"").Count);
        StringAssert.Contains(html, "head × token heatmap");
    }

    [TestMethod]
    public void SvgAndPngDrawOneLabelledRowPerExplainerOnTheSameScale()
    {
        var text = Explained();
        var document = XDocument.Parse(SvgFigure.Render(text));
        var elements = document.Descendants().ToList();
        var boxes = elements.Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "explainer").ToList();
        Assert.HasCount(15, boxes, "five tokens in each of three rows");
        Assert.AreEqual(5, elements.Count(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "token"), "the text itself is drawn once");
        var labels = elements.Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        CollectionAssert.IsSubsetOf(new[] { "attention", NastyName, "gradient × input" }, labels);
        Assert.IsTrue(labels.Any(l => l.StartsWith("share of |score| (all rows)  min ", StringComparison.Ordinal)));
        Assert.IsTrue(labels.Any(l => l.Contains("one colour scale for all rows", StringComparison.Ordinal)));

        var shares = new[] { Shares(Attention), Shares(LeaveOneOut), Shares(Gradient) };
        double min = shares.SelectMany(s => s).Min(), max = shares.SelectMany(s => s).Max();
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 5; i++)
                Assert.AreEqual(ColorMap.Hex(ColorTheme.Viridis, (shares[r][i] - min) / (max - min)), (string?)boxes[r * 5 + i].Attribute("fill"), $"row {r}, token {i}");

        // Off, the figure is the one without rows.
        Assert.AreEqual(SvgFigure.Render(VisualizationSamples.English("a b c d e", weights: Attention)),
            SvgFigure.Render(text, new FigureOptions { ShowExplanations = false }));
        byte[] png = PngFigure.Render(text);
        CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
        Assert.IsGreaterThan(PngFigure.Render(VisualizationSamples.English("a b c d e", weights: Attention)).Length, png.Length, "the rows add to the image");
    }

    [TestMethod]
    public void AnExplainerTabColoursTheTextOnTheRowsScale()
    {
        string? chromium = Chromium.Find();
        if (chromium is null) Assert.Inconclusive("Chromium is not installed (scripts/setup.sh installs it).");
        string directory = VisualizationSamples.TempDirectory();
        string html = Path.Combine(directory, "explainers.html");
        string page = HtmlReport.Render(new[] { Explained() }, new HtmlReportOptions { ShowPlot = false });
        // Clicks the leave-one-out tab, then reads the text's colours and the range caption back.
        const string probe = """
            <script>
            document.querySelector('.tabs button[data-explainer="1"]').click();
            var out = [];
            document.querySelectorAll('.panel .tokens .t').forEach(function (s) { out.push(getComputedStyle(s).backgroundColor); });
            var caption = document.querySelector('.panel .range .which').textContent;
            var active = document.querySelector('.tabs button.active').getAttribute('data-explainer');
            document.body.insertAdjacentHTML('beforeend', '<pre id="probe">' + out.join(';') + '|' + active + '</pre><pre id="caption"></pre>');
            document.getElementById('caption').textContent = caption;
            </script>
            """;
        File.WriteAllText(html, page.Replace("</body>", probe + "</body>", StringComparison.Ordinal));
        string dom = Chromium.DumpDom(chromium, html);
        var match = Regex.Match(dom, "<pre id=\"probe\">([^|]*)\\|(\\d)</pre>");
        Assert.IsTrue(match.Success, "the probe did not run");
        Assert.AreEqual("1", match.Groups[2].Value, "the clicked tab is active");
        var drawn = match.Groups[1].Value.Split(';').Select(c => Regex.Matches(c, "\\d+").Select(m => int.Parse(m.Value)).ToArray()).ToList();
        var expected = Rows(page)[1];
        Assert.HasCount(expected.Count, drawn);
        for (int i = 0; i < drawn.Count; i++)
        {
            var (r, g, b) = ColorMap.Parse(expected[i].Fill);
            Assert.IsTrue(Math.Abs(drawn[i][0] - r) <= 2 && Math.Abs(drawn[i][1] - g) <= 2 && Math.Abs(drawn[i][2] - b) <= 2,
                $"token {i}: drawn ({string.Join(", ", drawn[i])}), expected {expected[i].Fill} as in its row");
        }
        StringAssert.Contains(WebUtility.HtmlDecode(dom), NastyName + ": share of |score|, one scale for all explainers");
        Directory.Delete(directory, true);
    }

    [TestMethod]
    public void HeaderLinksAreEscapedAndRefuseScripts()
    {
        var options = new HtmlReportOptions();
        options.Links.Add(new ReportLink("attention <model>", "attention/explain.html", "per class & more"));
        options.Links.Add(new ReportLink("multihead", "multi head/explain.html?x=1&y=\"2\""));
        string html = HtmlReport.Render(new[] { VisualizationSamples.English("a b") }, options);
        StringAssert.Contains(html, "<nav class=\"links\"><a href=\"attention/explain.html\">attention &lt;model&gt;</a> <span class=\"hint\">per class &amp; more</span> · ");
        StringAssert.Contains(html, "<a href=\"multi head/explain.html?x=1&amp;y=&quot;2&quot;\">multihead</a>");
        Assert.IsFalse(HtmlReport.Render(new[] { VisualizationSamples.English("a b") }).Contains("<nav"), "no links, no list");
        foreach (string href in new[] { "javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:x", "data:text/html,<b>", "vbscript:x" })
            Assert.ThrowsExactly<ArgumentException>(() => new ReportLink("x", href), href);
    }
}
