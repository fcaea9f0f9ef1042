using System.Globalization;
using System.Text;

namespace MLNetAttention.Visualization;

/// <summary>
/// The offline HTML page of a <see cref="DatasetAttentionSummary"/>: per class its bar chart and sortable tables of
/// tokens and bigrams (click a column heading to sort; click a token to see its example texts with it highlighted).
/// Every text from the data and the model is escaped.
/// </summary>
internal static class DatasetAttentionHtml
{
    private const string FontStack = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'Noto Sans CJK TC', 'Microsoft YaHei', sans-serif";

    public static string Render(DatasetAttentionSummary summary, DatasetAttentionReportOptions o)
    {
        var figure = o.Figure(withTitle: false);
        var html = new StringBuilder(64 * 1024);
        string by = summary.By == ClassGrouping.Predicted ? "predicted" : "true";
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(o.Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n<header>\n<h1>")
            .Append(E(o.Title)).Append("</h1>\n");
        if (!string.IsNullOrWhiteSpace(o.Description)) html.Append("<p class=\"description\">").Append(E(o.Description)).Append("</p>\n");
        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"summary\">{summary.Texts:N0} texts grouped by their {by} class · tokens and bigrams seen at least {summary.MinCount} times · top {summary.Top} by total and by mean");
        if (summary.Heads > 1) html.Append(CultureInfo.InvariantCulture, $" (and per head, {summary.Heads} heads)");
        html.Append("</p>\n<p class=\"hint\">total: the attention weight summed over every occurrence (each text's weights sum to 1, so a class's totals add up to its number of texts) · mean: total / count · texts: texts it occurs in. Click a heading to sort, a token for its examples.</p>\n");
        if (summary.Approximate)
            html.Append("<p class=\"hint warn\">Some rare entries were dropped to bound memory; counts and totals of entries that came back may be low.</p>\n");
        html.Append("<nav>");
        for (int i = 0; i < summary.Classes.Count; i++)
            html.Append(CultureInfo.InvariantCulture, $"<a href=\"#class-{i + 1}\">").Append(E(summary.Classes[i].Label))
                .Append(CultureInfo.InvariantCulture, $" <span>{summary.Classes[i].Texts:N0}</span></a>");
        html.Append("</nav>\n</header>\n<main>\n");

        for (int i = 0; i < summary.Classes.Count; i++)
        {
            var c = summary.Classes[i];
            html.Append(CultureInfo.InvariantCulture, $"<section class=\"class\" id=\"class-{i + 1}\">\n<h2>").Append(E(c.Label))
                .Append(CultureInfo.InvariantCulture,
                    $" <span class=\"meta\">{c.Texts:N0} text{(c.Texts == 1 ? "" : "s")} · {c.Tokens:N0} tokens · {c.DistinctTokens:N0} distinct tokens · {c.DistinctBigrams:N0} distinct bigrams · total weight {c.Mass:0.###}</span></h2>\n");
            if (c.Texts == 0)
            {
                html.Append("<p class=\"none\">No text in this class.</p>\n</section>\n");
                continue;
            }
            html.Append("<details class=\"chart\" open><summary>top tokens by total weight</summary>\n")
                .Append(SvgFigure.ToSvg(DatasetAttentionChart.Panel(c, summary, figure, o.ChartBars, FigureLayout.EstimateWidth), figure.FontFamily, standalone: false))
                .Append("</details>\n");
            html.Append("<div class=\"tabs\" role=\"tablist\"><button type=\"button\" class=\"active\" data-show=\"tokens\">tokens</button>")
                .Append("<button type=\"button\" data-show=\"bigrams\">bigrams</button></div>\n");
            var tokens = Union(c.TokensByTotal, c.TokensByMean, c.Heads.SelectMany(h => h.TokensByTotal.Concat(h.TokensByMean)));
            var bigrams = Union(c.BigramsByTotal, c.BigramsByMean, c.Heads.SelectMany(h => h.BigramsByTotal.Concat(h.BigramsByMean)));
            AppendTable(html, "tokens", "token", tokens, summary, o, hidden: false);
            AppendTable(html, "bigrams", "bigram", bigrams, summary, o, hidden: true);
            html.Append("</section>\n");
        }
        html.Append("</main>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    // Every listed entry once (by total, by mean, per head), highest total first.
    private static List<TokenAttention> Union(IEnumerable<TokenAttention> byTotal, IEnumerable<TokenAttention> byMean, IEnumerable<TokenAttention> byHead)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return byTotal.Concat(byMean).Concat(byHead).Where(t => seen.Add(t.Token))
            .OrderByDescending(t => t.Total).ThenByDescending(t => t.Count).ThenBy(t => t.Token, StringComparer.Ordinal).ToList();
    }

    private static void AppendTable(StringBuilder html, string kind, string noun, List<TokenAttention> rows, DatasetAttentionSummary summary,
        DatasetAttentionReportOptions o, bool hidden)
    {
        html.Append("<div class=\"table\" data-kind=\"").Append(kind).Append('"').Append(hidden ? " hidden" : "").Append(">\n");
        if (rows.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"none\">No {noun} seen at least {summary.MinCount} times.</p>\n</div>\n");
            return;
        }
        html.Append("<table class=\"sortable\">\n<thead><tr>")
            .Append("<th data-type=\"num\" title=\"rank by total\">#</th>")
            .Append("<th data-type=\"text\">").Append(noun).Append("</th>")
            .Append("<th data-type=\"num\" class=\"sorted desc\">total</th>")
            .Append("<th data-type=\"num\">mean</th><th data-type=\"num\">count</th><th data-type=\"num\">texts</th>");
        for (int h = 0; h < (summary.Heads > 1 ? summary.Heads : 0); h++)
            html.Append(CultureInfo.InvariantCulture, $"<th data-type=\"num\" title=\"mean weight of head {h + 1} per occurrence\">head {h + 1} mean</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        double maxTotal = rows.Max(r => r.Total);
        var normalized = ColorMap.Normalize(rows.Select(r => (float)r.Mean).ToArray());
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            string fill = ColorMap.Hex(o.Theme, normalized[i]);
            double share = maxTotal > 0 ? 100 * r.Total / maxTotal : 0;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td data-v=\"{i + 1}\">{i + 1}</td><td data-v=\"").Append(E(r.Token)).Append("\">");
            if (r.Examples.Count > 0)
            {
                html.Append("<details><summary><span class=\"tok\">").Append(E(r.Token)).Append("</span>")
                    .Append(CultureInfo.InvariantCulture, $" <span class=\"n\">{r.Examples.Count} example{(r.Examples.Count == 1 ? "" : "s")}</span></summary>\n<ol class=\"examples\">");
                foreach (var e in r.Examples) AppendExample(html, e);
                html.Append("</ol></details>");
            }
            else html.Append("<span class=\"tok\">").Append(E(r.Token)).Append("</span>");
            html.Append("</td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-v=\"{N(r.Total)}\"><div class=\"cell\"><span class=\"bar\" style=\"width:{Math.Max(1, share):0.#}px;background:{fill}\"></span><span>{r.Total:0.000}</span></div></td>")
                .Append(CultureInfo.InvariantCulture, $"<td data-v=\"{N(r.Mean)}\">{r.Mean:0.0000}</td><td data-v=\"{r.Count}\">{r.Count:N0}</td><td data-v=\"{r.Texts}\">{r.Texts:N0}</td>");
            for (int h = 0; h < (summary.Heads > 1 ? summary.Heads : 0); h++)
                html.Append(CultureInfo.InvariantCulture, $"<td data-v=\"{N(r.HeadMean(h))}\" title=\"head {h + 1} total {r.HeadTotals[h]:0.000}\">{r.HeadMean(h):0.0000}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody></table>\n</div>\n");
    }

