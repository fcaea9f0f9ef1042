using System.Globalization;
using System.Security;
using System.Text;

namespace MLNetAttention.Faithfulness;

/// <summary>
/// A standalone SVG bar chart of an <see cref="ExplainerComparisonReport"/>: per explainer, its AOPC comprehensiveness
/// (higher is better) and sufficiency (lower is better). Fits an HTML report's figure (<c>ReportFigure</c>).
/// </summary>
public static class ExplainerComparisonPlot
{
    private const int Width = 720, Left = 250, Right = 30, Top = 56, Bottom = 48, RowHeight = 34, BarHeight = 12;
    private const string ComprehensivenessColor = "#d62728", SufficiencyColor = "#1f77b4";

    /// <summary>The chart as an SVG document: two horizontal bars per explainer (each with its value on hover), a zero line, ticks and a legend.</summary>
    /// <param name="report">The report to draw.</param>
    /// <param name="title">The title; null for one built from the report (it names the erase mode).</param>
    public static string ToSvg(ExplainerComparisonReport report, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;
        var rows = report.Explainers;
        var values = rows.SelectMany(r => new[] { r.Comprehensiveness, r.Sufficiency }).Where(double.IsFinite).ToArray();
        double min = Math.Min(0, values.DefaultIfEmpty(0).Min()), max = Math.Max(0, values.DefaultIfEmpty(0).Max());
        if (max - min < 1e-3) max = min + 1e-3;
        double step = NiceStep((max - min) / 5);
        min = Math.Floor(min / step) * step;
        max = Math.Ceiling(max / step) * step;
        int height = Top + Bottom + Math.Max(1, rows.Count) * RowHeight;
        double plotWidth = Width - Left - Right, plotBottom = height - Bottom;
        double X(double v) => Left + (v - min) / (max - min) * plotWidth;
        string F(double v) => v.ToString("0.##", c);

        title ??= string.Create(c, $"ERASER AOPC, {report.Texts} texts, erased tokens {(report.EraseMode == EraseMode.Remove ? "deleted" : "replaced by <unk>")}");
        var s = new StringBuilder();
        s.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");
        s.AppendLine($"  <rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        s.AppendLine($"  <text x=\"{Left}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{Escape(title)}</text>");
        Legend(s, Left, 40, ComprehensivenessColor, "comprehensiveness (higher is better)");
        Legend(s, Left + 250, 40, SufficiencyColor, "sufficiency (lower is better)");
        for (double v = min; v <= max + step / 2; v += step)
        {
            s.AppendLine($"  <line x1=\"{F(X(v))}\" y1=\"{Top}\" x2=\"{F(X(v))}\" y2=\"{F(plotBottom)}\" stroke=\"#e5e5e5\"/>");
            s.AppendLine($"  <text x=\"{F(X(v))}\" y=\"{F(plotBottom + 16)}\" text-anchor=\"middle\">{v.ToString(step < 0.01 ? "0.000" : "0.00", c)}</text>");
        }
        s.AppendLine($"  <line x1=\"{F(X(0))}\" y1=\"{Top}\" x2=\"{F(X(0))}\" y2=\"{F(plotBottom)}\" stroke=\"black\"/>");
        s.AppendLine($"  <text x=\"{F(Left + plotWidth / 2)}\" y=\"{height - 10}\" text-anchor=\"middle\">probability drop of the predicted class, mean over k = {Escape(string.Join(", ", report.Percentages.Select(k => k.ToString("0.##", c))))} %</text>");
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            double y = Top + i * RowHeight + 4;
            s.AppendLine($"  <text x=\"{Left - 8}\" y=\"{F(y + BarHeight + 2)}\" text-anchor=\"end\">{Escape(row.Explainer)}</text>");
            Bar(s, X, y, row.Comprehensiveness, ComprehensivenessColor, $"{row.Explainer}: comprehensiveness {row.Comprehensiveness.ToString("0.0000", c)}");
            Bar(s, X, y + BarHeight + 2, row.Sufficiency, SufficiencyColor, $"{row.Explainer}: sufficiency {row.Sufficiency.ToString("0.0000", c)}");
        }
        s.AppendLine("</svg>");
        return s.ToString();
    }

    private static void Bar(StringBuilder s, Func<double, double> x, double y, double value, string color, string tip)
    {
        var c = CultureInfo.InvariantCulture;
        double v = double.IsFinite(value) ? value : 0;
        double from = Math.Min(x(0), x(v)), width = Math.Abs(x(v) - x(0));
        s.AppendLine(string.Create(c, $"  <rect x=\"{from:0.##}\" y=\"{y:0.##}\" width=\"{width:0.##}\" height=\"{BarHeight}\" fill=\"{color}\"><title>{Escape(tip)}</title></rect>"));
    }

    private static void Legend(StringBuilder s, double x, double y, string color, string text)
    {
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(string.Create(c, $"  <rect x=\"{x:0.##}\" y=\"{y - 10:0.##}\" width=\"14\" height=\"10\" fill=\"{color}\"/>"));
        s.AppendLine(string.Create(c, $"  <text x=\"{x + 20:0.##}\" y=\"{y:0.##}\">{Escape(text)}</text>"));
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
