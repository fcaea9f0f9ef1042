using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MLNetAttention.Visualization;

/// <summary>Options of the <see cref="DatasetAttentionReport"/> outputs.</summary>
public sealed class DatasetAttentionReportOptions
{
    /// <summary>The title of the HTML page, the figure and the JSON document.</summary>
    public string Title { get; set; } = "What the model attends to";

    /// <summary>A line under the title (model, data set), or null for none.</summary>
    public string? Description { get; set; }

    /// <summary>How the bars are coloured (by mean weight per occurrence).</summary>
    public ColorTheme Theme { get; set; } = ColorTheme.Viridis;

    /// <summary>Bars per class in the SVG/PNG figure (and in the HTML page's chart) at most.</summary>
    public int ChartBars { get; set; } = 30;

    /// <summary>Classes side by side in the SVG/PNG figure.</summary>
    public int Columns { get; set; } = 2;

    /// <summary>PNG only: device pixels per SVG unit (2 = high DPI).</summary>
    public float Scale { get; set; } = 2;

    /// <summary>Font size of the figure's labels, in SVG units.</summary>
    public float FontSize { get; set; } = 14;

    internal FigureOptions Figure(bool withTitle = true)
    {
        if (ChartBars < 1) throw new ArgumentOutOfRangeException(nameof(ChartBars), ChartBars, "At least one bar.");
        var figure = new FigureOptions { Theme = Theme, Title = withTitle ? Title : null, Columns = Columns, Scale = Scale, FontSize = FontSize };
        figure.Validate();
        return figure;
    }
}

/// <summary>
/// The outputs of a <see cref="DatasetAttentionSummary"/>: a plain-text table per class, a JSON document, a
/// self-contained offline HTML page (sortable tables per class, each token expanding to its example texts with the token
/// highlighted) and an SVG or PNG bar chart per class of the top tokens by total weight.
/// </summary>
public static class DatasetAttentionReport
{
    private const int TokenColumns = 18;

    /// <summary>
    /// A plain-text table per class: the top tokens by total next to the top tokens by mean, the same for bigrams, and
    /// for a multi-head model each head's leaders on one line. CJK characters count two columns wide.
    /// </summary>
    /// <param name="summary">The summary.</param>
    public static string FormatTable(DatasetAttentionSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var output = new StringBuilder();
        string by = summary.By == ClassGrouping.Predicted ? "predicted" : "true";
        foreach (var c in summary.Classes)
        {
            output.Append(CultureInfo.InvariantCulture,
                $"{FigureLayout.OneLine(c.Label)} ({by}) · {c.Texts:N0} text{(c.Texts == 1 ? "" : "s")} · {c.Tokens:N0} tokens, {c.DistinctTokens:N0} distinct · total weight {c.Mass:0.000}\n");
            if (c.Texts == 0)
            {
                output.Append("  (no text)\n\n");
                continue;
            }
            string minimum = string.Create(CultureInfo.InvariantCulture, $"count ≥ {summary.MinCount}");
            Block(output, "token", $"tokens by total ({minimum})", c.TokensByTotal, $"tokens by mean ({minimum})", c.TokensByMean);
            if (c.DistinctBigrams > 0)
            {
                output.Append('\n');
                Block(output, "bigram", $"bigrams by total ({minimum})", c.BigramsByTotal, $"bigrams by mean ({minimum})", c.BigramsByMean);
            }
            foreach (var head in c.Heads)
            {
                output.Append(CultureInfo.InvariantCulture, $"  head {head.Head + 1}  by total: ").Append(Leaders(head.TokensByTotal, t => t.HeadTotals[head.Head], "0.00"))
                    .Append("  ·  by mean: ").Append(Leaders(head.TokensByMean, t => t.HeadMean(head.Head), "0.000")).Append('\n');
            }
            output.Append('\n');
        }
        if (summary.Approximate)
        {
            long tokens = summary.Classes.Sum(c => c.PrunedTokens), bigrams = summary.Classes.Sum(c => c.PrunedBigrams);
            output.Append(CultureInfo.InvariantCulture,
                $"note: {tokens:N0} token and {bigrams:N0} bigram entries were dropped to bound memory (the largest had {summary.Classes.Max(c => c.LargestPrunedCount):N0} occurrences); counts and totals of entries that came back may be low.\n");
        }
        return output.ToString();
    }

