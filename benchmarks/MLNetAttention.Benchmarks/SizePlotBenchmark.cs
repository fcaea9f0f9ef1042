using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MLNetAttention.Visualization;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Accuracy against model size on disk, per dataset: our presets in each storage format (one JSON object per line in
/// compact.jsonl, averaged over seeds) next to the baselines (baselines.tsv, the newest row per baseline). Prints a
/// markdown table per dataset and draws <c>DIR/size-accuracy-DATASET.png</c>: accuracy against size in MB
/// (10^6 bytes) on a log scale, one labelled point per model, ours as blue squares with ± one standard deviation over
/// seeds, the baselines as orange crosses.
/// </summary>
/// <remarks>
/// compact.jsonl lines carry dataset, preset, storage ("full", "onnx-only", "touched-fp32", "touched-fp16",
/// "touched-int8", ...), seed, accuracy, macroF1, modelBytes, loadSeconds and textsPerSecond; a rerun of the same
/// dataset, preset, storage and seed replaces the earlier line. baselines.tsv is what <c>baselines --results</c> appends;
/// rows written before it had a model_bytes column leave it empty, and such a baseline is in the table but not the plot.
/// </remarks>
internal static class SizePlotBenchmark
{
    private const double BytesPerMegabyte = 1_000_000;

    public static Command Create()
    {
        var baselines = new Option<string>("--baselines") { DefaultValueFactory = _ => "benchmarks/results/baselines.tsv", Description = "The baselines TSV (baselines --results)." };
        var compact = new Option<string>("--compact") { DefaultValueFactory = _ => "benchmarks/results/compact.jsonl", Description = "Our models' sizes and accuracies, one JSON object per line." };
        var output = new Option<string>("--output") { DefaultValueFactory = _ => "docs/images", Description = "Where size-accuracy-DATASET.png goes." };
        var dataset = new Option<string?>("--dataset") { Description = "Only this dataset; all datasets in either file when absent." };
        var command = new Command("size-plot", "Accuracy against model size: a markdown table and a PNG per dataset, ours next to the baselines.") { baselines, compact, output, dataset };
        command.SetAction(parse => Run(parse.GetValue(baselines)!, parse.GetValue(compact)!, parse.GetValue(output)!, parse.GetValue(dataset)));
        return command;
    }

    /// <summary>One line of compact.jsonl: one of our models, stored one way, trained with one seed.</summary>
    internal sealed record CompactRun(string Dataset, string Preset, string Storage, int Seed, double Accuracy, long ModelBytes);

    /// <summary>One row of baselines.tsv; <paramref name="ModelBytes"/> is null for rows measured before sizes were.</summary>
    internal sealed record BaselineResult(string Dataset, string Baseline, double Accuracy, long? ModelBytes);

    /// <summary>One row of the table and, when its size is known, one point of the plot.</summary>
    internal sealed record SizePoint(string Model, string Storage, bool IsBaseline, double Accuracy, double? AccuracyStd, int? Seeds, double? Megabytes)
    {
        public string Label => IsBaseline ? Model : $"{Model} {Storage}";
    }

    private static int Run(string baselinesPath, string compactPath, string outputDirectory, string? onlyDataset)
    {
        bool hasBaselines = File.Exists(baselinesPath), hasCompact = File.Exists(compactPath);
        if (!hasBaselines && !hasCompact)
        {
            Console.Error.WriteLine($"size-plot: neither '{baselinesPath}' nor '{compactPath}' exists: run 'baselines --results {baselinesPath}' or name the files with --baselines and --compact.");
            return 1;
        }
        if (!hasBaselines) Console.Error.WriteLine($"size-plot: no baselines file at '{baselinesPath}'; our models only.");
        if (!hasCompact) Console.Error.WriteLine($"size-plot: no compact results file at '{compactPath}'; baselines only.");

        List<BaselineResult> baselineRows;
        List<CompactRun> compactRows;
        try
        {
            baselineRows = hasBaselines ? ReadBaselines(baselinesPath) : [];
            compactRows = hasCompact ? ReadCompact(compactPath) : [];
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"size-plot: {e.Message}");
            return 1;
        }

        var datasets = compactRows.Select(r => r.Dataset).Concat(baselineRows.Select(r => r.Dataset)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (onlyDataset is not null)
        {
            if (!datasets.Contains(onlyDataset))
            {
                Console.Error.WriteLine($"size-plot: no rows for dataset '{onlyDataset}' in '{baselinesPath}' or '{compactPath}'. Datasets there: {(datasets.Count == 0 ? "none" : string.Join(", ", datasets))}.");
                return 1;
            }
            datasets = [onlyDataset];
        }
        if (datasets.Count == 0)
        {
            Console.Error.WriteLine($"size-plot: '{baselinesPath}' and '{compactPath}' hold no rows.");
            return 1;
        }

        foreach (string name in datasets)
        {
            var points = Points(name, compactRows, baselineRows);
            Console.WriteLine(FormatTable(name, points));
            var plotted = points.Where(p => p.Megabytes > 0).ToList();
            if (plotted.Count == 0)
            {
                Console.Error.WriteLine($"size-plot: {name}: no model has a size on disk yet, so no plot.");
                continue;
            }
            if (plotted.Count < points.Count)
                Console.Error.WriteLine($"size-plot: {name}: left out of the plot for want of a size: {string.Join(", ", points.Except(plotted).Select(p => p.Label))}.");
            string path = Path.Combine(outputDirectory, $"size-accuracy-{FileNamePart(name)}.png");
            var fonts = FontSet.Shared;
            byte[] png = PngFigure.Rasterize(SizeAccuracyChart.Draw($"{name}: test accuracy against model size", plotted, fonts.Measure), 2, fonts);
            AtomicFile.Write(path, stream => stream.Write(png));
            Console.WriteLine($"Wrote {path}");
            Console.WriteLine();
        }
        return 0;
    }

    /// <summary>Ours averaged over seeds (the newest line per seed), largest first within each preset; then each baseline's newest row, largest first.</summary>
    internal static List<SizePoint> Points(string dataset, IEnumerable<CompactRun> compact, IEnumerable<BaselineResult> baselines)
    {
        var ours = compact.Where(r => r.Dataset == dataset)
            .GroupBy(r => (r.Preset, r.Storage))
            .Select(g =>
            {
                var runs = g.GroupBy(r => r.Seed).Select(s => s.Last()).ToList();
                double mean = runs.Average(r => r.Accuracy);
                double? std = runs.Count > 1 ? Math.Sqrt(runs.Sum(r => (r.Accuracy - mean) * (r.Accuracy - mean)) / (runs.Count - 1)) : null;
                return new SizePoint(g.Key.Preset, g.Key.Storage, false, mean, std, runs.Count, runs.Average(r => r.ModelBytes) / BytesPerMegabyte);
            })
            .GroupBy(p => p.Model)
            .SelectMany(g => g.OrderByDescending(p => p.Megabytes));
        var theirs = baselines.Where(r => r.Dataset == dataset)
            .GroupBy(r => r.Baseline)
            .Select(g => g.Last())
            .Select(r => new SizePoint(r.Baseline, "", true, r.Accuracy, null, null, r.ModelBytes / BytesPerMegabyte))
            .OrderByDescending(p => p.Megabytes ?? -1);
        return ours.Concat(theirs).ToList();
    }

    internal static string FormatTable(string dataset, IReadOnlyList<SizePoint> points)
    {
        var table = new StringBuilder();
        table.AppendLine($"## {dataset}").AppendLine();
        table.AppendLine("| model | storage | accuracy | seeds | size (MB) |");
        table.AppendLine("|---|---|---:|---:|---:|");
        foreach (var p in points)
        {
            string accuracy = p.AccuracyStd is { } std ? Invariant($"{p.Accuracy:0.0000} ± {std:0.0000}") : Invariant($"{p.Accuracy:0.0000}");
            string model = p.IsBaseline ? $"{p.Model} (baseline)" : p.Model;
            string storage = p.IsBaseline ? "—" : p.Storage;
            string seeds = p.Seeds?.ToString(CultureInfo.InvariantCulture) ?? "—";
            string size = p.Megabytes is { } mb ? FormatMegabytes(mb) : "—";
            table.AppendLine($"| {model} | {storage} | {accuracy} | {seeds} | {size} |");
        }
        return table.ToString();
    }

    /// <summary>Three significant digits or so: 812, 41.3, 2.07, 0.351.</summary>
    internal static string FormatMegabytes(double megabytes) => megabytes switch
    {
        >= 100 => Invariant($"{megabytes:0}"),
        >= 10 => Invariant($"{megabytes:0.0}"),
        >= 1 => Invariant($"{megabytes:0.00}"),
        _ => Invariant($"{megabytes:0.000}"),
    };

    /// <summary>Reads baselines.tsv by its header's column names; model_bytes may be missing or empty.</summary>
    internal static List<BaselineResult> ReadBaselines(string path)
    {
        using var lines = File.ReadLines(path).GetEnumerator();
        if (!lines.MoveNext()) return [];
        var columns = lines.Current.Split('\t');
        int Column(string name)
        {
            int index = Array.IndexOf(columns, name);
            return index >= 0 ? index : throw new FormatException($"'{path}' has no column '{name}' in its header '{lines.Current}'.");
        }
        int dataset = Column("dataset"), baseline = Column("baseline"), accuracy = Column("accuracy"), bytes = Array.IndexOf(columns, "model_bytes");
        var rows = new List<BaselineResult>();
        int lineNumber = 1;
        while (lines.MoveNext())
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(lines.Current)) continue;
            var fields = lines.Current.Split('\t');
            string Field(int index) => index >= 0 && index < fields.Length ? fields[index].Trim() : "";
            if (!double.TryParse(Field(accuracy), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new FormatException($"'{path}' line {lineNumber}: accuracy '{Field(accuracy)}' is not a number.");
            long? size = null;
            if (Field(bytes) is { Length: > 0 } text)
                size = long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed)
                    ? parsed : throw new FormatException($"'{path}' line {lineNumber}: model_bytes '{text}' is not a whole number.");
            rows.Add(new BaselineResult(Field(dataset), Field(baseline), value, size));
        }
        return rows;
    }

    /// <summary>Reads compact.jsonl, skipping blank lines; a line without one of the fields the table needs is an error naming it.</summary>
    internal static List<CompactRun> ReadCompact(string path)
    {
        var rows = new List<CompactRun>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var o = document.RootElement;
                rows.Add(new CompactRun(
                    Get(o, "dataset", JsonValueKind.String).GetString()!, Get(o, "preset", JsonValueKind.String).GetString()!,
                    Get(o, "storage", JsonValueKind.String).GetString()!, Get(o, "seed", JsonValueKind.Number).GetInt32(),
                    Get(o, "accuracy", JsonValueKind.Number).GetDouble(), Get(o, "modelBytes", JsonValueKind.Number).GetInt64()));
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                throw new FormatException($"'{path}' line {lineNumber}: {e.Message}", e);
            }
        }
        return rows;
    }

    private static JsonElement Get(JsonElement o, string name, JsonValueKind kind)
    {
        if (o.ValueKind != JsonValueKind.Object) throw new FormatException("expected a JSON object.");
        if (!o.TryGetProperty(name, out var value)) throw new FormatException($"no field '{name}'.");
        if (value.ValueKind != kind) throw new FormatException($"field '{name}' is {value.ValueKind}, expected {kind}.");
        return value;
    }

    private static string FileNamePart(string dataset) =>
        string.Concat(dataset.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The scatter plot of <see cref="SizePlotBenchmark"/> as a <see cref="Scene"/>, drawn by <see cref="PngFigure"/>.</summary>
internal static class SizeAccuracyChart
{
    private const float Width = 900, Height = 560;
    private const float Left = 78, Right = 40, Top = 62, Bottom = 64;
    private const float FontSize = 13, LabelSize = 11, Marker = 9;
    private const string Ours = "#1f77b4", Baseline = "#e0701a", Ink = "#222222", Axis = "#555555", Grid = "#e4e4e4", MinorGrid = "#f2f2f2";

    public static Scene Draw(string title, IReadOnlyList<SizePlotBenchmark.SizePoint> points, TextMeasure measure)
    {
        var scene = new Scene { Width = Width, Height = Height };
        float plotLeft = Left, plotRight = Width - Right, plotTop = Top, plotBottom = Height - Bottom;

        // x: the sizes' range on a log scale, padded so no point sits on the frame.
        var logs = points.Select(p => Math.Log10(p.Megabytes!.Value)).ToList();
        double xPad = Math.Max(0.12, (logs.Max() - logs.Min()) * 0.06);
        double xMin = logs.Min() - xPad, xMax = logs.Max() + xPad;
        float X(double megabytes) => plotLeft + (float)((Math.Log10(megabytes) - xMin) / (xMax - xMin)) * (plotRight - plotLeft);

        // y: the accuracies and their error bars, padded, on a round step.
        double low = points.Min(p => p.Accuracy - (p.AccuracyStd ?? 0)), high = points.Max(p => p.Accuracy + (p.AccuracyStd ?? 0));
        double pad = Math.Max(0.01, (high - low) * 0.12);
        double step = new[] { 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2 }.FirstOrDefault(s => (high - low + 2 * pad) / s <= 8, 0.5);
        double yMin = Math.Floor((low - pad) / step) * step, yMax = Math.Ceiling((high + pad) / step) * step;
        float Y(double accuracy) => plotBottom - (float)((accuracy - yMin) / (yMax - yMin)) * (plotBottom - plotTop);

        // Gridlines at 1-9 × each power of ten; labels at the powers of ten, and at 2 and 5 × (then at all of them)
        // when that would leave fewer than two labels.
        var gridlines = Enumerable.Range((int)Math.Floor(xMin), (int)Math.Ceiling(xMax) - (int)Math.Floor(xMin) + 1)
            .SelectMany(decade => Enumerable.Range(1, 9).Select(m => (Multiple: m, Value: m * Math.Pow(10, decade))))
            .Where(g => Math.Log10(g.Value) >= xMin && Math.Log10(g.Value) <= xMax).ToList();
        var labelled = new[] { new[] { 1 }, new[] { 1, 2, 5 }, Enumerable.Range(1, 9).ToArray() }
            .Select(set => set.ToHashSet())
            .FirstOrDefault(set => gridlines.Count(g => set.Contains(g.Multiple)) >= 2, Enumerable.Range(1, 9).ToHashSet());
        foreach (var (multiple, value) in gridlines)
        {
            float x = X(value);
            bool hasLabel = labelled.Contains(multiple);
            scene.Add(new LineShape(x, plotTop, x, plotBottom, multiple == 1 ? Grid : MinorGrid));
            scene.Add(new LineShape(x, plotBottom, x, plotBottom + (hasLabel ? 5 : 3), Axis));
            if (hasLabel) scene.Add(new TextShape(x, plotBottom + 20, FormatTick(value), FontSize, Ink, Anchor.Middle));
        }
        int ticks = (int)Math.Round((yMax - yMin) / step);
        for (int i = 0; i <= ticks; i++)
        {
            double value = yMin + i * step;
            float y = Y(value);
            scene.Add(new LineShape(plotLeft, y, plotRight, y, Grid));
            scene.Add(new LineShape(plotLeft - 5, y, plotLeft, y, Axis));
            scene.Add(new TextShape(plotLeft - 9, y + FontSize * 0.35f, value.ToString(step < 0.01 ? "0.000" : "0.00", CultureInfo.InvariantCulture), FontSize, Ink, Anchor.End));
        }
        scene.Add(new RectShape(plotLeft, plotTop, plotRight - plotLeft, plotBottom - plotTop, "none", Axis));
        scene.Add(new TextShape((plotLeft + plotRight) / 2, Height - 16, "model size on disk (MB, log scale)", FontSize, Ink, Anchor.Middle));
        scene.Add(new TextShape(20, (plotTop + plotBottom) / 2, "test accuracy", FontSize, Ink, Anchor.Middle, Rotation: -90));
        scene.Add(new TextShape(plotLeft, 26, title, FontSize + 3, Ink, Bold: true));
        DrawLegend(scene, plotRight, 50, measure);

        // Markers and error bars first, so labels can steer clear of all of them, then labels placed greedily.
        var taken = new List<(float X1, float Y1, float X2, float Y2)>();
        foreach (var p in points)
        {
            float x = X(p.Megabytes!.Value), y = Y(p.Accuracy);
            taken.Add((x - Marker / 2, y - Marker / 2, x + Marker / 2, y + Marker / 2));
            if (p.AccuracyStd is { } std)
            {
                float up = Y(p.Accuracy + std), down = Y(p.Accuracy - std);
                taken.Add((x - 4, up, x + 4, down));
                scene.Add(new LineShape(x, up, x, down, Ours, 1.5f));
                scene.Add(new LineShape(x - 4, up, x + 4, up, Ours, 1.5f));
                scene.Add(new LineShape(x - 4, down, x + 4, down, Ours, 1.5f));
            }
            DrawMarker(scene, x, y, p.IsBaseline);
        }
        foreach (var p in points)
            PlaceLabel(scene, taken, p, X(p.Megabytes!.Value), Y(p.Accuracy), (plotLeft, plotTop, plotRight, plotBottom), measure);
        return scene;
    }

    private static void DrawMarker(Scene scene, float x, float y, bool isBaseline)
    {
        float h = Marker / 2;
        if (isBaseline)
        {
            scene.Add(new LineShape(x - h, y - h, x + h, y + h, Baseline, 2.5f));
            scene.Add(new LineShape(x - h, y + h, x + h, y - h, Baseline, 2.5f));
        }
        else
        {
            scene.Add(new RectShape(x - h, y - h, Marker, Marker, Ours, "#ffffff"));
        }
    }

    private static void DrawLegend(Scene scene, float right, float baseline, TextMeasure measure)
    {
        const string oursText = "ours (preset storage, ± 1 std over seeds)", theirsText = "baseline";
        float x = right - measure(theirsText, LabelSize + 1, false);
        scene.Add(new TextShape(x, baseline, theirsText, LabelSize + 1, Ink));
        DrawMarker(scene, x - 10, baseline - 4, isBaseline: true);
        x -= 30 + measure(oursText, LabelSize + 1, false);
        scene.Add(new TextShape(x, baseline, oursText, LabelSize + 1, Ink));
        DrawMarker(scene, x - 10, baseline - 4, isBaseline: false);
    }

    /// <summary>
    /// The label right of its marker, else left of it, moved up or down a line at a time until it stays inside the
    /// frame and overlaps no marker, error bar or label placed before it; where no spot is free it goes beside the
    /// marker all the same. A label moved off its marker's height gets a thin leader line.
    /// </summary>
    private static void PlaceLabel(Scene scene, List<(float X1, float Y1, float X2, float Y2)> taken, SizePlotBenchmark.SizePoint point,
        float x, float y, (float Left, float Top, float Right, float Bottom) frame, TextMeasure measure)
    {
        string text = point.Label;
        float width = measure(text, LabelSize, false), height = LabelSize * 1.25f, gap = Marker / 2 + 4;
        bool Fits(bool left, float centre)
        {
            float x1 = left ? x - gap - width : x + gap, top = centre - height / 2;
            return x1 >= frame.Left + 2 && x1 + width <= frame.Right - 2 && top >= frame.Top && top + height <= frame.Bottom
                && !taken.Any(t => x1 < t.X2 && t.X1 < x1 + width && top < t.Y2 && t.Y1 < top + height);
        }
        var shifts = new[] { 0f, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5 }.Select(s => y + s * height);
        var spots = shifts.Select(c => (Left: false, Centre: c)).Concat(shifts.Select(c => (Left: true, Centre: c)));
        (bool Left, float Centre) fallback = (x + gap + width > frame.Right - 2, y);
        var (onLeft, chosen) = spots.FirstOrDefault(spot => Fits(spot.Left, spot.Centre), fallback);
        float labelX = onLeft ? x - gap - width : x + gap, labelTop = chosen - height / 2;
        taken.Add((labelX, labelTop, labelX + width, labelTop + height));
        if (Math.Abs(chosen - y) > height / 2)
            scene.Add(new LineShape(onLeft ? labelX + width : labelX, chosen, onLeft ? x - gap / 2 : x + gap / 2, y, "#999999", 0.75f));
        scene.Add(new TextShape(labelX, chosen + LabelSize * 0.35f, text, LabelSize, point.IsBaseline ? Baseline : Ours, Anchor.Start));
    }

    private static string FormatTick(double megabytes) =>
        megabytes >= 1 ? megabytes.ToString("0", CultureInfo.InvariantCulture) : megabytes.ToString("0.######", CultureInfo.InvariantCulture);
}
