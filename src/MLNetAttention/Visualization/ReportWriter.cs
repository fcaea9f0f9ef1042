
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
}