    // Two ranked lists side by side: by total (total, mean, count) | by mean (mean, total, count).
    private static void Block(StringBuilder output, string noun, string leftTitle, IReadOnlyList<TokenAttention> byTotal, string rightTitle, IReadOnlyList<TokenAttention> byMean)
    {
        var left = new List<string[]> { new[] { "#", noun, "total", "mean", "count" } };
        left.AddRange(byTotal.Select((t, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture), Clip(t.Token), F(t.Total, "0.000"), F(t.Mean, "0.0000"), t.Count.ToString("N0", CultureInfo.InvariantCulture) }));
        var right = new List<string[]> { new[] { "#", noun, "mean", "total", "count" } };
        right.AddRange(byMean.Select((t, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture), Clip(t.Token), F(t.Mean, "0.0000"), F(t.Total, "0.000"), t.Count.ToString("N0", CultureInfo.InvariantCulture) }));
        var leftLines = Columns(left);
        var rightLines = Columns(right);
        int leftWidth = Math.Max(DisplayWidth(leftTitle), leftLines.Max(DisplayWidth));
        if (byTotal.Count == 0) leftLines.Add("(none)");
        if (byMean.Count == 0) rightLines.Add("(none)");
        output.Append("  ").Append(Pad(leftTitle, leftWidth)).Append(" │ ").Append(rightTitle).Append('\n');
        for (int i = 0; i < Math.Max(leftLines.Count, rightLines.Count); i++)
        {
            output.Append("  ").Append(Pad(i < leftLines.Count ? leftLines[i] : "", leftWidth)).Append(" │ ");
            output.Append(i < rightLines.Count ? rightLines[i] : "").Append('\n');
        }
    }

    // Aligned columns: the token column to the left, numbers to the right.
    private static List<string> Columns(List<string[]> rows)
    {
        int columns = rows[0].Length;
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => DisplayWidth(r[c]))).ToArray();
        return rows.Select(r => string.Join("  ", r.Select((cell, c) => c == 1 ? Pad(cell, widths[c]) : PadLeft(cell, widths[c])))).ToList();
    }

    private static string Leaders(IReadOnlyList<TokenAttention> list, Func<TokenAttention, double> value, string format) =>
        list.Count == 0 ? "(none)" : string.Join(", ", list.Take(8).Select(t => Clip(t.Token) + " " + F(value(t), format)));

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Clip(string token)
    {
        string text = FigureLayout.OneLine(token);
        if (DisplayWidth(text) <= TokenColumns) return text;
        var clipped = new StringBuilder();
        int width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            int w = RuneWidth(rune);
            if (width + w > TokenColumns - 1) break;
            clipped.Append(rune.ToString());
            width += w;
        }
        return clipped.Append('…').ToString();
    }

    /// <summary>Terminal columns: East Asian wide characters take two, combining marks none.</summary>
    internal static int DisplayWidth(string text)
    {
        int width = 0;
        foreach (var rune in text.EnumerateRunes()) width += RuneWidth(rune);
        return width;
    }

    private static int RuneWidth(Rune rune) =>
        FigureLayout.IsWide(rune.Value) ? 2
        : Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format ? 0 : 1;

    private static string Pad(string text, int width) => text + new string(' ', Math.Max(0, width - DisplayWidth(text)));

    private static string PadLeft(string text, int width) => new string(' ', Math.Max(0, width - DisplayWidth(text))) + text;

    /// <summary>
    /// The summary as an indented JSON document: the grouping and its settings, then per class its counts and the
    /// ranked lists, each entry with its count, texts, total, mean, per-head totals and means (multi-head models) and
    /// its examples (the excerpt, the token's offset and length in it, the text's index, labels and the token's weight).
    /// </summary>
    /// <param name="summary">The summary.</param>
    /// <param name="options">The title and description written with it; null for the defaults.</param>
    public static string ToJson(DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var o = options ?? new DatasetAttentionReportOptions();
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("title", o.Title);
            if (o.Description is not null) json.WriteString("description", o.Description);
            json.WriteString("by", summary.By == ClassGrouping.Predicted ? "predicted" : "true");
            json.WriteNumber("texts", summary.Texts);
            json.WriteNumber("labelledTexts", summary.LabelledTexts);
            json.WriteNumber("heads", summary.Heads);
            json.WriteNumber("top", summary.Top);
            json.WriteNumber("minCount", summary.MinCount);
            json.WriteBoolean("approximate", summary.Approximate);
            json.WriteStartArray("classes");
            foreach (var c in summary.Classes)
            {
                json.WriteStartObject();
                json.WriteString("label", c.Label);
                json.WriteNumber("texts", c.Texts);
                json.WriteNumber("tokens", c.Tokens);
                json.WriteNumber("mass", c.Mass);
                json.WriteNumber("distinctTokens", c.DistinctTokens);
                json.WriteNumber("distinctBigrams", c.DistinctBigrams);
                json.WriteNumber("prunedTokens", c.PrunedTokens);
                json.WriteNumber("prunedBigrams", c.PrunedBigrams);
                json.WriteNumber("largestPrunedCount", c.LargestPrunedCount);
                WriteList(json, "tokensByTotal", c.TokensByTotal, summary.Heads);
                WriteList(json, "tokensByMean", c.TokensByMean, summary.Heads);
                WriteList(json, "bigramsByTotal", c.BigramsByTotal, summary.Heads);
                WriteList(json, "bigramsByMean", c.BigramsByMean, summary.Heads);
                json.WriteStartArray("heads");
                foreach (var head in c.Heads)
                {
                    json.WriteStartObject();
                    json.WriteNumber("head", head.Head + 1);
                    WriteList(json, "tokensByTotal", head.TokensByTotal, summary.Heads);
                    WriteList(json, "tokensByMean", head.TokensByMean, summary.Heads);
                    WriteList(json, "bigramsByTotal", head.BigramsByTotal, summary.Heads);
                    WriteList(json, "bigramsByMean", head.BigramsByMean, summary.Heads);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<TokenAttention> list, int heads)
    {
        json.WriteStartArray(name);
        foreach (var t in list)
        {
            json.WriteStartObject();
            json.WriteString("token", t.Token);
            if (t.IsBigram)
            {
                json.WriteStartArray("parts");
                foreach (string part in t.Parts) json.WriteStringValue(part);
                json.WriteEndArray();
            }
            json.WriteNumber("count", t.Count);
            json.WriteNumber("texts", t.Texts);
            json.WriteNumber("total", t.Total);
            json.WriteNumber("mean", t.Mean);
            if (heads > 1)
            {
                json.WriteStartArray("headTotals");
                foreach (double v in t.HeadTotals) json.WriteNumberValue(v);
                json.WriteEndArray();
                json.WriteStartArray("headMeans");
                for (int h = 0; h < t.HeadTotals.Count; h++) json.WriteNumberValue(t.HeadMean(h));
                json.WriteEndArray();
            }
            json.WriteStartArray("examples");
            foreach (var e in t.Examples)
            {
                json.WriteStartObject();
                json.WriteNumber("textIndex", e.TextIndex);
                json.WriteString("text", e.Text);
                json.WriteNumber("offset", e.Offset);
                json.WriteNumber("length", e.Length);
                json.WriteNumber("start", e.Start);
                json.WriteBoolean("cutBefore", e.CutBefore);
                json.WriteBoolean("cutAfter", e.CutAfter);
                json.WriteNumber("weight", e.Weight);
                json.WriteString("predicted", e.PredictedLabel);
                json.WriteNumber("probability", e.Probability);
                if (e.TrueLabel is null) json.WriteNull("truth");
                else json.WriteString("truth", e.TrueLabel);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>The self-contained, offline HTML page (inline CSS, script and SVG; all text HTML-escaped).</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string ToHtml(DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return DatasetAttentionHtml.Render(summary, options ?? new DatasetAttentionReportOptions());
    }

    /// <summary>The bar chart (top tokens by total weight, coloured by mean weight; one panel per class) as SVG.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string ToSvg(DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var o = options ?? new DatasetAttentionReportOptions();
        var figure = o.Figure();
        return SvgFigure.ToSvg(DatasetAttentionChart.Figure(summary, figure, o.ChartBars, FigureLayout.EstimateWidth), figure.FontFamily);
    }

    /// <summary>
    /// The bar chart as PNG bytes, drawn with SkiaSharp. CJK tokens need an installed CJK font (fonts-noto-cjk); without
    /// one this throws <see cref="FontNotFoundException"/>.
    /// </summary>
    /// <param name="summary">The summary.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static byte[] ToPng(DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var o = options ?? new DatasetAttentionReportOptions();
        var figure = o.Figure();
        var fonts = FontSet.Shared;
        return PngFigure.Rasterize(DatasetAttentionChart.Figure(summary, figure, o.ChartBars, fonts.Measure), figure.Scale, fonts);
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteJson(string path, DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null) =>
        AtomicFile.WriteAllText(path, ToJson(summary, options));

    /// <summary>Writes <see cref="ToHtml"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteHtml(string path, DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null) =>
        AtomicFile.WriteAllText(path, ToHtml(summary, options));

    /// <summary>Writes <see cref="ToSvg"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteSvg(string path, DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null) =>
        AtomicFile.WriteAllText(path, ToSvg(summary, options));

    /// <summary>Writes <see cref="ToPng"/> to <paramref name="path"/> atomically.</summary>
    public static void WritePng(string path, DatasetAttentionSummary summary, DatasetAttentionReportOptions? options = null)
    {
        byte[] png = ToPng(summary, options);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
