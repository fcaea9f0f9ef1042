namespace MLNetAttention.Visualization;

/// <summary>Options of the vector (<see cref="SvgFigure"/>) and raster (<see cref="PngFigure"/>) figures.</summary>
public sealed class FigureOptions
{
    /// <summary>How weights are coloured.</summary>
    public ColorTheme Theme { get; set; } = ColorTheme.Viridis;

    /// <summary>Token boxes per line before wrapping.</summary>
    public int TokensPerLine { get; set; } = 20;

    /// <summary>Font size of the tokens, in SVG units (CSS pixels).</summary>
    public float FontSize { get; set; } = 16;

    /// <summary>Draw the per-head line plot of weight against token index.</summary>
    public bool ShowPlot { get; set; } = true;

    /// <summary>Draw the head × token heatmap when the text has more than one head, and a pair's alignment heatmap when it has one.</summary>
    public bool ShowHeatmap { get; set; } = true;

    /// <summary>
    /// Draw a text's <see cref="WeightedText.Explanations"/> under it: one labelled row of token boxes per explainer, all
    /// rows on one colour scale (see <see cref="ExplanationRow"/>). Texts without explanation rows look the same either way.
    /// </summary>
    public bool ShowExplanations { get; set; } = true;

    /// <summary>Examples side by side in a grid of several examples.</summary>
    public int Columns { get; set; } = 2;

    /// <summary>
    /// Per head, a short label (such as the head's top tokens, <see cref="HeadProfileSummary.Labels"/>) written after
    /// "head k" in the plot legend and the heatmap rows of texts with that many heads; null for none.
    /// </summary>
    public IReadOnlyList<string>? HeadLabels { get; set; }

    /// <summary>A title above the figure, or null for none.</summary>
    public string? Title { get; set; }

    /// <summary>PNG only: device pixels per SVG unit (2 = high DPI).</summary>
    public float Scale { get; set; } = 2;

    /// <summary>The CSS font-family list written into SVG files; CJK fonts first so Chinese and Japanese text renders.</summary>
    public string FontFamily { get; set; } = "'Noto Sans CJK SC', 'Noto Sans CJK TC', 'Noto Sans', 'DejaVu Sans', sans-serif";

    internal void Validate()
    {
        if (TokensPerLine < 1) throw new ArgumentOutOfRangeException(nameof(TokensPerLine), TokensPerLine, "At least one token per line.");
        if (Columns < 1) throw new ArgumentOutOfRangeException(nameof(Columns), Columns, "At least one column.");
        if (!(FontSize >= 4 && FontSize <= 200)) throw new ArgumentOutOfRangeException(nameof(FontSize), FontSize, "Font size must be between 4 and 200.");
        if (!(Scale > 0 && Scale <= 8)) throw new ArgumentOutOfRangeException(nameof(Scale), Scale, "Scale must be in (0, 8].");
    }
}
