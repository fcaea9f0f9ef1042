using System.Globalization;

namespace MLNetAttention.Visualization;

/// <summary>Lays out the figures (token boxes, colour bar, per-head line plot, heatmap) as scenes for SVG and PNG.</summary>
internal static class FigureLayout
{
    /// <summary>Matplotlib's tab10: one line colour per head.</summary>
    public static readonly string[] HeadColors =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public const string Ink = "#222222", Muted = "#666666", AxisColor = "#444444", GridColor = "#e3e3e3", Bad = "#c62828", Good = "#2e7d32";
    private const float Margin = 16, SectionGap = 14, GridGap = 36;

    // The alignment heatmap's longer side, in units, before its cells reach their largest size.
    private const float AlignmentSide = 560;

    /// <summary>The default measure when no font is at hand: CJK and other wide characters are one em, the rest 0.6 em.</summary>
    public static float EstimateWidth(string text, float size, bool bold)
    {
        float width = 0;
        foreach (var rune in text.EnumerateRunes())
            width += IsWide(rune.Value) ? 1f : rune.Value < 0x20 ? 0 : rune.IsAscii && "il.,:;'|!".Contains((char)rune.Value) ? 0.32f : 0.6f;
        return width * size * (bold ? 1.05f : 1f);
    }

    /// <summary>East Asian wide and full-width characters (CJK ideographs, kana, Hangul, full-width forms).</summary>
    public static bool IsWide(int c) =>
        c is >= 0x1100 and <= 0x115F or >= 0x2E80 and <= 0x303E or >= 0x3041 and <= 0x33FF or >= 0x3400 and <= 0x4DBF
        or >= 0x4E00 and <= 0x9FFF or >= 0xA000 and <= 0xA4CF or >= 0xAC00 and <= 0xD7A3 or >= 0xF900 and <= 0xFAFF
        or >= 0xFE30 and <= 0xFE4F or >= 0xFF00 and <= 0xFF60 or >= 0xFFE0 and <= 0xFFE6 or >= 0x20000 and <= 0x3FFFD;

    public static Scene Frame(Scene content, FigureOptions o, TextMeasure measure)
    {
        var frame = new Scene();
        float top = Margin;
        if (!string.IsNullOrWhiteSpace(o.Title))
        {
            float size = o.FontSize * 1.25f;
            string title = OneLine(o.Title);
            frame.Add(new TextShape(Margin, Margin + size, title, size, Ink, Bold: true));
            frame.Width = Margin + measure(title, size, true);
            top += size * 1.8f;
        }
        frame.Place(content, Margin, top);
        frame.Width += Margin;
        frame.Height += Margin;
        return frame;
    }

    public static Scene Grid(IReadOnlyList<WeightedText> texts, FigureOptions o, TextMeasure measure)
    {
        var cells = texts.Select((t, i) => Example(t, o, measure, texts.Count > 1 ? i + 1 : null)).ToList();
        int columns = Math.Min(o.Columns, Math.Max(1, cells.Count));
        var columnWidths = new float[columns];
        for (int i = 0; i < cells.Count; i++) columnWidths[i % columns] = Math.Max(columnWidths[i % columns], cells[i].Width);
        var grid = new Scene();
        float y = 0;
        for (int row = 0; row * columns < cells.Count; row++)
        {
            float x = 0, height = 0;
            for (int c = 0; c < columns && row * columns + c < cells.Count; c++)
            {
                var cell = cells[row * columns + c];
                grid.Place(cell, x, y);
                x += columnWidths[c] + GridGap;
                height = Math.Max(height, cell.Height);
            }
            y += height + GridGap;
        }
        return grid;
    }

