using System.Globalization;
using System.Text;

namespace MLNetAttention.Visualization;

/// <summary>
/// Vector figures for papers, hand-written SVG with no dependency: coloured token boxes wrapped every
/// <see cref="FigureOptions.TokensPerLine"/> tokens, the label line, a colour bar, the per-head line plot of weight
/// against token index and, for several heads, the head × token heatmap. Hovering a box shows its exact weight.
/// A text with <see cref="WeightedText.Explanations"/> gets one labelled row of boxes per explainer under it, all rows on
/// one colour scale (each row's |scores| as shares of their sum, then one min–max over the rows; negative scores underlined).
/// </summary>
public static class SvgFigure
{
    /// <summary>The SVG document of one example.</summary>
    /// <param name="text">The example.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string Render(WeightedText text, FigureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Render(new[] { text }, options);
    }

    /// <summary>The SVG document of several examples in a grid of <see cref="FigureOptions.Columns"/> columns.</summary>
    /// <param name="texts">The examples (at least one).</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string Render(IReadOnlyList<WeightedText> texts, FigureOptions? options = null)
    {
        var o = Check(options);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("No examples to draw.", nameof(texts));
        return ToSvg(FigureLayout.Frame(FigureLayout.Grid(texts, o, FigureLayout.EstimateWidth), o, FigureLayout.EstimateWidth), o.FontFamily);
    }

    /// <summary>
    /// The SVG document of a matched pair: both texts' weight rows, one above the other, and, when the pair has an
    /// <see cref="WeightedPair.Alignment"/> (cross-attention matcher) and <see cref="FigureOptions.ShowHeatmap"/> is on,
    /// the alignment heatmap (text A's tokens as rows, text B's as columns; hover a cell for its weight).
    /// </summary>
    /// <param name="pair">The pair.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static string Render(WeightedPair pair, FigureOptions? options = null)
    {
        var o = Check(options);
        ArgumentNullException.ThrowIfNull(pair);
        return ToSvg(FigureLayout.Frame(FigureLayout.Pair(pair, o, FigureLayout.EstimateWidth), o, FigureLayout.EstimateWidth), o.FontFamily);
    }

    /// <summary>Writes <see cref="Render(WeightedText, FigureOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .svg file.</param>
    /// <param name="text">The example.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, WeightedText text, FigureOptions? options = null) => AtomicFile.WriteAllText(path, Render(text, options));

    /// <summary>Writes <see cref="Render(IReadOnlyList{WeightedText}, FigureOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .svg file.</param>
    /// <param name="texts">The examples.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, IReadOnlyList<WeightedText> texts, FigureOptions? options = null) => AtomicFile.WriteAllText(path, Render(texts, options));

    /// <summary>Writes <see cref="Render(WeightedPair, FigureOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .svg file.</param>
    /// <param name="pair">The pair.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, WeightedPair pair, FigureOptions? options = null) => AtomicFile.WriteAllText(path, Render(pair, options));

    private static FigureOptions Check(FigureOptions? options)
    {
        var o = options ?? new FigureOptions();
        o.Validate();
        return o;
    }

    internal static string ToSvg(Scene scene, string fontFamily, bool standalone = true)
    {
        var svg = new StringBuilder();
        if (standalone) svg.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(scene.Width)}\" height=\"{N(scene.Height)}\" viewBox=\"0 0 {N(scene.Width)} {N(scene.Height)}\" font-family=\"{Escape(fontFamily)}\">\n");
        if (standalone) svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        foreach (var shape in scene.Shapes)
        {
            switch (shape)
            {
                case RectShape r:
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(r.X)}\" y=\"{N(r.Y)}\" width=\"{N(r.Width)}\" height=\"{N(r.Height)}\" fill=\"{r.Fill}\"");
                    if (r.Stroke is not null) svg.Append(CultureInfo.InvariantCulture, $" stroke=\"{r.Stroke}\" stroke-width=\"1\"");
                    if (r.Class is not null) svg.Append(CultureInfo.InvariantCulture, $" class=\"{r.Class}\"");
                    if (r.Title is null) svg.Append("/>\n");
                    else svg.Append("><title>").Append(Escape(r.Title)).Append("</title></rect>\n");
                    break;
                case TextShape t:
                    string anchor = t.Anchor switch { Anchor.Middle => " text-anchor=\"middle\"", Anchor.End => " text-anchor=\"end\"", _ => "" };
                    svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(t.X)}\" y=\"{N(t.Y)}\" font-size=\"{N(t.Size)}\" fill=\"{t.Fill}\"{anchor}");
                    if (t.Bold) svg.Append(" font-weight=\"bold\"");
                    if (t.Rotation != 0) svg.Append(CultureInfo.InvariantCulture, $" transform=\"rotate({N(t.Rotation)} {N(t.X)} {N(t.Y)})\"");
                    svg.Append(" xml:space=\"preserve\">").Append(Escape(t.Text)).Append("</text>\n");
                    break;
                case LineShape l:
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(l.X1)}\" y1=\"{N(l.Y1)}\" x2=\"{N(l.X2)}\" y2=\"{N(l.Y2)}\" stroke=\"{l.Stroke}\" stroke-width=\"{N(l.Width)}\"/>\n");
                    break;
                case PolylineShape p:
                    svg.Append("<polyline fill=\"none\" stroke-linejoin=\"round\" stroke=\"").Append(p.Stroke).Append("\" stroke-width=\"").Append(N(p.Width)).Append("\" points=\"");
                    svg.AppendJoin(' ', p.Points.Select(q => N(q.X) + "," + N(q.Y)));
                    svg.Append('"');
                    if (p.Title is null) svg.Append("/>\n");
                    else svg.Append("><title>").Append(Escape(p.Title)).Append("</title></polyline>\n");
                    break;
            }
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string N(float value) => float.IsFinite(value) ? value.ToString("0.##", CultureInfo.InvariantCulture) : "0";

    /// <summary>XML-escapes text and drops what XML 1.0 cannot hold (control characters, lone surrogates).</summary>
    internal static string Escape(string text)
    {
        var output = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '<': output.Append("&lt;"); break;
                case '>': output.Append("&gt;"); break;
                case '&': output.Append("&amp;"); break;
                case '"': output.Append("&quot;"); break;
                case '\'': output.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) output.Append(c).Append(text[++i]);
                    else if (char.IsSurrogate(c) || c == '\uFFFE' || c == '\uFFFF') output.Append('\uFFFD');
                    else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') output.Append(' ');
                    else output.Append(c);
                    break;
            }
        }
        return output.ToString();
    }
}
