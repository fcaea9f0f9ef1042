using System.Globalization;
using System.Security;
using System.Text;

namespace MLNetAttention.Faithfulness;

/// <summary>A standalone SVG line plot of a <see cref="FaithfulnessReport"/>: k (percent of the length) against the mean probability drop.</summary>
public static class FaithfulnessPlot
{
    private const int Width = 720, Height = 420;
    private const int Left = 70, Right = 210, Top = 40, Bottom = 55;

    private static readonly Dictionary<(ErasureStrategy, bool), string> Colors = new()
    {
        [(ErasureStrategy.TopAttention, false)] = "#d62728",
        [(ErasureStrategy.Random, false)] = "#7f7f7f",
        [(ErasureStrategy.BottomAttention, false)] = "#1f77b4",
        [(ErasureStrategy.TopAttention, true)] = "#ff9896",
        [(ErasureStrategy.Random, true)] = "#c7c7c7",
        [(ErasureStrategy.BottomAttention, true)] = "#aec7e8",
    };

    /// <summary>The plot as an SVG document: one polyline per series with markers, axes with ticks, and a legend.</summary>
    /// <param name="report">The report to draw.</param>
    /// <param name="title">The title; null for one built from the report.</param>
    public static string ToSvg(FaithfulnessReport report, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;
        var series = report.Series;
        var points = series.SelectMany(s => s.Points).ToArray();
        double xMax = points.Length > 0 ? points.Max(p => p.KPercent) : 10;
        double yMin = Math.Min(0, points.Length > 0 ? points.Min(p => p.MeanDrop) : 0);
        double yMax = Math.Max(points.Length > 0 ? points.Max(p => p.MeanDrop) : 0, yMin + 1e-3);
        double yStep = NiceStep((yMax - yMin) / 5);
        yMin = Math.Floor(yMin / yStep) * yStep;
        yMax = Math.Ceiling(yMax / yStep) * yStep;
        double plotWidth = Width - Left - Right, plotHeight = Height - Top - Bottom;
        double X(double k) => Left + k / xMax * plotWidth;
        double Y(double drop) => Top + (yMax - drop) / (yMax - yMin) * plotHeight;
        string F(double v) => v.ToString("0.##", c);

        title ??= $"Faithfulness: {report.Pooling} pooling, erase = {report.EraseMode}, {report.Texts} texts";
        var s = new StringBuilder();
        s.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        s.AppendLine($"  <rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        s.AppendLine($"  <text x=\"{Left}\" y=\"{Top - 16}\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>");
        // Grid and y ticks.
        for (double y = yMin; y <= yMax + yStep / 2; y += yStep)
        {
            s.AppendLine($"  <line x1=\"{F(Left)}\" y1=\"{F(Y(y))}\" x2=\"{F(Left + plotWidth)}\" y2=\"{F(Y(y))}\" stroke=\"#e5e5e5\"/>");
            s.AppendLine($"  <text x=\"{F(Left - 6)}\" y=\"{F(Y(y) + 4)}\" text-anchor=\"end\">{y.ToString(yStep < 0.01 ? "0.000" : "0.00", c)}</text>");
        }
        // x ticks at the evaluated k.
        foreach (var k in points.Select(p => p.KPercent).Distinct().Order())
        {
            s.AppendLine($"  <line x1=\"{F(X(k))}\" y1=\"{F(Top + plotHeight)}\" x2=\"{F(X(k))}\" y2=\"{F(Top + plotHeight + 5)}\" stroke=\"black\"/>");
            s.AppendLine($"  <text x=\"{F(X(k))}\" y=\"{F(Top + plotHeight + 18)}\" text-anchor=\"middle\">{F(k)}%</text>");
        }
        // Axes (the x axis at drop 0).
        s.AppendLine($"  <line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{F(Top + plotHeight)}\" stroke=\"black\"/>");
        s.AppendLine($"  <line x1=\"{Left}\" y1=\"{F(Y(0))}\" x2=\"{F(Left + plotWidth)}\" y2=\"{F(Y(0))}\" stroke=\"black\"/>");
        s.AppendLine($"  <text x=\"{F(Left + plotWidth / 2)}\" y=\"{Height - 14}\" text-anchor=\"middle\">tokens erased (k, % of the text's length)</text>");
        s.AppendLine($"  <text transform=\"translate(18 {F(Top + plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">mean drop of the predicted class's probability</text>");
        // Lines and legend.
        for (int i = 0; i < series.Count; i++)
        {
            var line = series[i];
            string color = Colors.GetValueOrDefault((line.Strategy, line.Uniform), "black");
            string dash = line.Uniform ? " stroke-dasharray=\"6 4\"" : "";
            string path = string.Join(" ", line.Points.Select(p => $"{F(X(p.KPercent))},{F(Y(p.MeanDrop))}"));
            s.AppendLine($"  <polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash} points=\"{path}\"><title>{Escape(line.Name)}</title></polyline>");
            foreach (var p in line.Points)
                s.AppendLine($"  <circle cx=\"{F(X(p.KPercent))}\" cy=\"{F(Y(p.MeanDrop))}\" r=\"3\" fill=\"{color}\"><title>{Escape(line.Name)}: k {F(p.KPercent)}%, drop {p.MeanDrop.ToString("0.0000", c)}</title></circle>");
            double ly = Top + 10 + i * 20, lx = Left + plotWidth + 16;
            s.AppendLine($"  <line x1=\"{F(lx)}\" y1=\"{F(ly)}\" x2=\"{F(lx + 24)}\" y2=\"{F(ly)}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>");
            s.AppendLine($"  <text x=\"{F(lx + 30)}\" y=\"{F(ly + 4)}\">{Escape(line.Name)}</text>");
        }
        s.AppendLine("</svg>");
        return s.ToString();
    }

    private static double NiceStep(double raw)
    {
        if (!(raw > 0)) return 0.01;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double unit = raw / magnitude;
        return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * magnitude;
    }

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