    public static Scene Example(WeightedText text, FigureOptions o, TextMeasure measure, int? index)
    {
        var scene = new Scene();
        float size = o.FontSize, y = 0;
        var (label, color) = LabelLine(index, text.TrueLabel, text.PredictedLabel, text.Probability, text.IsCorrect);
        label += text.Heads > 1 ? $" · {text.Heads} heads" : "";
        float labelSize = size * 0.85f;
        scene.Add(new TextShape(0, labelSize, label, labelSize, color, Bold: true));
        scene.Width = measure(label, labelSize, true);
        y += labelSize * 1.6f;

        var tokens = TokenBoxes(text, text.Weights, o, measure);
        scene.Place(tokens, 0, y);
        y += tokens.Height + SectionGap * 0.7f;

        var bar = ColorBar(text.Weights, "mean weight", o, measure);
        scene.Place(bar, 0, y);
        y += bar.Height + SectionGap;

        if (o.ShowExplanations && text.HasExplanations)
        {
            var rows = Explanations(text, o, measure);
            scene.Place(rows, 0, y);
            y += rows.Height + SectionGap;
        }

        float width = Math.Max(tokens.Width, 420);
        if (o.ShowPlot && text.Spans.Count > 0)
        {
            var plot = LinePlot(text, o, width, measure);
            scene.Place(plot, 0, y);
            y += plot.Height + SectionGap;
        }
        if (o.ShowHeatmap && text.Heads > 1 && text.Spans.Count > 0)
        {
            var heatmap = Heatmap(text, o, width, measure);
            scene.Place(heatmap, 0, y);
            y += heatmap.Height + SectionGap;
        }
        scene.Height = y - SectionGap;
        return scene;
    }

    public static Scene Pair(WeightedPair pair, FigureOptions o, TextMeasure measure)
    {
        var scene = new Scene();
        float size = o.FontSize, y = 0, labelSize = size * 0.85f;
        var (label, color) = LabelLine(null, PairName(pair.TrueLabel), PairName(pair.PredictedLabel), pair.Probability, pair.IsCorrect);
        scene.Add(new TextShape(0, labelSize, label, labelSize, color, Bold: true));
        scene.Width = measure(label, labelSize, true);
        y += labelSize * 1.6f;
        foreach (var (name, text) in new[] { ("A", pair.First), ("B", pair.Second) })
        {
            float tag = measure("B", size, true) + size * 0.6f;
            scene.Add(new TextShape(0, y + size * 1.2f, name, size, Muted, Bold: true));
            var tokens = TokenBoxes(text, text.Weights, o, measure);
            scene.Place(tokens, tag, y);
            y += tokens.Height + SectionGap * 0.5f;
            var bar = ColorBar(text.Weights, "mean weight", o, measure);
            scene.Place(bar, tag, y);
            y += bar.Height + SectionGap;
        }
        if (o.ShowHeatmap && pair.Alignment is { } alignment && alignment.Length > 0)
        {
            var heatmap = AlignmentHeatmap(pair.First, pair.Second, alignment, o, measure);
            scene.Place(heatmap, 0, y);
            y += heatmap.Height + SectionGap;
        }
        scene.Height = y - SectionGap;
        return scene;
    }

    /// <summary>A matcher label as the views show it: "1" is "match", "0" is "no match", others as given.</summary>
    public static string? PairName(string? label) => label is null ? null : MatchPrediction.NameOf(label);

