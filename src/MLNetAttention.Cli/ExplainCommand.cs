using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

/// <summary>
/// explain: what a classifier attends to over a whole data set. Streams the texts through the model in batches and adds
/// up, per class, each token's and bigram's attention weight (<see cref="DatasetAttention"/>); prints a table per class
/// or JSON, and writes an HTML page and an SVG/PNG bar chart on request.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = ModelFiles.Description + " A classifier.", Required = true };
        var data = new Option<string>("--data") { Description = "The texts: " + DataSources.Help + " For a dataset or sample, its test split.", Required = true };
        var top = new Option<int>("--top") { Description = "Tokens (and bigrams) per list.", DefaultValueFactory = _ => 20 };
        var minCount = new Option<int>("--min-count") { Description = "Occurrences a token or bigram needs to be listed (by total and by mean).", DefaultValueFactory = _ => 5 };
        var by = new Option<ClassGrouping>("--by") { Description = "Group texts by their predicted class or their true (labelled) class.", DefaultValueFactory = _ => ClassGrouping.Predicted };
        var json = new Option<bool>("--json") { Description = "Print the per-class lists, with example texts, as JSON instead of tables." };
        var html = new Option<string?>("--html") { Description = "Also write an offline HTML page: sortable tables per class, each token opening its example texts." };
        var svg = new Option<string?>("--svg") { Description = "Also write an SVG bar chart of the top tokens per class." };
        var png = new Option<string?>("--png") { Description = "Also write the bar chart as PNG (CJK text needs a CJK font, such as fonts-noto-cjk)." };
        var limit = new Option<int?>("--limit") { Description = "Read at most this many texts." };
        var examples = new Option<int>("--examples") { Description = "Example texts kept per token and bigram (a uniform sample of the texts it occurs in).", DefaultValueFactory = _ => 3 };
        var batchSize = new Option<int>("--batch-size") { Description = "Texts scored per batch.", DefaultValueFactory = _ => 256 };
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text", Description = "Text column of CSV/TSV/JSONL files." };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label", Description = "Label column of CSV/TSV/JSONL files (the true class, for --by true)." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip (and count) bad rows instead of stopping at the first." };
        var command = new Command("explain", "What a classifier attends to across a whole data set: per class, the tokens and bigrams with the most attention weight in total and per occurrence, with example texts.")
        {
            model, data, top, minCount, by, json, html, svg, png, limit, examples, batchSize, textColumn, labelColumn, lenient,
        };
        // Synchronous, like predict: nothing to save, so Ctrl-C simply ends the process.
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            int topCount = parse.GetValue(top), minimum = parse.GetValue(minCount), batch = parse.GetValue(batchSize), kept = parse.GetValue(examples);
            int? most = parse.GetValue(limit);
            if (topCount < 1) return CommandRunner.Fail("--top must be at least 1.", ExitCodes.Usage);
            if (minimum < 1) return CommandRunner.Fail("--min-count must be at least 1.", ExitCodes.Usage);
            if (batch is < 1 or > 65_536) return CommandRunner.Fail("--batch-size must be between 1 and 65536.", ExitCodes.Usage);
            if (kept is < 0 or > 100) return CommandRunner.Fail("--examples must be between 0 and 100.", ExitCodes.Usage);
            if (most is < 1) return CommandRunner.Fail("--limit must be at least 1.", ExitCodes.Usage);
            string modelPath = parse.GetValue(model)!;
            if (ModelFiles.IsMatcher(modelPath))
                return CommandRunner.Fail($"'{modelPath}' is a matcher; explain adds up a classifier's weights per class (for a matcher's pairs use 'visualize' or 'predict').", ExitCodes.Usage);

            var report = new ReadReport();
            string dataValue = parse.GetValue(data)!;
            var source = DataSources.Resolve(dataValue, new ReaderOptions { Lenient = parse.GetValue(lenient) }, report,
                parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!, Console.Error);
            var rows = (source.Test ?? source.Train)();
            if (most is int n) rows = rows.Take(n);

            using var classifier = ModelFiles.LoadClassifier(modelPath);
            var aggregate = new DatasetAttention(new DatasetAttentionOptions { ExamplesPerEntry = kept });
            var clock = Stopwatch.StartNew();
            using (var progress = new ExplainProgress())
            {
                foreach (var chunk in rows.Chunk(batch))
                {
                    var predictions = classifier.Predict(chunk.Select(r => r.Text));
                    for (int i = 0; i < chunk.Length; i++) aggregate.Add(predictions[i], chunk[i].Label);
                    progress.Report(aggregate.Texts, clock.Elapsed);
                }
            }
            clock.Stop();
            if (report.RowsSkipped > 0) Console.Error.WriteLine(report.ToString());
            if (aggregate.Texts == 0) return CommandRunner.Fail($"no text to explain in {source.Description}.", ExitCodes.Data);
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"explained {aggregate.Texts:N0} text{(aggregate.Texts == 1 ? "" : "s")} from {source.Description} in {seconds:0.0} s ({aggregate.Texts / seconds:N0} texts/s)"));

            var summary = aggregate.Summarize(parse.GetValue(by), topCount, minimum);
            // The directory's name; for an .onnx file its name, or its directory's when it is the model.onnx that train writes.
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath));
            string modelName = !ModelFiles.IsOnnxFile(modelPath) ? Path.GetFileName(full)
                : Path.GetFileNameWithoutExtension(full) is "model" && Path.GetDirectoryName(full) is { } directory ? Path.GetFileName(directory) : Path.GetFileNameWithoutExtension(full);
            var options = new DatasetAttentionReportOptions
            {
                Title = $"What {modelName} attends to",
                Description = $"model {modelPath} · data {source.Description} · {aggregate.Texts:N0} texts · by {(summary.By == ClassGrouping.Predicted ? "predicted" : "true")} class",
            };
            if (parse.GetValue(json)) Console.Out.WriteLine(DatasetAttentionReport.ToJson(summary, options));
            else Console.Out.Write(DatasetAttentionReport.FormatTable(summary));
            // The PNG last: without a CJK font it fails (exit 5) after the other files are written.
            foreach (var (path, write) in new (string?, Action<string>)[]
                     {
                         (parse.GetValue(html), p => DatasetAttentionReport.WriteHtml(p, summary, options)),
                         (parse.GetValue(svg), p => DatasetAttentionReport.WriteSvg(p, summary, options)),
                         (parse.GetValue(png), p => DatasetAttentionReport.WritePng(p, summary, options)),
                     })
            {
                if (string.IsNullOrWhiteSpace(path)) continue;
                write(path);
                Console.Error.WriteLine($"wrote {path}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>Texts done and texts per second on standard error, redrawn in place on a terminal (silent when redirected).</summary>
    private sealed class ExplainProgress : IDisposable
    {
        private readonly bool _interactive = !Console.IsErrorRedirected;
        private bool _shown;

        public void Report(long texts, TimeSpan elapsed)
        {
            if (!_interactive) return;
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\rexplain: {texts:N0} texts  {texts / Math.Max(elapsed.TotalSeconds, 1e-9):N0} texts/s   "));
            _shown = true;
        }

        public void Dispose()
        {
            if (_shown) Console.Error.Write("\r" + new string(' ', 60) + "\r");
        }
    }
}
