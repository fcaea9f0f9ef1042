using System.CommandLine;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

/// <summary>Output formats of the visualize command.</summary>
internal enum VisualizeFormat { Ansi, Html, Svg, Png }

/// <summary>
/// visualize: classifies texts with a saved model and writes their attention weights as coloured terminal text,
/// an offline HTML report, or an SVG/PNG figure.
/// </summary>
internal static class VisualizeCommand
{
    // A head's label: its top tokens by mean weight among those seen this often in the texts shown.
    private const int HeadLabelMinCount = 3;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = ModelFiles.Description, Required = true };
        var input = new Option<string>("--input")
        {
            Description = "A JSONL file (one {\"text\": ..., \"label\": ...} per line; label optional), a text file (one text per line), or a literal text.",
            Required = true,
        };
        var format = new Option<VisualizeFormat>("--format") { Description = "ansi | html | svg | png.", DefaultValueFactory = _ => VisualizeFormat.Html };
        var output = new Option<string?>("--out") { Description = "The file to write (required for html, svg and png; ansi prints to standard output without it)." };
        var theme = new Option<ColorTheme>("--theme") { Description = "viridis | magma | original (the original's white-to-dark-red steps).", DefaultValueFactory = _ => ColorTheme.Viridis };
        var limit = new Option<int?>("--limit") { Description = "Texts to show; default 500 for html and ansi, 4 for svg and png (drawn as a grid)." };
        var title = new Option<string?>("--title") { Description = "Title of the report or figure; default: the model directory's name." };
        var tokensPerLine = new Option<int>("--tokens-per-line") { Description = "svg and png: token boxes per line.", DefaultValueFactory = _ => 20 };
        var scale = new Option<float>("--scale") { Description = "png: pixels per unit (2 = high DPI).", DefaultValueFactory = _ => 2 };
        var columns = new Option<int>("--columns") { Description = "svg and png: examples side by side.", DefaultValueFactory = _ => 2 };
        var command = new Command("visualize", "Classify texts and draw each token's attention weight as coloured text, an HTML report, or an SVG/PNG figure.")
        {
            model, input, format, output, theme, limit, title, tokensPerLine, scale, columns,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var chosen = parse.GetValue(format);
            string? path = parse.GetValue(output);
            if (chosen != VisualizeFormat.Ansi && string.IsNullOrWhiteSpace(path))
                return CommandRunner.Fail($"--out FILE is required for --format {chosen.ToString().ToLowerInvariant()}.", ExitCodes.Usage);
            int count = parse.GetValue(limit) ?? (chosen is VisualizeFormat.Svg or VisualizeFormat.Png ? 4 : 500);
            if (count < 1) return CommandRunner.Fail("--limit must be at least 1.", ExitCodes.Usage);
            var rows = TextInputs.Read(parse.GetValue(input)!).Take(count).ToList();
            if (rows.Count == 0) return CommandRunner.Fail("no text to visualise in --input.", ExitCodes.Data);

            string modelDirectory = parse.GetValue(model)!;
            using var classifier = ModelFiles.LoadClassifier(modelDirectory);
            var predictions = classifier.Predict(rows.Select(r => r.Text));
            var texts = predictions.Select((p, i) => WeightedText.FromPrediction(p, rows[i].Label)).ToList();
            string heading = parse.GetValue(title) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory)));
            // Several heads: each is named by its top tokens over the texts shown, and the report says how different they are.
            var heads = predictions[0].Heads > 1 ? HeadProfile.Of(predictions, minCount: HeadLabelMinCount) : null;
            var figure = new FigureOptions
            {
                Theme = parse.GetValue(theme), Title = heading, TokensPerLine = parse.GetValue(tokensPerLine),
                Scale = parse.GetValue(scale), Columns = parse.GetValue(columns), HeadLabels = heads?.Labels(),
            };
            switch (chosen)
            {
                case VisualizeFormat.Ansi:
                    WriteAnsi(predictions, rows, path);
                    break;
                case VisualizeFormat.Html:
                    HtmlReport.Write(path!, texts, new HtmlReportOptions
                    {
                        Title = heading, Theme = figure.Theme, MaxExamples = count, HeadLabels = figure.HeadLabels, HeadDiversity = heads?.Diversity,
                    });
                    break;
                case VisualizeFormat.Svg:
                    SvgFigure.Write(path!, texts, figure);
                    break;
                case VisualizeFormat.Png:
                    PngFigure.Write(path!, texts, figure);
                    break;
            }
            if (path is not null) Console.Error.WriteLine($"wrote {texts.Count} example{(texts.Count == 1 ? "" : "s")} to {path}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void WriteAnsi(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<(string Text, string? Label)> rows, string? path)
    {
        bool toFile = path is not null;
        using var writer = toFile ? new StreamWriter(path!, false, new System.Text.UTF8Encoding(false)) : null;
        var output = writer ?? Console.Out;
        bool color = toFile || AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
        for (int i = 0; i < predictions.Count; i++)
            output.WriteLine((rows[i].Label is { } label ? $"[{label}] " : "") + PredictCommand.FormatLine(predictions[i], color));
    }
}
