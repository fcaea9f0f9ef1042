using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Visualization;
using SkiaSharp;

namespace MLNetAttention.Tests.Visualization;

/// <summary>Looks at the rendered output: HTML screenshots in headless Chromium and the PNG figures' pixels.</summary>
[TestClass]
public sealed class RenderingTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void TheCjkFontReportsAndDrawsItsGlyphs()
    {
        var typeface = FontSet.FindCjkTypeface();
        if (typeface is null) Assert.Inconclusive("No CJK font is installed (scripts/setup.sh installs fonts-noto-cjk).");
        foreach (char c in "漢字明月光鄉")
            Assert.IsTrue(typeface.ContainsGlyph(c), $"{typeface.FamilyName} has no glyph for {c}");
        using (var font = new SKFont(typeface, 48))
            Assert.AreNotEqual((ushort)0, font.GetGlyph('漢'));

        using var bitmap = new SKBitmap(64, 64);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            FontSet.Shared.Draw(canvas, "漢", 32, 50, 48, bold: false, Anchor.Middle, paint);
        }
        int ink = Ink(bitmap, 0, 0, 64, 64);
        Assert.IsTrue(ink > 300, $"only {ink} dark pixels: the glyph was not drawn");
    }

    [TestMethod]
    public void PngFiguresDrawCjkTokensAtTheRequestedScale()
    {
        if (FontSet.FindCjkTypeface() is null) Assert.Inconclusive("No CJK font is installed (scripts/setup.sh installs fonts-noto-cjk).");
        var poem = VisualizationSamples.TwoHeadPoem();
        var options = new FigureOptions { ShowPlot = false, ShowHeatmap = false, TokensPerLine = 30 };
        using var one = SKBitmap.Decode(PngFigure.Render(poem, new FigureOptions { ShowPlot = false, ShowHeatmap = false, TokensPerLine = 30, Scale = 1 }));
        using var two = SKBitmap.Decode(PngFigure.Render(poem, options));
        Assert.AreEqual(one.Width * 2, two.Width, 2);
        Assert.AreEqual(one.Height * 2, two.Height, 2);

        // The first box is the lowest weight's dark purple with the white glyph 床 on it: count the white ink inside it.
        var box = FirstBox(two, ColorMap.Hex(ColorTheme.Viridis, 0));
        int light = 0;
        for (int y = box.Top; y < box.Bottom; y++)
            for (int x = box.Left; x < box.Right; x++)
                if (two.GetPixel(x, y).Red > 200) light++;
        Assert.IsTrue(light > 60, $"only {light} light pixels in the first box {box}: no glyph drawn");
        Assert.IsTrue(Distinct(two) > 100, "the figure has too few colours");
    }

    [TestMethod]
    public void TheHtmlReportScreenshotShowsColouredTokensAndTheLegend()
    {
        string? chromium = Chromium.Find();
        if (chromium is null) Assert.Inconclusive("Chromium is not installed (scripts/setup.sh installs it).");
        string directory = VisualizationSamples.TempDirectory();
        string html = Path.Combine(directory, "report.html"), png = Path.Combine(directory, "report.png");
        var examples = new[]
        {
            VisualizationSamples.TwoHeadPoem("tang", "tang"),
            VisualizationSamples.TwoHeadPoem("song", "tang"),
            VisualizationSamples.English("a <script>alert(1)</script> surprisingly tender and funny film"),
        };
        HtmlReport.Write(html, examples, new HtmlReportOptions { Title = "Screenshot test" });
        Chromium.Screenshot(chromium, html, png);
        using var bitmap = SKBitmap.Decode(png);
        Assert.IsNotNull(bitmap, "the screenshot is not a PNG");
        int colours = Distinct(bitmap);
        Assert.IsTrue(colours > 300, $"only {colours} distinct colours: the page looks blank");
        foreach (string stop in new[] { "#440154", "#fde725", "#26828e" })
            Assert.IsTrue(Has(bitmap, stop, 10), $"the colour map's {stop} is not on the screen");
        Assert.IsTrue(Ink(bitmap, 0, 0, bitmap.Width, bitmap.Height) > 2000, "no text on the screen");
        Keep(directory);
    }

    [TestMethod]
    public void TheHtmlHeatmapColoursEveryHeadOnOneScaleSoAWeakHeadLooksWeak()
    {
        string? chromium = Chromium.Find();
        if (chromium is null) Assert.Inconclusive("Chromium is not installed (scripts/setup.sh installs it).");
        // Head 1 is nearly flat, head 2 puts most of its weight on one token: on per-head scales both would reach the top colour.
        const string text = "a b c d e f g h i j";
        var spans = Enumerable.Range(0, 10).Select(i => (2 * i, 1)).ToArray();
        float[] flat = [0.09f, 0.11f, 0.1f, 0.1f, 0.09f, 0.11f, 0.1f, 0.1f, 0.1f, 0.1f];
        float[] peaked = [0.02f, 0.02f, 0.02f, 0.82f, 0.02f, 0.02f, 0.02f, 0.02f, 0.02f, 0.02f];
        var example = new WeightedText(text, spans, new[] { flat, peaked });
        string directory = VisualizationSamples.TempDirectory();
        string html = Path.Combine(directory, "heatmap.html");
        string page = HtmlReport.Render(new[] { example }, new HtmlReportOptions { ShowPlot = false, HeadLabels = ["flat \"one\"", "<peaked>"] });
        // Reads the centre pixel of every drawn cell back from the canvas, after the report's script drew it.
        const string probe = """
            <script>
            var out = [];
            document.querySelectorAll('.heatmap canvas').forEach(function (c) {
              var g = c.getContext('2d'), s = c.width / parseFloat(c.style.width);
              var label = +c.getAttribute('data-label'), cell = +c.getAttribute('data-cell'), row = +c.getAttribute('data-row');
              var rows = JSON.parse(c.closest('.panel').getAttribute('data-weights'));
              for (var h = 0; h < rows.length; h++)
                for (var i = 0; i < rows[h].length; i++) {
                  var p = g.getImageData(Math.floor((label + (i + 0.5) * cell) * s), Math.floor((h + 0.5) * row * s), 1, 1).data;
                  out.push([h, i, p[0], p[1], p[2]].join(','));
                }
            });
            document.body.insertAdjacentHTML('beforeend', '<pre id="probe">' + out.join(';') + '</pre>');
            </script>
            """;
        File.WriteAllText(html, page.Replace("</body>", probe + "</body>", StringComparison.Ordinal));
        string dom = Chromium.DumpDom(chromium, html);
        var match = System.Text.RegularExpressions.Regex.Match(dom, "<pre id=\"probe\">([0-9,;]+)</pre>");
        Assert.IsTrue(match.Success, "the probe found no heatmap canvas");
        var cells = match.Groups[1].Value.Split(';').Select(c => c.Split(',').Select(int.Parse).ToArray()).ToList();
        Assert.HasCount(20, cells);
        float min = peaked.Concat(flat).Min(), max = peaked.Concat(flat).Max();
        foreach (var cell in cells)
        {
            float weight = (cell[0] == 0 ? flat : peaked)[cell[1]];
            var (r, g, b) = ColorMap.Parse(ColorMap.Hex(ColorTheme.Viridis, (weight - min) / (max - min)));
            Assert.IsTrue(Math.Abs(cell[2] - r) <= 4 && Math.Abs(cell[3] - g) <= 4 && Math.Abs(cell[4] - b) <= 4,
                $"head {cell[0] + 1}, token {cell[1]}: drawn ({cell[2]}, {cell[3]}, {cell[4]}), expected ({r}, {g}, {b}) on the scale of all heads");
        }
        // The flat head's strongest cell stays near the dark end; only the peaked head reaches the top colour.
        var top = ColorMap.Parse(ColorMap.Hex(ColorTheme.Viridis, 1));
        bool IsTop(int[] c) => Math.Abs(c[2] - top.R) <= 4 && Math.Abs(c[3] - top.G) <= 4 && Math.Abs(c[4] - top.B) <= 4;
        Assert.IsFalse(cells.Where(c => c[0] == 0).Any(IsTop), "the flat head was drawn on its own scale");
        Assert.AreEqual(1, cells.Count(IsTop));
        StringAssert.Contains(dom, "one colour scale for all heads");
        Keep(directory);
    }

    [TestMethod]
    public void ReportWriterWritesTheReportAndFiguresOfATrainedModel()
    {
        var train = BundledSamples.ReadTexts("poetry-dynasty.train").Take(600).ToList();
        var test = BundledSamples.ReadTexts("poetry-dynasty.test").Take(12).ToList();
        using var classifier = AttentionClassifier.Train(train, null, new AttentionClassifierOptions
        {
            Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
            Model = new TextClassifierOptions { EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32, Pooling = PoolingKind.MultiHead, Heads = 3 },
            Training = new TrainingOptions { Epochs = 1, Threads = 1, ValidationFraction = 0.1 },
        });
        var predictions = classifier.Predict(test.Select(t => t.Text));
        string directory = VisualizationSamples.TempDirectory();
        bool fonts = FontSet.FindCjkTypeface() is not null;
        try
        {
            var paths = ReportWriter.WriteAll(predictions, test.Select(t => (string?)t.Label).ToList(), directory, "Tang or Song?");
            Assert.AreEqual(3, paths.Count);
            foreach (string path in paths) Assert.IsTrue(new FileInfo(path).Length > 1000, path);
            string html = File.ReadAllText(paths[0]);
            StringAssert.Contains(html, "data-head=\"2\">head 3</button>");
            Assert.AreEqual(test.Count, System.Text.RegularExpressions.Regex.Matches(html, "<section class=\"item").Count);
            System.Xml.Linq.XDocument.Parse(File.ReadAllText(paths[1]));
            string? chromium = Chromium.Find();
            if (chromium is not null) Chromium.Screenshot(chromium, paths[0], Path.Combine(directory, "screenshot.png"), 1200, 1400);
        }
        catch (FontNotFoundException e) when (!fonts)
        {
            StringAssert.Contains(e.Message, "fonts-noto-cjk");
            Assert.IsTrue(File.Exists(Path.Combine(directory, ReportWriter.HtmlFile)));
        }
        Keep(directory);
    }

    /// <summary>Leaves the output for a person to look at when MLNA_KEEP_VIZ names a directory; deletes it otherwise.</summary>
    private void Keep(string directory)
    {
        string? keep = Environment.GetEnvironmentVariable("MLNA_KEEP_VIZ");
        if (string.IsNullOrEmpty(keep))
        {
            Directory.Delete(directory, true);
            return;
        }
        string target = Path.Combine(keep, TestContext.TestName!);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(directory)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), true);
        Directory.Delete(directory, true);
    }

    private static int Ink(SKBitmap bitmap, int left, int top, int right, int bottom)
    {
        int ink = 0;
        for (int y = top; y < bottom; y++)
            for (int x = left; x < right; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 250) ink++;
            }
        return ink;
    }

    private static int Distinct(SKBitmap bitmap)
    {
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
                colours.Add((uint)bitmap.GetPixel(x, y));
        return colours.Count;
    }

    private static bool Has(SKBitmap bitmap, string hex, int tolerance)
    {
        var (r, g, b) = ColorMap.Parse(hex);
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Abs(c.Red - r) <= tolerance && Math.Abs(c.Green - g) <= tolerance && Math.Abs(c.Blue - b) <= tolerance) return true;
            }
        return false;
    }

    /// <summary>The bounding box of the first run of <paramref name="hex"/>-coloured pixels, scanning rows from the top.</summary>
    private static SKRectI FirstBox(SKBitmap bitmap, string hex)
    {
        var (r, g, b) = ColorMap.Parse(hex);
        bool Match(int x, int y) { var c = bitmap.GetPixel(x, y); return Math.Abs(c.Red - r) < 4 && Math.Abs(c.Green - g) < 4 && Math.Abs(c.Blue - b) < 4; }
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
                if (Match(x, y))
                {
                    int right = x, bottom = y;
                    while (right + 1 < bitmap.Width && Match(right + 1, y)) right++;
                    while (bottom + 1 < bitmap.Height && Match(x, bottom + 1)) bottom++;
                    return new SKRectI(x, y, right + 1, bottom + 1);
                }
        Assert.Fail($"no {hex} box in the figure");
        return default;
    }
}