    /// <summary>
    /// The cross-attention alignment: the tokens of <paramref name="first"/> as rows, those of <paramref name="second"/>
    /// as columns, each cell coloured by its weight min-max normalised over the whole matrix, with a colour bar.
    /// Axes are labelled with the tokens when the cells are large enough, else with token indices.
    /// </summary>
    public static Scene AlignmentHeatmap(WeightedText first, WeightedText second, float[,] alignment, FigureOptions o, TextMeasure measure)
    {
        var scene = new Scene();
        float size = o.FontSize * 0.7f;
        int rows = alignment.GetLength(0), columns = alignment.GetLength(1);
        float cell = Math.Clamp(AlignmentSide / Math.Max(rows, columns), 4, o.FontSize * 1.5f);
        bool tokenLabels = cell >= size * 1.1f;
        string[] rowLabels = Enumerable.Range(0, rows).Select(i => tokenLabels ? Shorten(OneLine(first.Token(i)), 12) : "").ToArray();
        string[] columnLabels = Enumerable.Range(0, columns).Select(j => tokenLabels ? Shorten(OneLine(second.Token(j)), 12) : "").ToArray();
        var rowTicks = tokenLabels ? Enumerable.Range(0, rows).ToArray() : IndexTicks(rows);
        var columnTicks = tokenLabels ? Enumerable.Range(0, columns).ToArray() : IndexTicks(columns);
        if (!tokenLabels)
        {
            foreach (int i in rowTicks) rowLabels[i] = i.ToString(CultureInfo.InvariantCulture);
            foreach (int j in columnTicks) columnLabels[j] = j.ToString(CultureInfo.InvariantCulture);
        }
        // Column labels lie flat when each fits its column (one CJK character does), else they read upwards.
        float widest = columnTicks.Select(j => measure(columnLabels[j], size, false)).DefaultIfEmpty(0).Max();
        bool upright = widest <= cell * 1.05f;
        float left = rowTicks.Select(i => measure(rowLabels[i], size, false)).DefaultIfEmpty(0).Max() + 8;
        string heading = "alignment: how each token of A attends over B";
        scene.Add(new TextShape(0, size, heading, size, Muted, Bold: true));
        scene.Width = measure(heading, size, true);
        float top = size * 1.6f + (upright ? size * 1.4f : widest + 6);
        foreach (int j in columnTicks)
        {
            float x = left + (j + 0.5f) * cell;
            scene.Add(upright
                ? new TextShape(x, top - size * 0.45f, columnLabels[j], size, AxisColor, Anchor.Middle)
                : new TextShape(x + size * 0.35f, top - 5, columnLabels[j], size, AxisColor, Rotation: -90));
        }
        var all = new float[alignment.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) all[i * columns + j] = alignment[i, j];
        var normalized = ColorMap.Normalize(all);
        for (int i = 0; i < rows; i++)
        {
            float y = top + i * cell;
            string token1 = OneLine(first.Token(i));
            for (int j = 0; j < columns; j++)
            {
                string title = string.Create(CultureInfo.InvariantCulture, $"{token1} → {OneLine(second.Token(j))} · weight {alignment[i, j]:0.######}");
                scene.Add(new RectShape(left + j * cell, y, cell, cell, ColorMap.Hex(o.Theme, normalized[i * columns + j]), Title: title, Class: "align"));
            }
        }
        foreach (int i in rowTicks)
            scene.Add(new TextShape(left - 6, top + (i + 0.5f) * cell + size * 0.35f, rowLabels[i], size, AxisColor, Anchor.End));
        float bottom = top + rows * cell;
        scene.Add(new TextShape(left, bottom + size * 1.3f, "rows: A · columns: B · rows sum to 1", size, Muted));
        var finite = all.Where(float.IsFinite).DefaultIfEmpty(0).ToArray();
        var bar = ColorBar(finite.Min(), finite.Max(), "weight", o, measure);
        scene.Place(bar, left, bottom + size * 2.1f);
        scene.Width = Math.Max(scene.Width, left + columns * cell);
        return scene;
    }

    // About ten evenly spaced indices in [0, count).
    private static int[] IndexTicks(int count) =>
        NiceTicks(0, Math.Max(1, count - 1), 8).Where(i => i <= count - 1 && i == Math.Floor(i)).Select(i => (int)i).Distinct().ToArray();

    public static (string Text, string Color) LabelLine(int? index, string? truth, string? predicted, float? probability, bool? correct)
    {
        var parts = new List<string>();
        if (index is int i) parts.Add($"#{i}");
        if (truth is not null) parts.Add($"true: {OneLine(truth)}");
        if (predicted is not null)
            parts.Add(probability is float p ? string.Create(CultureInfo.InvariantCulture, $"predicted: {OneLine(predicted)} ({p:0.000})") : $"predicted: {OneLine(predicted)}");
        if (correct is bool ok) parts.Add(ok ? "correct" : "misclassified");
        return (parts.Count == 0 ? "attention weights" : string.Join(" · ", parts), correct == false ? Bad : Ink);
    }

