using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Visualization;
using SkiaSharp;

namespace MLNetAttention.Tests.Visualization;

/// <summary>The pair view of matcher predictions: both sentences' weights, the cross-attention alignment heatmap, match / no match.</summary>
[TestClass]
public sealed class PairViewTests
{
    private const string First = "床前明月光", Second = "疑是地上霜";

    private static readonly List<PairExample> Pairs = BundledSamples.ReadPairs("couplet-match.train").Take(300).ToList();
    private static readonly Lazy<MatchPrediction> CrossPrediction = new(() => PredictWith(MatcherKind.Cross));
    private static readonly Lazy<MatchPrediction> SiamesePrediction = new(() => PredictWith(MatcherKind.Siamese));

    public TestContext TestContext { get; set; } = null!;

    // A tiny matcher, one epoch on 300 couplet pairs (about a second): the view needs its output's shape, not its accuracy.
    internal static AttentionMatcher TinyMatcher(MatcherKind kind) => AttentionMatcher.Train(Pairs, null, new AttentionMatcherOptions
    {
        Tokenizer = new MLNetAttention.Text.AttentionTokenizerOptions { MinFrequency = 1 },
        Model = new TextMatcherOptions { Kind = kind, EmbeddingDim = 16, AttentionHiddenDim = 16, DenseDim = 16, ProjectionDim = 16 },
        Training = new TrainingOptions { Epochs = 1, Threads = 1 },
    });

    private static MatchPrediction PredictWith(MatcherKind kind)
    {
        using var matcher = TinyMatcher(kind);
        return matcher.Predict(First, Second);
    }

