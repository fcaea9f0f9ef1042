
namespace MLNetAttention.Visualization;

/// <summary>Writes the usual set of visualisations for a batch of classifier predictions into one directory.</summary>
public static class ReportWriter
{
    /// <summary>The HTML report's file name.</summary>
    public const string HtmlFile = "report.html";

    /// <summary>The vector figure's file name.</summary>
    public const string SvgFile = "examples.svg";

    /// <summary>The raster figure's file name.</summary>
    public const string PngFile = "examples.png";

    /// <summary>The data set view's HTML page (<see cref="WriteDatasetView"/>).</summary>
    public const string DatasetHtmlFile = "explain.html";

    /// <summary>The data set view's bar chart as SVG.</summary>
    public const string DatasetSvgFile = "explain.svg";

    /// <summary>The data set view's bar chart as PNG.</summary>
    public const string DatasetPngFile = "explain.png";

    /// <summary>
    /// Writes <see cref="HtmlFile"/> (every prediction), then <see cref="SvgFile"/> and <see cref="PngFile"/> (a grid of
    /// the first <paramref name="figureExamples"/>) into <paramref name="directory"/>, and returns their paths. The PNG
    /// is written last: when it throws <see cref="FontNotFoundException"/> (CJK text, no CJK font) the others exist.
    /// </summary>
    /// <param name="predictions">The predictions.</param>
    /// <param name="trueLabels">The gold label of each prediction (null where unknown), or an empty list for none.</param>
    /// <param name="directory">The output directory (created when missing).</param>
    /// <param name="title">The report's title.</param>
    /// <param name="theme">How weights are coloured.</param>
    /// <param name="figureExamples">Examples in the SVG and PNG figures.</param>
    /// <param name="heads">
    /// The model's <see cref="HeadProfile"/> summary, or null: its diversity goes into the report's header and its
    /// <see cref="HeadProfileSummary.Labels"/> name the heads of the report and the figures.
    /// </param>
    /// <returns>The paths written: the HTML report, the SVG and the PNG.</returns>
    public static IReadOnlyList<string> WriteAll(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<string?> trueLabels,
        string directory, string title, ColorTheme theme = ColorTheme.Viridis, int figureExamples = 4, HeadProfileSummary? heads = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(trueLabels);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (predictions.Count == 0) throw new ArgumentException("No predictions to visualise.", nameof(predictions));
        if (trueLabels.Count != 0 && trueLabels.Count != predictions.Count)
            throw new ArgumentException($"{trueLabels.Count} true labels for {predictions.Count} predictions.", nameof(trueLabels));
        ArgumentOutOfRangeException.ThrowIfLessThan(figureExamples, 1);
        var texts = predictions.Select((p, i) => WeightedText.FromPrediction(p, trueLabels.Count == 0 ? null : trueLabels[i])).ToList();
        Directory.CreateDirectory(directory);
        string html = Path.Combine(directory, HtmlFile), svg = Path.Combine(directory, SvgFile), png = Path.Combine(directory, PngFile);
        var labels = heads?.Labels();
        HtmlReport.Write(html, texts, new HtmlReportOptions { Title = title, Theme = theme, HeadLabels = labels, HeadDiversity = heads?.Diversity });
        var figure = new FigureOptions { Theme = theme, Title = title, HeadLabels = labels };
        var shown = texts.Take(figureExamples).ToList();
        SvgFigure.Write(svg, shown, figure);
        PngFigure.Write(png, shown, figure);
        return new[] { html, svg, png };
    }

    /// <summary>
    /// Writes the data set view of <paramref name="predictions"/> (what <c>mlnet-attention explain</c> writes): adds them
    /// up with <see cref="DatasetAttention"/> and writes <see cref="DatasetHtmlFile"/>, <see cref="DatasetSvgFile"/> and
    /// <see cref="DatasetPngFile"/> into <paramref name="directory"/>. Without a CJK font for the PNG
    /// (<see cref="FontNotFoundException"/>) the PNG is skipped and <see cref="DatasetViewFiles.PngSkipped"/> says why;
    /// the HTML page and the SVG are written either way.
    /// </summary>
    /// <param name="predictions">The predictions of one classifier (at least one).</param>
    /// <param name="trueLabels">The gold label of each prediction (null where unknown), or an empty list for none.</param>
    /// <param name="directory">The output directory (created when missing).</param>
    /// <param name="options">Title, description and chart settings; null for the defaults.</param>
    /// <param name="by">Group the texts by their predicted or their true class.</param>
    /// <param name="top">Tokens and bigrams per list.</param>
    /// <param name="minCount">Occurrences a token or bigram needs to be listed.</param>
    /// <returns>The paths written and the summary they show.</returns>
    public static DatasetViewFiles WriteDatasetView(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<string?> trueLabels, string directory,
        DatasetAttentionReportOptions? options = null, ClassGrouping by = ClassGrouping.Predicted, int top = 20, int minCount = 5)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(trueLabels);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (predictions.Count == 0) throw new ArgumentException("No predictions to add up.", nameof(predictions));
        if (trueLabels.Count != 0 && trueLabels.Count != predictions.Count)
            throw new ArgumentException($"{trueLabels.Count} true labels for {predictions.Count} predictions.", nameof(trueLabels));
        var aggregate = new DatasetAttention();
        aggregate.AddRange(predictions, trueLabels.Count == 0 ? null : trueLabels);
        var summary = aggregate.Summarize(by, top, minCount);
        Directory.CreateDirectory(directory);
        string html = Path.Combine(directory, DatasetHtmlFile), svg = Path.Combine(directory, DatasetSvgFile), png = Path.Combine(directory, DatasetPngFile);
        DatasetAttentionReport.WriteHtml(html, summary, options);
        DatasetAttentionReport.WriteSvg(svg, summary, options);
        try
        {
            DatasetAttentionReport.WritePng(png, summary, options);
            return new DatasetViewFiles(html, svg, png, null, summary);
        }
        catch (FontNotFoundException e)
        {
            return new DatasetViewFiles(html, svg, null, e.Message, summary);
        }
    }
}

/// <summary>What <see cref="ReportWriter.WriteDatasetView"/> wrote.</summary>
/// <param name="Html">The HTML page.</param>
/// <param name="Svg">The SVG bar chart.</param>
/// <param name="Png">The PNG bar chart, or null when it was skipped.</param>
/// <param name="PngSkipped">Why the PNG was skipped (no CJK font), or null.</param>
/// <param name="Summary">The per-class lists the files show.</param>
public sealed record DatasetViewFiles(string Html, string Svg, string? Png, string? PngSkipped, DatasetAttentionSummary Summary)
{
    /// <summary>
    /// A link to <see cref="Html"/> for an <see cref="HtmlReport"/> written into <paramref name="reportDirectory"/>
    /// (<see cref="HtmlReportOptions.Links"/>): a relative path, so the pages still link when the folder is moved.
    /// </summary>
    /// <param name="reportDirectory">The directory of the report that links here.</param>
    /// <param name="title">The link text.</param>
    /// <param name="note">Text after the link, or null.</param>
    public ReportLink LinkFrom(string reportDirectory, string title, string? note = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(reportDirectory);
        string relative = Path.GetRelativePath(Path.GetFullPath(reportDirectory), Path.GetFullPath(Html)).Replace(Path.DirectorySeparatorChar, '/');
        return new ReportLink(title, string.Join('/', relative.Split('/').Select(Uri.EscapeDataString)), note);
    }
}
