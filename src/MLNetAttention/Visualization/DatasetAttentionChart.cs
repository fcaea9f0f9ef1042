using System.Globalization;

namespace MLNetAttention.Visualization;

/// <summary>
/// Lays out the <see cref="DatasetAttentionReport"/> bar chart as a scene for SVG and PNG: one panel per class, its top
/// tokens by total weight as horizontal bars coloured by their mean weight per occurrence.
/// </summary>
internal static class DatasetAttentionChart
{
    private const float BarWidth = 260, GridGap = 36;

    public static Scene Figure(DatasetAttentionSummary summary, FigureOptions o, int bars, TextMeasure measure)
    {
        var panels = summary.Classes.Select(c => Panel(c, summary, o, bars, measure)).ToList();
        var grid = new Scene();
        if (panels.Count == 0)
        {
            grid.Add(new TextShape(0, o.FontSize, "(no text)", o.FontSize, FigureLayout.Muted));
            grid.Width = measure("(no text)", o.FontSize, false);
            grid.Height = o.FontSize * 1.4f;
        }
        int columns = Math.Min(o.Columns, Math.Max(1, panels.Count));
        var widths = new float[columns];
        for (int i = 0; i < panels.Count; i++) widths[i % columns] = Math.Max(widths[i % columns], panels[i].Width);
        float y = 0;
        for (int row = 0; row * columns < panels.Count; row++)
        {
            float x = 0, height = 0;
            for (int c = 0; c < columns && row * columns + c < panels.Count; c++)
            {
                var panel = panels[row * columns + c];
                grid.Place(panel, x, y);
                x += widths[c] + GridGap;
                height = Math.Max(height, panel.Height);
            }
            y += height + GridGap;
        }
        return FigureLayout.Frame(grid, o, measure);
    }

    /// <summary>One class's panel: its name and size, a bar per token (label, bar, total), and the colour bar of the means.</summary>
    public static Scene Panel(ClassAttention c, DatasetAttentionSummary summary, FigureOptions o, int bars, TextMeasure measure)
    {
        var scene = new Scene();
        float size = o.FontSize, small = size * 0.85f, rowHeight = size * 1.5f;
        string heading = string.Create(CultureInfo.InvariantCulture,
            $"{FigureLayout.OneLine(c.Label)} · {c.Texts:N0} text{(c.Texts == 1 ? "" : "s")} ({(summary.By == ClassGrouping.Predicted ? "predicted" : "true")})");
        scene.Add(new TextShape(0, size, heading, size, FigureLayout.Ink, Bold: true));
        scene.Width = measure(heading, size, true);
        string caption = string.Create(CultureInfo.InvariantCulture, $"total attention weight, tokens seen ≥ {summary.MinCount} times; colour: mean per occurrence");
        scene.Add(new TextShape(0, size * 2.3f, caption, small * 0.9f, FigureLayout.Muted));
        scene.Width = Math.Max(scene.Width, measure(caption, small * 0.9f, false));
        float y = size * 3.1f;

        var rows = c.TokensByTotal.Take(bars).ToList();
        if (rows.Count == 0)
        {
            string none = c.Texts == 0 ? "(no text)" : $"(no token seen {summary.MinCount} times)";
            scene.Add(new TextShape(0, y + size, none, small, FigureLayout.Muted));
            scene.Width = Math.Max(scene.Width, measure(none, small, false));
            scene.Height = y + size * 1.4f;
            return scene;
        }
        var labels = rows.Select(r => Shorten(FigureLayout.OneLine(r.Token))).ToList();
        var values = rows.Select(r => r.Total.ToString("0.00", CultureInfo.InvariantCulture)).ToList();
        float labelWidth = labels.Max(l => measure(l, size, false)) + 8;
        double max = rows.Max(r => r.Total);
        var normalized = ColorMap.Normalize(rows.Select(r => (float)r.Mean).ToArray());
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            float top = y + i * rowHeight, baseline = top + rowHeight / 2 + size * 0.35f;
            float width = max > 0 ? Math.Max(1, (float)(r.Total / max) * BarWidth) : 1;
            string fill = ColorMap.Hex(o.Theme, normalized[i]);
            string title = string.Create(CultureInfo.InvariantCulture,
                $"{FigureLayout.OneLine(r.Token)} · total {r.Total:0.####} · mean {r.Mean:0.######} · count {r.Count:N0} · texts {r.Texts:N0}");
            scene.Add(new TextShape(labelWidth - 6, baseline, labels[i], size, FigureLayout.Ink, Anchor.End));
            scene.Add(new RectShape(labelWidth, top + rowHeight * 0.14f, width, rowHeight * 0.72f, fill, Title: title, Class: "bar"));
            scene.Add(new TextShape(labelWidth + width + 5, baseline, values[i], small, FigureLayout.Muted));
            scene.Width = Math.Max(scene.Width, labelWidth + width + 5 + measure(values[i], small, false));
        }
        y += rows.Count * rowHeight + size * 0.6f;
        scene.Add(new LineShape(labelWidth, y - size * 0.5f - rows.Count * rowHeight, labelWidth, y - size * 0.5f, FigureLayout.AxisColor));
        var legend = FigureLayout.ColorBar((float)rows.Min(r => r.Mean), (float)rows.Max(r => r.Mean), "mean weight", o, measure);
        scene.Place(legend, 0, y);
        scene.Width = Math.Max(scene.Width, labelWidth + BarWidth + 50);
        return scene;
    }

    private static string Shorten(string text, int max = 20) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1)] + "…";
}