    private static List<XElement> Elements(string svg, string name) =>
        XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == name).ToList();

    [TestMethod]
    public void ACrossMatcherPredictionCarriesItsAlignmentIntoThePairView()
    {
        var prediction = CrossPrediction.Value;
        Assert.IsNotNull(prediction.Alignment);
        var pair = WeightedPair.FromPrediction(prediction, "1");
        Assert.AreSame(prediction.Alignment, pair.Alignment);
        Assert.AreEqual(First.Length, pair.Alignment!.GetLength(0));
        Assert.AreEqual(Second.Length, pair.Alignment.GetLength(1));
    }

    [TestMethod]
    public void TheSvgHeatmapHasOneSquareCellPerTokenPairAndBothSentencesTokensAsLabels()
    {
        var pair = WeightedPair.FromPrediction(CrossPrediction.Value, "1");
        string svg = SvgFigure.Render(pair);
        var cells = Elements(svg, "rect").Where(e => (string?)e.Attribute("class") == "align").ToList();
        Assert.AreEqual(First.Length * Second.Length, cells.Count);
        Assert.IsTrue(cells.All(c => (string?)c.Attribute("width") == (string?)c.Attribute("height")), "alignment cells are square");
        // Hover: the first cell names both tokens and its exact weight.
        string expected = string.Create(CultureInfo.InvariantCulture, $"床 → 疑 · weight {pair.Alignment![0, 0]:0.######}");
        Assert.AreEqual(expected, cells[0].Value);

        // Axis labels are the heatmap's small text (0.7 of the font size), apart from the token boxes' text.
        var labels = Elements(svg, "text").Where(e => (string?)e.Attribute("font-size") == "11.2").Select(e => e.Value).ToList();
        foreach (char token in First + Second)
            CollectionAssert.Contains(labels, token.ToString(), $"no axis label {token}");
        StringAssert.Contains(svg, "alignment: how each token of A attends over B");
    }

    [TestMethod]
    public void TheHtmlReportHasTheAlignmentTableWithHoverValues()
    {
        var pair = WeightedPair.FromPrediction(CrossPrediction.Value, "1");
        string html = HtmlReport.Render(Array.Empty<WeightedText>(), new[] { pair });
        StringAssert.Contains(html, "<table class=\"alignment\">");
        string table = html[html.IndexOf("<table class=\"alignment\">", StringComparison.Ordinal)..html.IndexOf("</table>", StringComparison.Ordinal)];
        Assert.AreEqual(First.Length * Second.Length, Regex.Matches(table, "<td ").Count);
        var rows = Regex.Matches(table, "<th class=\"row\" scope=\"row\">(.*?)</th>").Select(m => m.Groups[1].Value);
        var columns = Regex.Matches(table, "<th class=\"col\" scope=\"col\">(.*?)</th>").Select(m => m.Groups[1].Value);
        CollectionAssert.AreEqual(First.Select(c => c.ToString()).ToArray(), rows.ToArray());
        CollectionAssert.AreEqual(Second.Select(c => c.ToString()).ToArray(), columns.ToArray());
        StringAssert.Contains(table, string.Create(CultureInfo.InvariantCulture, $"title=\"光 → 霜 · weight {pair.Alignment![4, 4]:0.######}\""));
    }

    [TestMethod]
    public void ThePngHasTheLaidOutSizeAndTheHeatmapAddsAboutItsSquareHeight()
    {
        if (FontSet.FindCjkTypeface() is null) Assert.Inconclusive("No CJK font is installed (scripts/setup.sh installs fonts-noto-cjk).");
        var pair = WeightedPair.FromPrediction(CrossPrediction.Value, "1");
        var options = new FigureOptions { Scale = 2 };
        using var withMap = SKBitmap.Decode(PngFigure.Render(pair, options));
        using var without = SKBitmap.Decode(PngFigure.Render(pair, new FigureOptions { Scale = 2, ShowHeatmap = false }));
        var scene = FigureLayout.Frame(FigureLayout.Pair(pair, options, FontSet.Shared.Measure), options, FontSet.Shared.Measure);
        Assert.AreEqual((int)Math.Ceiling(scene.Width * 2), withMap.Width);
        Assert.AreEqual((int)Math.Ceiling(scene.Height * 2), withMap.Height);
        // 5 rows of square cells (at most 1.5 × 16 units each) plus labels and the colour bar, at 2 pixels per unit.
        int added = withMap.Height - without.Height;
        Assert.IsTrue(added >= 5 * 24 * 2 && added <= 5 * 24 * 2 + 200, $"the heatmap added {added} pixels of height");
        TestContext.WriteLine($"pair PNG {withMap.Width} × {withMap.Height} with the alignment, {without.Width} × {without.Height} without");
    }

    [TestMethod]
    public void PairLabelsReadMatchAndNoMatch()
    {
        var pair = WeightedPair.FromPrediction(CrossPrediction.Value, CrossPrediction.Value.IsMatch ? "0" : "1");
        string predicted = CrossPrediction.Value.IsMatch ? "match" : "no match", truth = CrossPrediction.Value.IsMatch ? "no match" : "match";
        Assert.AreEqual(CrossPrediction.Value.Label, pair.PredictedLabel, "the pair keeps the machine-readable label");
        Assert.IsFalse(pair.IsCorrect!.Value);

        var label = Elements(SvgFigure.Render(pair), "text").First().Value;
        StringAssert.StartsWith(label, $"true: {truth} · predicted: {predicted} (");
        StringAssert.EndsWith(label, "misclassified");
        string html = HtmlReport.Render(Array.Empty<WeightedText>(), new[] { pair });
        StringAssert.Contains(html, $"<span>true: <b>{truth}</b></span>");
        StringAssert.Contains(html, $"predicted: <b>{predicted}</b>");
        Assert.AreEqual("match", MatchPrediction.NameOf("1"));
        Assert.AreEqual("no match", MatchPrediction.NameOf("0"));
        Assert.AreEqual("paraphrase", MatchPrediction.NameOf("paraphrase"));
    }

    [TestMethod]
    public void ANonCrossPredictionDrawsNoAlignment()
    {
        var prediction = SiamesePrediction.Value;
        Assert.IsNull(prediction.Alignment);
        var pair = WeightedPair.FromPrediction(prediction);
        Assert.IsNull(pair.Alignment);
        string svg = SvgFigure.Render(pair);
        Assert.IsFalse(svg.Contains("class=\"align\"", StringComparison.Ordinal));
        Assert.IsFalse(svg.Contains("alignment", StringComparison.Ordinal));
        string html = HtmlReport.Render(Array.Empty<WeightedText>(), new[] { pair });
        Assert.IsFalse(html.Contains("<table class=\"alignment\">", StringComparison.Ordinal));
        Assert.AreEqual(First.Length + Second.Length, Regex.Matches(html, "<span class=\"t\"").Count);
        if (FontSet.FindCjkTypeface() is not null)
        {
            var options = new FigureOptions();
            using var png = SKBitmap.Decode(PngFigure.Render(pair, options));
            var scene = FigureLayout.Frame(FigureLayout.Pair(pair, options, FontSet.Shared.Measure), options, FontSet.Shared.Measure);
            Assert.AreEqual((int)Math.Ceiling(scene.Height * options.Scale), png.Height);
        }
    }

    [TestMethod]
    public void LongTokensReadUpwardsAndLongSentencesAreLabelledByIndex()
    {
        var a = VisualizationSamples.English("how do I reset my password");
        var b = VisualizationSamples.English("forgot password help");
        var pair = new WeightedPair(a, b) { Alignment = Uniform(a.Spans.Count, b.Spans.Count) };
        string svg = SvgFigure.Render(pair);
        var upwards = Elements(svg, "text").Where(e => ((string?)e.Attribute("transform"))?.StartsWith("rotate(-90 ", StringComparison.Ordinal) == true).ToList();
        CollectionAssert.AreEqual(new[] { "forgot", "password", "help" }, upwards.Select(e => e.Value).ToArray());
        Assert.AreEqual(18, Elements(svg, "rect").Count(e => (string?)e.Attribute("class") == "align"));

        string words = string.Join(' ', Enumerable.Range(0, 60).Select(i => "w" + i.ToString(CultureInfo.InvariantCulture)));
        var longA = VisualizationSamples.English(words);
        var longPair = new WeightedPair(longA, longA) { Alignment = Uniform(60, 60) };
        string longSvg = SvgFigure.Render(longPair);
        Assert.AreEqual(3600, Elements(longSvg, "rect").Count(e => (string?)e.Attribute("class") == "align"));
        var labels = Elements(longSvg, "text").Where(e => (string?)e.Attribute("font-size") == "11.2").Select(e => e.Value).ToList();
        CollectionAssert.Contains(labels, "50");
        CollectionAssert.DoesNotContain(labels, "w50", "60 tokens are too many to label each");

        // The HTML table stops at 64 × 64 cells: past that a pair would add megabytes to the page.
        StringAssert.Contains(HtmlReport.Render(Array.Empty<WeightedText>(), new[] { longPair }), "<table class=\"alignment\">");
        var longer = VisualizationSamples.English(string.Join(' ', Enumerable.Range(0, 70).Select(i => "w" + i.ToString(CultureInfo.InvariantCulture))));
        string page = HtmlReport.Render(Array.Empty<WeightedText>(), new[] { new WeightedPair(longer, longer) { Alignment = Uniform(70, 70) } });
        Assert.IsFalse(page.Contains("<table class=\"alignment\">", StringComparison.Ordinal));
        StringAssert.Contains(page, "alignment 70 × 70: too many cells for the page");
    }

    [TestMethod]
    public void AnAlignmentOfTheWrongShapeIsRejected()
    {
        var a = VisualizationSamples.English("one two three");
        var b = VisualizationSamples.English("four five");
        var error = Assert.ThrowsExactly<ArgumentException>(() => new WeightedPair(a, b) { Alignment = Uniform(2, 3) });
        StringAssert.Contains(error.Message, "2 × 3 for 3 × 2 tokens");
    }

    [TestMethod]
    public void TheTerminalGridShadesEachCellAndNamesTheBestAlignedToken()
    {
        var alignment = new float[,] { { 0.7f, 0.2f, 0.1f }, { 0.1f, 0.1f, 0.8f } };
        string plain = AnsiRenderer.RenderAlignment(new[] { "明", "月" }, new[] { "地", "上", "霜" }, alignment, color: false);
        var lines = plain.Split(Environment.NewLine);
        Assert.AreEqual(3, lines.Length);
        Assert.AreEqual("   地上霜", lines[0]);
        StringAssert.StartsWith(lines[1], "明 ▓▓");
        StringAssert.EndsWith(lines[1], "→ 地 0.70");
        StringAssert.EndsWith(lines[2], "→ 霜 0.80");
        Assert.IsFalse(plain.Contains('\u001b'), "no escape codes without colour");

        string colored = AnsiRenderer.RenderAlignment(new[] { "明", "月" }, new[] { "地", "上", "霜" }, alignment, color: true);
        StringAssert.Contains(colored, $"\u001b[48;5;{AnsiRenderer.Palette[^1]}m  ");
        StringAssert.Contains(colored, "\u001b[0m → 霜 0.80");

        string words = AnsiRenderer.RenderAlignment(new[] { "reset" }, new[] { "forgot", "password" }, new float[,] { { 0.4f, 0.6f } }, color: false);
        StringAssert.StartsWith(words.Split(Environment.NewLine)[0], "      0 1   (columns: tokens of text 2 by index)");
        StringAssert.EndsWith(words, "→ password 0.60");
    }

    private static float[,] Uniform(int rows, int columns)
    {
        var values = new float[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) values[i, j] = (1f + (i + j) % 3) / (columns * 2f);
        return values;
    }
}