    /// <summary>
    /// The text's <see cref="WeightedText.Explanations"/>: one labelled row of token boxes per explainer, every box coloured
    /// by its share of the row's |scores| on one min–max scale for all rows (<see cref="ExplanationRow.Scale"/>), negative
    /// scores underlined, and the scale's colour bar.
    /// </summary>
    public static Scene Explanations(WeightedText text, FigureOptions o, TextMeasure measure)
    {
        var scene = new Scene();
        var rows = text.Explanations!;
        float size = o.FontSize, labelSize = size * 0.7f;
        string heading = "explainers: |score| ÷ the row's sum of |scores|, one colour scale for all rows; underlined = negative score";
        scene.Add(new TextShape(0, labelSize, heading, labelSize, Muted, Bold: true));
        scene.Width = measure(heading, labelSize, true);
        float y = labelSize * 1.7f;
        var names = rows.Select(r => Shorten(OneLine(r.Name), 28)).ToArray();
        float tag = names.Max(n => measure(n, labelSize, false)) + 10;
        var (normalized, min, max) = ExplanationRow.Scale(rows);
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            string name = OneLine(row.Name);
            var boxes = TokenBoxes(text, normalized[r], i => string.Create(CultureInfo.InvariantCulture,
                $"{OneLine(text.Token(i))} · {name} {row.Scores[i]:0.######} · share {row.Shares[i]:0.######}"), o, measure, "explainer", i => row.Scores[i] < 0, note: false);
            scene.Add(new TextShape(tag - 10, y + size * 1.75f / 2 + labelSize * 0.35f, names[r], labelSize, AxisColor, Anchor.End));
            scene.Place(boxes, tag, y);
            y += boxes.Height + size * 0.3f;
        }
        var bar = ColorBar(min, max, "share of |score| (all rows)", o, measure);
        scene.Place(bar, tag, y + size * 0.2f);
        return scene;
    }

    /// <summary>One box per token, coloured by its min-max normalised weight, wrapped every TokensPerLine tokens.</summary>
    public static Scene TokenBoxes(WeightedText text, IReadOnlyList<float> weights, FigureOptions o, TextMeasure measure) =>
        TokenBoxes(text, ColorMap.Normalize(weights), i => TokenTitle(text, i), o, measure, "token", null, note: true);

    // Boxes coloured by values already in [0, 1]; underlined where the predicate holds; with the truncation note when asked.
    private static Scene TokenBoxes(WeightedText text, IReadOnlyList<double> normalized, Func<int, string> title, FigureOptions o, TextMeasure measure,
        string boxClass, Func<int, bool>? underline, bool note)
    {
        var scene = new Scene();
        float size = o.FontSize, height = size * 1.75f, pad = size * 0.3f, minWidth = size * 1.25f, gap = 2, lineGap = size * 0.35f;
        float x = 0, y = 0;
        int inLine = 0, position = 0;
        for (int i = 0; i < text.Spans.Count; i++)
        {
            var (offset, length) = text.Spans[i];
            string between = OneLine(text.Text.Substring(position, offset - position)).Trim();
            position = offset + length;
            if (inLine == o.TokensPerLine)
            {
                x = 0;
                y += height + lineGap;
                inLine = 0;
            }
            if (between.Length > 0)
            {
                between = Shorten(between);
                float w = measure(between, size, false) + pad;
                scene.Add(new TextShape(x + w / 2, y + height / 2 + size * 0.35f, between, size, Muted, Anchor.Middle));
                x += w + gap;
            }
            string token = Shorten(OneLine(text.Token(i)));
            float width = Math.Max(minWidth, measure(token, size, false) + 2 * pad);
            string fill = ColorMap.Hex(o.Theme, normalized[i]);
            var (r, g, b) = ColorMap.Parse(fill);
            // Near-white boxes (the original theme's lowest weights) get an outline so they still read as boxes.
            string? outline = r > 235 && g > 235 && b > 235 ? "#d0d0d0" : null;
            scene.Add(new RectShape(x, y, width, height, fill, Stroke: outline, Title: title(i), Class: boxClass));
            scene.Add(new TextShape(x + width / 2, y + height / 2 + size * 0.35f, token, size, ColorMap.TextColorOn(fill), Anchor.Middle));
            if (underline?.Invoke(i) == true)
                scene.Add(new LineShape(x + pad * 0.5f, y + height - 3, x + width - pad * 0.5f, y + height - 3, ColorMap.TextColorOn(fill), 1.5f));
            x += width + gap;
            scene.Width = Math.Max(scene.Width, x - gap);
            inLine++;
        }
        string message = !note ? "" : text.Spans.Count == 0 ? "(no tokens)" : text.TruncatedTokens > 0 ? $"… {text.TruncatedTokens} more tokens past the maximum length, not scored" : "";
        if (message.Length > 0)
        {
            float noteSize = size * 0.75f;
            if (text.Spans.Count > 0) y += height + lineGap;
            scene.Add(new TextShape(0, y + noteSize * 1.2f, message, noteSize, Muted));
            scene.Width = Math.Max(scene.Width, measure(message, noteSize, false));
            y += noteSize * 1.6f;
            scene.Height = y;
        }
        else scene.Height = y + height;
        return scene;
    }

    public static string TokenTitle(WeightedText text, int i)
    {
        string title = string.Create(CultureInfo.InvariantCulture, $"{OneLine(text.Token(i))} · weight {text.Weights[i]:0.######}");
        if (text.Heads > 1)
            title += " · heads " + string.Join(", ", Enumerable.Range(0, text.Heads).Select(h => text.HeadWeights(h)[i].ToString("0.######", CultureInfo.InvariantCulture)));
        return title;
    }

    /// <summary>A horizontal colour bar from the lowest to the highest weight, with both values printed.</summary>
    public static Scene ColorBar(IReadOnlyList<float> weights, string caption, FigureOptions o, TextMeasure measure) =>
        ColorBar(weights.Count == 0 ? 0 : weights.Min(), weights.Count == 0 ? 0 : weights.Max(), caption, o, measure);

    public static Scene ColorBar(float min, float max, string caption, FigureOptions o, TextMeasure measure)
    {
        var scene = new Scene();
        float size = o.FontSize * 0.7f, barWidth = 200, barHeight = size * 1.1f;
        string low = string.Create(CultureInfo.InvariantCulture, $"{caption}  min {min:0.####}");
        string high = string.Create(CultureInfo.InvariantCulture, $"max {max:0.####}");
        float x = measure(low, size, false) + 6;
        float baseline = barHeight * 0.5f + size * 0.35f;
        scene.Add(new TextShape(0, baseline, low, size, Muted));
        int slices = o.Theme == ColorTheme.Original ? ColorMap.Stops(ColorTheme.Original).Count : 64;
        float sliceWidth = barWidth / slices;
        for (int s = 0; s < slices; s++)
        {
            double t = o.Theme == ColorTheme.Original ? (s + 0.5) / slices : s / (double)(slices - 1);
            // Slices overlap by a hair so no white seams show between them when rasterised.
            scene.Add(new RectShape(x + s * sliceWidth, 0, sliceWidth + (s < slices - 1 ? 0.5f : 0), barHeight, ColorMap.Hex(o.Theme, t), Class: "legend"));
        }
        scene.Add(new RectShape(x, 0, barWidth, barHeight, "none", Stroke: "#999999"));
        scene.Add(new TextShape(x + barWidth + 6, baseline, high, size, Muted));
        scene.Width = x + barWidth + 6 + measure(high, size, false);
        scene.Height = barHeight;
        return scene;
    }

    /// <summary>The original's plot: weight against token index, one polyline per head, with axes and a legend.</summary>
    public static Scene LinePlot(WeightedText text, FigureOptions o, float width, TextMeasure measure)
    {
        var scene = new Scene { Width = width };
        float size = o.FontSize * 0.7f;
        int n = text.Spans.Count;
        float yMax = 0;
        for (int h = 0; h < text.Heads; h++)
            foreach (float w in text.HeadWeights(h))
                if (float.IsFinite(w)) yMax = Math.Max(yMax, w);
        var yTicks = NiceTicks(0, yMax > 0 ? yMax : 1, 4);
        yMax = (float)yTicks[^1];
        string[] yLabels = yTicks.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)).ToArray();
        float left = yLabels.Max(l => measure(l, size, false)) + 10;
        string[] names = text.Heads == 1 ? ["weight"] : Enumerable.Range(0, text.Heads).Select(h => HeadName(h, text.Heads, o.HeadLabels)).ToArray();
        float legendWidth = names.Max(l => measure(l, size, false)) + 34;
        float top = size * 2.4f, plotHeight = 120, right = width - legendWidth, bottom = top + plotHeight;
        scene.Add(new TextShape(0, size, "weight by token index", size, Muted, Bold: true));
        float X(double i) => n == 1 ? (left + right) / 2 : left + (float)(i / (n - 1)) * (right - left);
        float Y(double v) => bottom - (float)(v / yMax) * plotHeight;
        foreach (double v in yTicks)
        {
            scene.Add(new LineShape(left, Y(v), right, Y(v), GridColor));
            scene.Add(new TextShape(left - 5, Y(v) + size * 0.35f, v.ToString("0.###", CultureInfo.InvariantCulture), size, AxisColor, Anchor.End));
        }
        foreach (double i in NiceTicks(0, Math.Max(1, n - 1), 8).Where(i => i <= n - 1 && i == Math.Floor(i)))
        {
            scene.Add(new LineShape(X(i), bottom, X(i), bottom + 4, AxisColor));
            scene.Add(new TextShape(X(i), bottom + 4 + size, i.ToString("0", CultureInfo.InvariantCulture), size, AxisColor, Anchor.Middle));
        }
        scene.Add(new LineShape(left, top, left, bottom, AxisColor));
        scene.Add(new LineShape(left, bottom, right, bottom, AxisColor));
        scene.Add(new TextShape((left + right) / 2, bottom + 6 + size * 2.2f, "token index", size, Muted, Anchor.Middle));
        for (int h = 0; h < text.Heads; h++)
        {
            var weights = text.HeadWeights(h);
            var points = Enumerable.Range(0, n).Select(i => (X(i), Y(float.IsFinite(weights[i]) ? weights[i] : 0))).ToList();
            if (points.Count == 1) points.Add((points[0].Item1 + 1, points[0].Item2));
            string color = HeadColors[h % HeadColors.Length];
            scene.Add(new PolylineShape(points, color, 1.5f, names[h]));
            float ly = top + 4 + h * size * 1.5f;
            scene.Add(new LineShape(right + 10, ly, right + 28, ly, color, 2));
            scene.Add(new TextShape(right + 32, ly + size * 0.35f, names[h], size, Ink));
        }
        scene.Height = bottom + 6 + size * 2.6f;
        return scene;
    }

    /// <summary>Heads as rows, tokens as columns, each cell coloured by its weight min-max normalised over all heads.</summary>
    public static Scene Heatmap(WeightedText text, FigureOptions o, float width, TextMeasure measure)
    {
        var scene = new Scene();
        float size = o.FontSize * 0.7f;
        int n = text.Spans.Count;
        var names = Enumerable.Range(0, text.Heads).Select(h => HeadName(h, text.Heads, o.HeadLabels)).ToArray();
        float rowLabel = names.Max(name => measure(name, size, false)) + 8;
        float cellWidth = Math.Clamp((width - rowLabel) / n, 3, o.FontSize * 1.25f), cellHeight = o.FontSize * 1.1f;
        float top = size * 1.6f;
        scene.Add(new TextShape(0, size, "head × token", size, Muted, Bold: true));
        var all = Enumerable.Range(0, text.Heads).SelectMany(h => text.HeadWeights(h)).ToArray();
        var normalized = ColorMap.Normalize(all);
        for (int h = 0; h < text.Heads; h++)
        {
            float y = top + h * cellHeight;
            scene.Add(new TextShape(rowLabel - 6, y + cellHeight / 2 + size * 0.35f, names[h], size, AxisColor, Anchor.End));
            for (int i = 0; i < n; i++)
            {
                string title = string.Create(CultureInfo.InvariantCulture, $"{OneLine(text.Token(i))} · head {h + 1} · weight {text.HeadWeights(h)[i]:0.######}");
                scene.Add(new RectShape(rowLabel + i * cellWidth, y, cellWidth, cellHeight, ColorMap.Hex(o.Theme, normalized[h * n + i]), Title: title, Class: "cell"));
            }
        }
        float bottom = top + text.Heads * cellHeight;
        var labels = Enumerable.Range(0, n).Select(i => Shorten(OneLine(text.Token(i)), 3)).ToArray();
        if (labels.All(l => measure(l, size, false) <= cellWidth * 1.05f))
            for (int i = 0; i < n; i++)
                scene.Add(new TextShape(rowLabel + (i + 0.5f) * cellWidth, bottom + size * 1.2f, labels[i], size, AxisColor, Anchor.Middle));
        else
            foreach (double i in NiceTicks(0, Math.Max(1, n - 1), 8).Where(i => i <= n - 1))
                scene.Add(new TextShape(rowLabel + ((float)i + 0.5f) * cellWidth, bottom + size * 1.2f, i.ToString("0", CultureInfo.InvariantCulture), size, AxisColor, Anchor.Middle));
        var bar = ColorBar(all.Length == 0 ? 0 : all.Min(), all.Length == 0 ? 0 : all.Max(), "weight (one scale for all heads)", o, measure);
        scene.Place(bar, rowLabel, bottom + size * 1.9f);
        scene.Width = Math.Max(scene.Width, rowLabel + n * cellWidth);
        return scene;
    }

    /// <summary>
    /// "head k", followed by the head's label when <paramref name="labels"/> has one per head (labels for another head
    /// count, as for the single-head texts of a mixed report, are not this text's).
    /// </summary>
    public static string HeadName(int head, int heads, IReadOnlyList<string>? labels)
    {
        string name = "head " + (head + 1).ToString(CultureInfo.InvariantCulture);
        if (labels is null || labels.Count != heads || string.IsNullOrWhiteSpace(labels[head])) return name;
        return name + " · " + Shorten(OneLine(labels[head]).Trim(), 32);
    }

    /// <summary>About <paramref name="count"/> round tick values (steps of 1, 2 or 5 times a power of ten) covering [min, max].</summary>
    public static double[] NiceTicks(double min, double max, int count)
    {
        double span = max - min;
        if (!(span > 0)) return [min];
        double raw = span / count, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double r = raw / magnitude;
        double step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude;
        var ticks = new List<double>();
        for (double v = Math.Floor(min / step) * step; v < max + step * 0.999; v += step)
            ticks.Add(Math.Round(v / step) * step);
        return ticks.ToArray();
    }

    /// <summary>Control characters and line breaks as spaces, so a label stays on one line.</summary>
    public static string OneLine(string text) =>
        string.Create(text.Length, text, (span, s) =>
        {
            for (int i = 0; i < s.Length; i++) span[i] = char.IsControl(s[i]) ? ' ' : s[i];
        });

    private static string Shorten(string text, int max = 24) =>
        text.Length <= max ? text : text[..(char.IsHighSurrogate(text[max - 2]) ? max - 2 : max - 1)] + "…";
}
