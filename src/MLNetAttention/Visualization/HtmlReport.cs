using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MLNetAttention.Visualization;

/// <summary>Options of <see cref="HtmlReport"/>.</summary>
public sealed class HtmlReportOptions
{
    /// <summary>The page title and heading.</summary>
    public string Title { get; set; } = "Attention weights";

    /// <summary>A line under the title (model, data set), or null for none.</summary>
    public string? Description { get; set; }

    /// <summary>How weights are coloured.</summary>
    public ColorTheme Theme { get; set; } = ColorTheme.Viridis;

    /// <summary>Show the head × token heatmap of multi-head examples and the alignment table of cross-attention pairs.</summary>
    public bool ShowHeatmap { get; set; } = true;

    /// <summary>Add the per-head line plot (weight against token index) under each example, folded.</summary>
    public bool ShowPlot { get; set; } = true;

    /// <summary>Examples (texts plus pairs) written at most; the rest are counted in the summary line.</summary>
    public int MaxExamples { get; set; } = 500;

    /// <summary>
    /// Per head, a short label (such as the head's top tokens, <see cref="HeadProfileSummary.Labels"/>) shown after
    /// "head k" on the tabs, the heatmap rows and the plot legend of texts with that many heads (texts with another
    /// number of heads keep plain "head k"); null for none.
    /// </summary>
    public IReadOnlyList<string>? HeadLabels { get; set; }

    /// <summary>
    /// The model's head diversity over a set of texts (<see cref="HeadDiversity"/>, or <see cref="HeadProfileSummary.Diversity"/>),
    /// shown in the header with a sentence on what the figures mean; null for none.
    /// </summary>
    public HeadDiversityResult? HeadDiversity { get; set; }

    /// <summary>Figures shown above the examples, such as a faithfulness plot. Their SVG is embedded as given.</summary>
    public IList<ReportFigure> Figures { get; } = new List<ReportFigure>();

    /// <summary>Links shown in the header, such as to the data set view of the same model that <c>DatasetAttentionReport</c> writes.</summary>
    public IList<ReportLink> Links { get; } = new List<ReportLink>();
}

/// <summary>A link in the header of an <see cref="HtmlReport"/>.</summary>
public sealed record ReportLink
{
    /// <summary>Creates a link.</summary>
    /// <param name="title">The link text (HTML-escaped).</param>
    /// <param name="href">
    /// Where it goes: a path relative to the report (such as "attention/explain.html", which keeps the report usable offline)
    /// or a URL; escaped. Script and data URLs are refused.
    /// </param>
    /// <param name="note">Text after the link (HTML-escaped), or null.</param>
    /// <exception cref="ArgumentException">The title or href is empty, or the href is a javascript:, vbscript: or data: URL.</exception>
    public ReportLink(string title, string href, string? note = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentException.ThrowIfNullOrWhiteSpace(href);
        // A report is opened from disk and trusted: a link must not run anything.
        string scheme = new string(href.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray()).ToLowerInvariant();
        if (scheme.StartsWith("javascript:", StringComparison.Ordinal) || scheme.StartsWith("vbscript:", StringComparison.Ordinal)
            || scheme.StartsWith("data:", StringComparison.Ordinal))
            throw new ArgumentException($"The link '{href}' would run a script or embed data; give a path or an http(s) URL.", nameof(href));
        Title = title;
        Href = href;
        Note = note;
    }

    /// <summary>The link text.</summary>
    public string Title { get; }

    /// <summary>The target: a relative path or a URL.</summary>
    public string Href { get; }

    /// <summary>Text after the link, or null.</summary>
    public string? Note { get; }
}

/// <summary>A figure of an <see cref="HtmlReport"/>.</summary>
/// <param name="Title">The caption (HTML-escaped).</param>
/// <param name="Svg">
/// The figure as SVG markup, embedded unescaped: pass only SVG this library made (for example
/// <c>FaithfulnessPlot.ToSvg</c>) or that you trust.
/// </param>
/// <param name="Note">A line under the figure (HTML-escaped), or null.</param>
public sealed record ReportFigure(string Title, string Svg, string? Note = null);

/// <summary>
/// One self-contained, offline HTML file (inline CSS, JavaScript and SVG; nothing fetched) with many examples:
/// each with its true and predicted label and probability, its tokens coloured by weight (min-max normalised per
/// text; the exact weight on hover), a colour legend, per-head tabs (named by <see cref="HtmlReportOptions.HeadLabels"/>)
/// and a head × token heatmap on one colour scale for all heads for multi-head models, the model's head diversity in
/// the header when given, matched pairs side by side ("match" / "no match", with a cross-attention matcher's alignment as a table of
/// coloured cells, the weight on hover), and buttons to show only correct or misclassified examples. A text with
/// <see cref="WeightedText.Explanations"/> gets one row per explainer under it, all rows on one colour scale (each row's
/// |scores| as shares of their sum, then one min–max over the rows; see <see cref="ExplanationRow"/>), and tabs that colour
/// the text by any one explainer on that scale.
/// All text from the examples is HTML-escaped.
/// </summary>
public static class HtmlReport
{
    // An alignment table above this many cells (64 × 64) would make the page megabytes per pair.
    private const int MaxAlignmentCells = 4096;