    private static void AppendExample(StringBuilder html, AttentionExample e)
    {
        int offset = Math.Clamp(e.Offset, 0, e.Text.Length), end = Math.Clamp(e.Offset + e.Length, offset, e.Text.Length);
        html.Append("<li><p class=\"ex\">").Append(e.CutBefore ? "… " : "").Append(E(e.Text[..offset])).Append("<mark>").Append(E(e.Text[offset..end]))
            .Append("</mark>").Append(E(e.Text[end..])).Append(e.CutAfter ? " …" : "").Append("</p><p class=\"exmeta\">")
            .Append(CultureInfo.InvariantCulture, $"text #{e.TextIndex + 1} · predicted <b>").Append(E(e.PredictedLabel))
            .Append(CultureInfo.InvariantCulture, $"</b> ({e.Probability:0.000})");
        if (e.TrueLabel is not null)
            html.Append(" · true <b").Append(e.TrueLabel == e.PredictedLabel ? "" : " class=\"wrong\"").Append('>').Append(E(e.TrueLabel)).Append("</b>");
        html.Append(CultureInfo.InvariantCulture, $" · weight {e.Weight:0.####}</p></li>");
    }

    private static string N(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "0";

    private static string E(string text) => SvgFigure.Escape(text);

    private const string Css = $$"""
        * { box-sizing: border-box; }
        body { margin: 0; background: #f4f4f5; color: #222; font-family: {{FontStack}}; }
        header { background: #fff; border-bottom: 1px solid #ddd; padding: 12px 24px 10px; }
        h1 { font-size: 20px; margin: 0 0 4px; }
        h2 { font-size: 18px; margin: 0 0 8px; }
        h2 .meta { font-size: 13px; font-weight: normal; color: #666; margin-left: 8px; }
        .description, .summary, .hint { margin: 2px 0; color: #555; font-size: 14px; }
        .hint { color: #777; font-size: 13px; }
        .warn { color: #c62828; }
        nav { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
        nav a { font-size: 13px; padding: 2px 10px; border: 1px solid #bbb; border-radius: 12px; color: #333; text-decoration: none; background: #fff; }
        nav a span { color: #888; }
        main { padding: 14px 24px 40px; display: grid; gap: 14px; }
        section.class { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; min-width: 0; }
        details.chart { margin-bottom: 8px; overflow-x: auto; }
        details.chart summary { cursor: pointer; font-size: 13px; color: #555; }
        details.chart svg { display: block; margin-top: 4px; max-width: 100%; height: auto; }
        .tabs { display: flex; margin: 6px 0; }
        .tabs button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid #bbb; background: #fff; color: #333; cursor: pointer; }
        .tabs button:first-child { border-radius: 4px 0 0 4px; }
        .tabs button:last-child { border-radius: 0 4px 4px 0; border-left: none; }
        .tabs button.active { background: #333; border-color: #333; color: #fff; }
        table.sortable { border-collapse: collapse; font-size: 14px; width: 100%; }
        .sortable th { text-align: right; font-weight: 600; color: #444; border-bottom: 2px solid #ccc; padding: 4px 8px; cursor: pointer; user-select: none; white-space: nowrap; }
        .sortable th:nth-child(2) { text-align: left; }
        .sortable th.sorted.desc::after { content: " ▼"; font-size: 10px; }
        .sortable th.sorted.asc::after { content: " ▲"; font-size: 10px; }
        .sortable td { text-align: right; padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; font-variant-numeric: tabular-nums; }
        .sortable td:nth-child(2) { text-align: left; width: 50%; }
        .sortable td:nth-child(3) { min-width: 160px; }
        .cell { display: flex; align-items: center; gap: 6px; justify-content: flex-end; }
        .cell .bar { display: inline-block; height: 12px; border-radius: 2px; flex: 0 0 auto; }
        .tok { font-size: 16px; font-weight: 600; }
        details summary { cursor: pointer; }
        .n { color: #888; font-size: 12px; }
        ol.examples { margin: 4px 0 8px; padding-left: 22px; }
        ol.examples li { margin-bottom: 6px; }
        .ex { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.6; }
        .ex mark { background: #fde725; color: #000; padding: 0 2px; border-radius: 2px; font-weight: 600; }
        .exmeta { margin: 0; color: #777; font-size: 12px; }
        .exmeta .wrong { color: #c62828; }
        .none { color: #777; }
        [hidden] { display: none !important; }

        """;

    private const string Script = """
        (function () {
          'use strict';
          function value(row, column, type) {
            var v = row.cells[column].getAttribute('data-v') || '';
            return type === 'num' ? parseFloat(v) || 0 : v;
          }
          document.querySelectorAll('table.sortable').forEach(function (table) {
            var headers = table.tHead.rows[0].cells;
            Array.prototype.forEach.call(headers, function (th, column) {
              th.addEventListener('click', function () {
                var type = th.getAttribute('data-type');
                // Numbers start highest first, text A to Z; a second click reverses.
                var descending = th.classList.contains('sorted') ? !th.classList.contains('desc') : type === 'num';
                if (th.textContent === '#') descending = th.classList.contains('sorted') ? !th.classList.contains('desc') : false;
                Array.prototype.forEach.call(headers, function (h) { h.classList.remove('sorted', 'asc', 'desc'); });
                th.classList.add('sorted', descending ? 'desc' : 'asc');
                var body = table.tBodies[0];
                var rows = Array.prototype.slice.call(body.rows);
                rows.sort(function (a, b) {
                  var x = value(a, column, type), y = value(b, column, type);
                  var order = type === 'num' ? x - y : x.localeCompare(y);
                  // Ties keep the ranking by total.
                  return order === 0 ? value(a, 0, 'num') - value(b, 0, 'num') : descending ? -order : order;
                });
                rows.forEach(function (row) { body.appendChild(row); });
              });
            });
          });
          document.querySelectorAll('section.class').forEach(function (section) {
            section.querySelectorAll('.tabs button').forEach(function (button) {
              button.addEventListener('click', function () {
                var show = button.getAttribute('data-show');
                section.querySelectorAll('.tabs button').forEach(function (b) { b.classList.toggle('active', b === button); });
                section.querySelectorAll('.table').forEach(function (t) { t.hidden = t.getAttribute('data-kind') !== show; });
              });
            });
          });
        })();

        """;
}