    private const string ExplainerLegend =
        "Explainers side by side: each row is one explainer's |score| per token divided by the sum of its |scores| over the text " +
        "(so every row sums to 1, like attention weights), and all rows of a text share one min–max colour scale; " +
        "underlined tokens have a negative score (they speak against the predicted class). The tabs colour the text by one explainer on that scale.";

    private const string FontStack = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'Noto Sans CJK TC', 'Microsoft YaHei', sans-serif";

    /// <summary>The report page for <paramref name="texts"/>.</summary>
    /// <param name="texts">The examples.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string Render(IEnumerable<WeightedText> texts, HtmlReportOptions? options = null) =>
        Render(texts, Array.Empty<WeightedPair>(), options);

    /// <summary>The report page for <paramref name="texts"/> followed by <paramref name="pairs"/>.</summary>
    /// <param name="texts">The single-text examples (may be empty).</param>
    /// <param name="pairs">The matched pairs (may be empty).</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string Render(IEnumerable<WeightedText> texts, IEnumerable<WeightedPair> pairs, HtmlReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(pairs);
        var o = options ?? new HtmlReportOptions();
        if (o.MaxExamples < 1) throw new ArgumentOutOfRangeException(nameof(options), o.MaxExamples, "MaxExamples must be at least 1.");
        var allTexts = texts.ToList();
        var allPairs = pairs.ToList();
        var statuses = allTexts.Select(t => t.IsCorrect).Concat(allPairs.Select(p => p.IsCorrect)).ToList();
        int total = statuses.Count, labelled = statuses.Count(s => s is not null), correct = statuses.Count(s => s == true);
        var shownTexts = allTexts.Take(o.MaxExamples).ToList();
        var shownPairs = allPairs.Take(Math.Max(0, o.MaxExamples - shownTexts.Count)).ToList();
        var shown = shownTexts.Select(t => t.IsCorrect).Concat(shownPairs.Select(p => p.IsCorrect)).ToList();

        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(o.Title)).Append("</title>\n<style>\n").Append(Css(o.Theme)).Append("</style>\n</head>\n<body>\n");

        html.Append("<header>\n<h1>").Append(E(o.Title)).Append("</h1>\n");
        if (!string.IsNullOrWhiteSpace(o.Description)) html.Append("<p class=\"description\">").Append(E(o.Description)).Append("</p>\n");
        if (o.Links.Count > 0)
        {
            html.Append("<nav class=\"links\">");
            for (int i = 0; i < o.Links.Count; i++)
            {
                var link = o.Links[i];
                if (i > 0) html.Append(" · ");
                html.Append("<a href=\"").Append(E(link.Href)).Append("\">").Append(E(link.Title)).Append("</a>");
                if (!string.IsNullOrWhiteSpace(link.Note)) html.Append(" <span class=\"hint\">").Append(E(link.Note)).Append("</span>");
            }
            html.Append("</nav>\n");
        }
        if (o.HeadDiversity is { } diversity) AppendDiversity(html, diversity);
        html.Append("<p class=\"summary\">").Append(total).Append(total == 1 ? " example" : " examples");
        if (shown.Count < total) html.Append(CultureInfo.InvariantCulture, $" ({shown.Count} shown)");
        if (labelled > 0)
            html.Append(CultureInfo.InvariantCulture, $" · accuracy {(double)correct / labelled:0.000} ({correct} of {labelled} correct)");
        html.Append("</p>\n<div class=\"controls\">\n<div class=\"filter\" role=\"group\" aria-label=\"Filter examples\">")
            .Append(CultureInfo.InvariantCulture, $"<button type=\"button\" class=\"active\" data-filter=\"all\">All ({shown.Count})</button>")
            .Append(CultureInfo.InvariantCulture, $"<button type=\"button\" data-filter=\"correct\">Correct ({shown.Count(s => s == true)})</button>")
            .Append(CultureInfo.InvariantCulture, $"<button type=\"button\" data-filter=\"wrong\">Misclassified ({shown.Count(s => s == false)})</button>")
            .Append("</div>\n<div class=\"legend\"><span>lowest</span><span class=\"bar\" title=\"")
            .Append(E(o.Theme.ToString())).Append(" colour map\"></span><span>highest weight in each text</span></div>\n")
            .Append("<div class=\"hint\">Colours are min-max normalised per text; hover a token for its exact weight.</div>\n");
        if (shownTexts.Any(t => t.HasExplanations))
            html.Append("<div class=\"hint\">").Append(E(ExplainerLegend)).Append("</div>\n");
        html.Append("</div>\n</header>\n<main>\n");

        foreach (var figure in o.Figures)
        {
            html.Append("<figure class=\"report-figure\">\n<figcaption>").Append(E(figure.Title)).Append("</figcaption>\n")
                .Append(figure.Svg).Append('\n');
            if (!string.IsNullOrWhiteSpace(figure.Note)) html.Append("<p class=\"description\">").Append(E(figure.Note)).Append("</p>\n");
            html.Append("</figure>\n");
        }

        int number = 0;
        foreach (var text in shownTexts) AppendText(html, text, ++number, o);
        foreach (var pair in shownPairs) AppendPair(html, pair, ++number, o);
        html.Append("<p id=\"none\" class=\"none\" hidden>No examples match the filter.</p>\n</main>\n<script>\n").Append(Script(o.Theme)).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Writes <see cref="Render(IEnumerable{WeightedText}, HtmlReportOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .html file.</param>
    /// <param name="texts">The examples.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, IEnumerable<WeightedText> texts, HtmlReportOptions? options = null) =>
        AtomicFile.WriteAllText(path, Render(texts, options));

    /// <summary>Writes <see cref="Render(IEnumerable{WeightedText}, IEnumerable{WeightedPair}, HtmlReportOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .html file.</param>
    /// <param name="texts">The single-text examples (may be empty).</param>
    /// <param name="pairs">The matched pairs (may be empty).</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, IEnumerable<WeightedText> texts, IEnumerable<WeightedPair> pairs, HtmlReportOptions? options = null) =>
        AtomicFile.WriteAllText(path, Render(texts, pairs, options));

    private static void AppendText(StringBuilder html, WeightedText text, int number, HtmlReportOptions o)
    {
        html.Append(CultureInfo.InvariantCulture, $"<section class=\"item {Status(text.IsCorrect)}\" data-status=\"{Status(text.IsCorrect)}\" id=\"example-{number}\">\n");
        AppendMeta(html, number, text.TrueLabel, text.PredictedLabel, text.Probability, text.IsCorrect,
            text.Spans.Count + " tokens" + (text.Heads > 1 ? $" · {text.Heads} heads" : "") + (text.TruncatedTokens > 0 ? $" · {text.TruncatedTokens} more not scored" : ""),
            text.UnknownShare > ClassPrediction.UnknownShareWarning ? text.UnknownShare : null);
        AppendTabs(html, text.Heads, o, text.Explanations);
        AppendPanel(html, text, o, null);
        html.Append("</section>\n");
    }

    private static void AppendPair(StringBuilder html, WeightedPair pair, int number, HtmlReportOptions o)
    {
        html.Append(CultureInfo.InvariantCulture, $"<section class=\"item pair-item {Status(pair.IsCorrect)}\" data-status=\"{Status(pair.IsCorrect)}\" id=\"example-{number}\">\n");
        AppendMeta(html, number, FigureLayout.PairName(pair.TrueLabel), FigureLayout.PairName(pair.PredictedLabel), pair.Probability, pair.IsCorrect,
            pair.Alignment is null ? "pair" : "pair · cross-attention alignment");
        AppendTabs(html, Math.Max(pair.First.Heads, pair.Second.Heads), o);
        html.Append("<div class=\"pair\">\n");
        AppendPanel(html, pair.First, o, "Text A");
        AppendPanel(html, pair.Second, o, "Text B");
        html.Append("</div>\n");
        if (o.ShowHeatmap && pair.Alignment is { } alignment && alignment.Length > 0) AppendAlignment(html, pair.First, pair.Second, alignment, o);
        html.Append("</section>\n");
    }

    // The alignment as a table: text A's tokens as rows, text B's as columns, cells coloured by weight (min-max over the
    // matrix), the exact weight on hover.
    private static void AppendAlignment(StringBuilder html, WeightedText first, WeightedText second, float[,] alignment, HtmlReportOptions o)
    {
        int rows = alignment.GetLength(0), columns = alignment.GetLength(1);
        if (alignment.Length > MaxAlignmentCells)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p class=\"more\">alignment {rows} × {columns}: too many cells for the page; SvgFigure and PngFigure draw it.</p>\n");
            return;
        }
        var all = new float[alignment.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) all[i * columns + j] = alignment[i, j];
        var normalized = ColorMap.Normalize(all);
        html.Append("<details class=\"figure\" open><summary>alignment: how each token of text A (rows) attends over text B (columns)</summary>\n")
            .Append("<table class=\"alignment\"><thead><tr><th></th>");
        for (int j = 0; j < columns; j++)
            html.Append("<th class=\"col\" scope=\"col\">").Append(E(FigureLayout.OneLine(second.Token(j)))).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < rows; i++)
        {
            string token1 = FigureLayout.OneLine(first.Token(i));
            html.Append("<tr><th class=\"row\" scope=\"row\">").Append(E(token1)).Append("</th>");
            for (int j = 0; j < columns; j++)
            {
                string fill = ColorMap.Hex(o.Theme, normalized[i * columns + j]);
                html.Append("<td style=\"background:").Append(fill).Append("\" title=\"")
                    .Append(E(token1 + " → " + FigureLayout.OneLine(second.Token(j)) + " · weight " + W(alignment[i, j]))).Append("\"></td>");
            }
            html.Append("</tr>\n");
        }
        var finite = all.Where(float.IsFinite).DefaultIfEmpty(0).ToArray();
        html.Append("</tbody></table>\n<div class=\"range\"><span>alignment weight</span> <span>").Append(W(finite.Min()))
            .Append("</span> <span class=\"bar small\"></span> <span>").Append(W(finite.Max())).Append("</span> <span>(rows sum to 1)</span></div>\n</details>\n");
    }

    private static void AppendMeta(StringBuilder html, int number, string? truth, string? predicted, float? probability, bool? correct, string details,
        float? unknownShare = null)
    {
        html.Append("<div class=\"meta\"><span class=\"number\">#").Append(number).Append("</span>");
        if (truth is not null) html.Append("<span>true: <b>").Append(E(truth)).Append("</b></span>");
        if (predicted is not null)
        {
            html.Append("<span class=\"pred").Append(correct == false ? " wrong" : "").Append("\">predicted: <b>").Append(E(predicted)).Append("</b>");
            if (probability is float p) html.Append(CultureInfo.InvariantCulture, $" ({p:0.000})");
            html.Append("</span>");
        }
        if (correct is bool ok) html.Append(ok ? "<span class=\"badge good\">correct</span>" : "<span class=\"badge bad\">misclassified</span>");
        if (unknownShare is float share)
            html.Append(CultureInfo.InvariantCulture, $"<span class=\"badge bad unknown\" title=\"most tokens are outside the model's vocabulary: the answer rests on little\">{share:0%} unknown tokens</span>");
        html.Append("<span class=\"details\">").Append(E(details)).Append("</span></div>\n");
    }

    private static void AppendTabs(StringBuilder html, int heads, HtmlReportOptions o, IReadOnlyList<ExplanationRow>? explanations = null)
    {
        bool explained = explanations is { Count: > 0 };
        if (heads < 2 && !explained) return;
        html.Append("<div class=\"tabs\" role=\"tablist\"><button type=\"button\" role=\"tab\" class=\"active\" data-head=\"mean\">")
            .Append(heads > 1 ? "mean" : "weights").Append("</button>");
        // The diversity's per-head figure, on hover, when it is this model's.
        var diversity = o.HeadDiversity is { } d && d.Heads == heads && d.Texts > 0 ? d : null;
        for (int h = 0; h < (heads > 1 ? heads : 0); h++)
        {
            html.Append(CultureInfo.InvariantCulture, $"<button type=\"button\" role=\"tab\" data-head=\"{h}\"");
            if (diversity is not null)
                html.Append(" title=\"").Append(E(string.Create(CultureInfo.InvariantCulture,
                    $"head {h + 1}: mean divergence from uniform weights {N(diversity.HeadDivergenceFromUniform[h])} nats over {diversity.Texts} texts"))).Append('"');
            html.Append('>').Append(E(FigureLayout.HeadName(h, heads, o.HeadLabels))).Append("</button>");
        }
        if (explained)
            for (int r = 0; r < explanations!.Count; r++)
                html.Append(CultureInfo.InvariantCulture, $"<button type=\"button\" role=\"tab\" class=\"{(r == 0 ? "explainer first" : "explainer")}\" data-explainer=\"{r}\">")
                    .Append(E(FigureLayout.OneLine(explanations[r].Name))).Append("</button>");
        html.Append("</div>\n");
    }

    // The three figures of HeadDiversityResult, and what they mean; only the first for a single head.
    private static void AppendDiversity(StringBuilder html, HeadDiversityResult d)
    {
        var c = CultureInfo.InvariantCulture;
        html.Append("<p class=\"diversity\">");
        if (d.Heads == 1)
        {
            html.Append(c, $"Attention weights over {d.Texts} texts: mean Jensen–Shannon divergence from uniform <b>{N(d.MeanDivergenceFromUniform)}</b> nats.</p>\n")
                .Append("<p class=\"hint\">0 means flat weights (every token the same); the most is ln 2 ≈ 0.693 nats.</p>\n");
            return;
        }
        html.Append(c, $"{d.Heads} heads over {d.Texts} texts: mean divergence from uniform <b>{N(d.MeanDivergenceFromUniform)}</b> nats")
            .Append(c, $" · mean pairwise divergence <b>{(d.MeanPairwiseDivergence is { } pairwise ? N(pairwise) : "n/a")}</b> nats")
            .Append(c, $" · head diversity ratio <b>{(d.DiversityRatio is { } ratio ? ratio.ToString("0.00", c) : "n/a")}</b></p>\n")
            .Append("<p class=\"hint\">Jensen–Shannon divergences (at most ln 2 ≈ 0.693 nats): from uniform says how peaked a head's weights are, ")
            .Append("pairwise how differently two heads weigh the same text; their ratio is 0 when the heads are copies of one another ")
            .Append("and 1 when they differ from each other as much as from uniform weights.</p>\n");
    }

    private static void AppendPanel(StringBuilder html, WeightedText text, HtmlReportOptions o, string? caption)
    {
        html.Append("<div class=\"panel\"");
        if (text.Heads > 1 || text.HasExplanations)
        {
            // The per-head weights, for the tabs to recolour the tokens.
            html.Append(" data-weights=\"[");
            for (int h = 0; h < text.Heads; h++)
            {
                if (h > 0) html.Append(',');
                html.Append('[').AppendJoin(',', text.HeadWeights(h).Select(W)).Append(']');
            }
            html.Append("]\"");
        }
        if (text.HasExplanations)
        {
            // Each explainer's shares, for the tabs to recolour the tokens on the rows' shared scale.
            html.Append(" data-explainers=\"[");
            for (int r = 0; r < text.Explanations!.Count; r++)
            {
                if (r > 0) html.Append(',');
                html.Append('[').AppendJoin(',', text.Explanations[r].Shares.Select(W)).Append(']');
            }
            html.Append("]\" data-explainer-names=\"").Append(E(JsonSerializer.Serialize(text.Explanations.Select(r => FigureLayout.OneLine(r.Name))))).Append('"');
        }
        html.Append(">\n");
        if (caption is not null) html.Append("<div class=\"caption\">").Append(E(caption)).Append("</div>\n");
        var normalized = ColorMap.Normalize(text.Weights);
        html.Append("<p class=\"tokens\">");
        int position = 0;
        for (int i = 0; i < text.Spans.Count; i++)
        {
            var (offset, length) = text.Spans[i];
            html.Append(E(text.Text[position..offset]));
            string fill = ColorMap.Hex(o.Theme, normalized[i]);
            html.Append("<span class=\"t\" style=\"background:").Append(fill).Append(";color:").Append(ColorMap.TextColorOn(fill))
                .Append("\" title=\"").Append(E(FigureLayout.TokenTitle(text, i))).Append("\">")
                .Append(E(text.Text.Substring(offset, length))).Append("</span>");
            position = offset + length;
        }
        html.Append(E(text.Text[position..]));
        if (text.TruncatedTokens > 0) html.Append(CultureInfo.InvariantCulture, $"<span class=\"more\"> … {text.TruncatedTokens} more tokens past the maximum length, not scored</span>");
        html.Append("</p>\n");
        float min = text.Weights.Count == 0 ? 0 : text.Weights.Min(), max = text.Weights.Count == 0 ? 0 : text.Weights.Max();
        html.Append("<div class=\"range\"><span class=\"which\">mean weight</span> <span class=\"min\">")
            .Append(W(min)).Append("</span> <span class=\"bar small\"></span> <span class=\"max\">").Append(W(max)).Append("</span></div>\n");
        if (text.HasExplanations) AppendExplanations(html, text, o);

        if (text.Spans.Count > 0 && ((o.ShowHeatmap && text.Heads > 1) || o.ShowPlot))
        {
            var figure = new FigureOptions { Theme = o.Theme, FontSize = 16, HeadLabels = o.HeadLabels };
            float width = Math.Clamp(text.Spans.Count * 20f + 60, 420, 1100);
            if (o.ShowHeatmap && text.Heads > 1)
            {
                // Drawn by the page's script on a canvas from data-weights: SVG cells would make long multi-head texts megabytes.
                html.Append("<details class=\"figure\" open><summary>head × token heatmap: one colour scale for all heads, so a weak head looks weak</summary><div class=\"heatmap\"");
                // Labelled rows, for the script to draw (JSON in an escaped attribute); without it they are "head k".
                if (o.HeadLabels?.Count == text.Heads)
                {
                    var names = Enumerable.Range(0, text.Heads).Select(h => FigureLayout.HeadName(h, text.Heads, o.HeadLabels)).ToArray();
                    html.Append(" data-labels=\"").Append(E(JsonSerializer.Serialize(names))).Append('"');
                }
                html.Append("></div></details>\n");
            }
            if (o.ShowPlot)
            {
                html.Append("<details class=\"figure\"><summary>weight by token index").Append(text.Heads > 1 ? ", per head" : "").Append("</summary>\n");
                html.Append(SvgFigure.ToSvg(FigureLayout.LinePlot(text, figure, width, FigureLayout.EstimateWidth), figure.FontFamily, standalone: false));
                html.Append("</details>\n");
            }
        }
        html.Append("</div>\n");
    }

    // One row per explainer under the text, every token coloured by its share of the row's |scores| on one scale for all rows.
    private static void AppendExplanations(StringBuilder html, WeightedText text, HtmlReportOptions o)
    {
        var rows = text.Explanations!;
        var (normalized, min, max) = ExplanationRow.Scale(rows);
        html.Append("<details class=\"figure explainers\" open><summary>explainers side by side, one colour scale for all rows</summary>\n<div class=\"xrows\">\n");
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            string name = FigureLayout.OneLine(row.Name);
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"xrow\" data-explainer=\"{r}\"><span class=\"xname\">").Append(E(name)).Append("</span><p class=\"xtokens\">");
            int position = 0;
            for (int i = 0; i < text.Spans.Count; i++)
            {
                var (offset, length) = text.Spans[i];
                html.Append(E(text.Text[position..offset]));
                string fill = ColorMap.Hex(o.Theme, normalized[r][i]);
                float score = row.Scores[i];
                html.Append("<span class=\"x").Append(score < 0 ? " neg" : "").Append("\" style=\"background:").Append(fill).Append(";color:").Append(ColorMap.TextColorOn(fill))
                    .Append("\" title=\"").Append(E(FigureLayout.OneLine(text.Token(i)) + " · " + name + " " + W(score) + " · share " + W(row.Shares[i]))).Append("\">")
                    .Append(E(text.Text.Substring(offset, length))).Append("</span>");
                position = offset + length;
            }
            html.Append(text.TruncatedTokens > 0 ? " …" : E(text.Text[position..])).Append("</p></div>\n");
        }
        html.Append("</div>\n<div class=\"range\"><span>share of the row's |scores|, one scale for all rows</span> <span>").Append(W(min))
            .Append("</span> <span class=\"bar small\"></span> <span>").Append(W(max))
            .Append("</span> <span>· underlined: a negative score, against the predicted class · hover for the score</span></div>\n</details>\n");
    }

    private static string Status(bool? correct) => correct switch { true => "correct", false => "wrong", null => "unknown" };

    // Divergences: four decimals, or up to six for the near-flat weights of a barely trained model.
    private static string N(double value) =>
        !double.IsFinite(value) ? "n/a" : value.ToString(value is 0 or >= 0.001 ? "0.0000" : "0.0#####", CultureInfo.InvariantCulture);

    private static string W(float weight) => float.IsFinite(weight) ? weight.ToString("0.######", CultureInfo.InvariantCulture) : "0";

    private static string E(string text) => SvgFigure.Escape(text);

    private static string Gradient(ColorTheme theme)
    {
        var stops = ColorMap.Stops(theme);
        if (theme != ColorTheme.Original) return "linear-gradient(to right, " + string.Join(", ", stops) + ")";
        // The original's palette is discrete: hard stops.
        return "linear-gradient(to right, " + string.Join(", ", stops.Select((c, i) => string.Create(CultureInfo.InvariantCulture,
            $"{c} {100.0 * i / stops.Count:0.##}% {100.0 * (i + 1) / stops.Count:0.##}%"))) + ")";
    }

    private static string Css(ColorTheme theme) => $$"""
        :root { --good: #2e7d32; --bad: #c62828; --gradient: {{Gradient(theme)}}; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f4f4f5; color: #222; font-family: {{FontStack}}; }
        header { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #ddd; padding: 12px 24px 10px; }
        h1 { font-size: 20px; margin: 0 0 4px; }
        .description, .summary, .diversity { margin: 2px 0; color: #555; font-size: 14px; }
        header > .hint { margin: 0 0 2px; font-size: 12px; }
        .report-figure { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 16px 24px; padding: 12px 16px; }
        .report-figure figcaption { font-weight: 600; margin-bottom: 6px; }
        .report-figure svg { max-width: 100%; height: auto; }
        .controls { display: flex; flex-wrap: wrap; gap: 10px 24px; align-items: center; margin-top: 8px; font-size: 13px; }
        .links { margin: 4px 0 2px; font-size: 14px; }
        .filter button, .tabs button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid #bbb; background: #fff; color: #333; cursor: pointer; }
        .filter button:first-child, .tabs button:first-child { border-radius: 4px 0 0 4px; }
        .filter button:last-child, .tabs button:last-child { border-radius: 0 4px 4px 0; }
        .filter button + button, .tabs button + button { border-left: none; }
        .filter button.active, .tabs button.active { background: #333; border-color: #333; color: #fff; }
        .tabs button.explainer.first { margin-left: 8px; border-left: 1px solid #bbb; border-radius: 4px 0 0 4px; }
        .tabs button.explainer.first.active { border-left-color: #333; }
        .xrows { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; align-items: baseline; margin: 4px 0; }
        .xrow { display: contents; }
        .xname { font-size: 13px; color: #444; text-align: right; white-space: nowrap; }
        .xtokens { font-size: 15px; line-height: 1.8; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        .x { padding: 1px 1px; border-radius: 2px; }
        .x.neg { text-decoration: underline; text-decoration-thickness: 2px; text-underline-offset: 3px; }
        .x:hover { outline: 2px solid #000; }
        .legend { display: flex; align-items: center; gap: 6px; color: #555; }
        .bar { display: inline-block; width: 200px; height: 14px; border: 1px solid #999; background: var(--gradient); vertical-align: middle; }
        .bar.small { width: 90px; height: 10px; }
        .hint { color: #777; }
        main { padding: 14px 24px 40px; display: grid; gap: 12px; }
        .item { background: #fff; border: 1px solid #ddd; border-left: 5px solid #aaa; border-radius: 6px; padding: 10px 16px 12px; min-width: 0; }
        .item.correct { border-left-color: var(--good); }
        .item.wrong { border-left-color: var(--bad); }
        .meta { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; font-size: 14px; margin-bottom: 6px; }
        .number { color: #888; }
        .pred.wrong { color: var(--bad); }
        .badge { font-size: 12px; padding: 0 6px; border-radius: 8px; color: #fff; }
        .badge.good { background: var(--good); }
        .badge.bad { background: var(--bad); }
        .details { color: #888; font-size: 12px; }
        .tabs { display: flex; margin: 4px 0 6px; }
        .tokens { font-size: 18px; line-height: 1.9; margin: 2px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
        .t { padding: 2px 1px; border-radius: 2px; }
        .t:hover { outline: 2px solid #000; }
        .more { color: #888; font-size: 13px; }
        .range { font-size: 12px; color: #666; display: flex; gap: 6px; align-items: center; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; }
        .caption { font-size: 12px; color: #777; text-transform: uppercase; letter-spacing: .05em; }
        details.figure { margin-top: 6px; overflow-x: auto; }
        details.figure summary { cursor: pointer; font-size: 13px; color: #555; }
        details.figure svg, details.figure canvas { display: block; margin-top: 4px; }
        table.alignment { border-collapse: collapse; margin-top: 4px; font-size: 13px; }
        .alignment th { font-weight: normal; color: #444; padding: 0 4px; }
        .alignment th.row { text-align: right; white-space: nowrap; }
        .alignment th.col { writing-mode: vertical-rl; text-align: left; vertical-align: bottom; padding: 4px 0; line-height: 20px; }
        .alignment td { width: 20px; min-width: 20px; height: 20px; padding: 0; border: 1px solid #fff; }
        .alignment td:hover { outline: 2px solid #000; }
        .none { color: #777; }
        [hidden] { display: none !important; }

        """;

    private static string Script(ColorTheme theme) => $$"""
        (function () {
          'use strict';
          var stops = [{{string.Join(",", ColorMap.Stops(theme).Select(s => "'" + s + "'"))}}];
          var discrete = {{(theme == ColorTheme.Original ? "true" : "false")}};
          function rgb(h) { return [parseInt(h.substr(1, 2), 16), parseInt(h.substr(3, 2), 16), parseInt(h.substr(5, 2), 16)]; }
          function hex(c) { return '#' + c.map(function (v) { return ('0' + Math.round(v).toString(16)).slice(-2); }).join(''); }
          function color(t) {
            t = isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
            if (discrete) return stops[Math.min(stops.length - 1, Math.floor(t * 0.99 * stops.length))];
            var p = t * (stops.length - 1), i = Math.min(Math.floor(p), stops.length - 2), f = p - i;
            var a = rgb(stops[i]), b = rgb(stops[i + 1]);
            return hex([0, 1, 2].map(function (k) { return a[k] + (b[k] - a[k]) * f; }));
          }
          function lin(v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
          function textOn(h) { var c = rgb(h); return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]) > 0.18 ? '#000000' : '#ffffff'; }
          function fmt(v) { return String(parseFloat(v.toFixed(6))); }
          function recolour(panel, head) {
            var rows = JSON.parse(panel.getAttribute('data-weights') || '[]');
            if (!rows.length) return;
            var n = rows[0].length, w = new Array(n);
            for (var i = 0; i < n; i++) {
              if (head === 'mean') { var s = 0; for (var h = 0; h < rows.length; h++) s += rows[h][i]; w[i] = s / rows.length; }
              else w[i] = (rows[+head] || rows[0])[i];
            }
            var min = Math.min.apply(null, w), max = Math.max.apply(null, w), range = max - min;
            var spans = panel.querySelectorAll('.tokens .t');
            for (var j = 0; j < spans.length && j < n; j++) {
              var c = color(range > 0 ? (w[j] - min) / range : 0);
              spans[j].style.background = c;
              spans[j].style.color = textOn(c);
            }
            panel.querySelector('.range .which').textContent = head === 'mean' ? 'mean weight' : 'head ' + (+head + 1) + ' weight';
            panel.querySelector('.range .min').textContent = fmt(min);
            panel.querySelector('.range .max').textContent = fmt(max);
          }
          function explain(panel, e) {
            var rows = JSON.parse(panel.getAttribute('data-explainers') || '[]');
            var names = JSON.parse(panel.getAttribute('data-explainer-names') || '[]');
            if (!rows[e]) return;
            // The rows' shared scale: the text looks as its row under it does.
            var all = [].concat.apply([], rows), min = Math.min.apply(null, all), max = Math.max.apply(null, all), range = max - min;
            var spans = panel.querySelectorAll('.tokens .t');
            for (var j = 0; j < spans.length && j < rows[e].length; j++) {
              var c = color(range > 0 ? (rows[e][j] - min) / range : 0);
              spans[j].style.background = c;
              spans[j].style.color = textOn(c);
            }
            panel.querySelector('.range .which').textContent = (names[e] || 'explainer') + ': share of |score|, one scale for all explainers';
            panel.querySelector('.range .min').textContent = fmt(min);
            panel.querySelector('.range .max').textContent = fmt(max);
          }
          function heatmap(panel, box) {
            var rows = JSON.parse(panel.getAttribute('data-weights') || '[]');
            if (!rows.length || !rows[0].length) return;
            // One colour scale over all heads, so a weak head looks weak next to a peaked one.
            var heads = rows.length, n = rows[0].length, all = [].concat.apply([], rows);
            var min = Math.min.apply(null, all), max = Math.max.apply(null, all), range = max - min;
            var tokens = Array.prototype.map.call(panel.querySelectorAll('.tokens .t'), function (s) { return s.textContent; });
            var names = JSON.parse(box.getAttribute('data-labels') || '[]');
            var font = "11px {{FontStack}}";
            var canvas = document.createElement('canvas'), g = canvas.getContext('2d');
            g.font = font;
            var label = 52;
            for (var r = 0; r < heads; r++) label = Math.max(label, Math.ceil(g.measureText(names[r] || 'head ' + (r + 1)).width) + 12);
            var cell = Math.max(3, Math.min(20, Math.floor((Math.min(1100, n * 20 + 60) - 52) / n))), ch = 18;
            var width = label + n * cell + 8, height = heads * ch + 44, scale = window.devicePixelRatio || 1;
            canvas.width = Math.ceil(width * scale); canvas.height = Math.ceil(height * scale);
            canvas.style.width = width + 'px'; canvas.style.height = height + 'px';
            // The cell geometry, for whoever reads the drawn cells back.
            canvas.setAttribute('data-label', label); canvas.setAttribute('data-cell', cell); canvas.setAttribute('data-row', ch);
            // Sizing the canvas reset its context: scale and font again.
            g.scale(scale, scale);
            g.font = font; g.textBaseline = 'middle';
            for (var h = 0; h < heads; h++) {
              g.fillStyle = '#444'; g.textAlign = 'right'; g.fillText(names[h] || 'head ' + (h + 1), label - 6, h * ch + ch / 2);
              for (var i = 0; i < n; i++) {
                g.fillStyle = color(range > 0 ? (rows[h][i] - min) / range : 0);
                g.fillRect(label + i * cell, h * ch, cell, ch);
              }
            }
            g.fillStyle = '#444'; g.textAlign = 'center';
            var each = cell >= 12 && tokens.every(function (t) { return g.measureText(t).width <= cell + 1; });
            var step = each ? 1 : Math.max(1, Math.ceil(n / 10));
            for (var k = 0; k < n; k += step) g.fillText(each ? tokens[k] : String(k), label + (k + 0.5) * cell, heads * ch + 9);
            var y = heads * ch + 24, bar = 200;
            g.textAlign = 'left'; g.fillStyle = '#666';
            var low = 'weight, one scale for all heads  min ' + fmt(min);
            g.fillText(low, label, y + 6);
            var x = label + g.measureText(low).width + 6;
            for (var b = 0; b < bar; b++) { g.fillStyle = color(discrete ? (b + 0.5) / bar : b / (bar - 1)); g.fillRect(x + b, y, 1, 12); }
            g.strokeStyle = '#999'; g.strokeRect(x + 0.5, y + 0.5, bar - 1, 11);
            g.fillStyle = '#666'; g.fillText('max ' + fmt(max), x + bar + 6, y + 6);
            canvas.addEventListener('mousemove', function (e) {
              var r = canvas.getBoundingClientRect(), i = Math.floor((e.clientX - r.left - label) / cell), h = Math.floor((e.clientY - r.top) / ch);
              canvas.title = i >= 0 && i < n && h >= 0 && h < heads ? tokens[i] + ' · ' + (names[h] || 'head ' + (h + 1)) + ' · weight ' + fmt(rows[h][i]) : '';
            });
            box.appendChild(canvas);
          }
          document.querySelectorAll('.panel').forEach(function (panel) {
            var box = panel.querySelector('.heatmap');
            if (box) heatmap(panel, box);
          });
          document.querySelectorAll('.tabs button').forEach(function (button) {
            button.addEventListener('click', function () {
              var item = button.closest('.item');
              item.querySelectorAll('.tabs button').forEach(function (b) { b.classList.toggle('active', b === button); });
              var explainer = button.getAttribute('data-explainer');
              item.querySelectorAll('.panel').forEach(function (panel) {
                if (explainer !== null) explain(panel, +explainer); else recolour(panel, button.getAttribute('data-head'));
              });
            });
          });
          document.querySelectorAll('.filter button').forEach(function (button) {
            button.addEventListener('click', function () {
              var filter = button.getAttribute('data-filter'), shown = 0;
              document.querySelectorAll('.filter button').forEach(function (b) { b.classList.toggle('active', b === button); });
              document.querySelectorAll('.item').forEach(function (item) {
                var show = filter === 'all' || item.getAttribute('data-status') === filter;
                item.hidden = !show;
                if (show) shown++;
              });
              document.getElementById('none').hidden = shown > 0;
            });
          });
        })();

        """;
}
