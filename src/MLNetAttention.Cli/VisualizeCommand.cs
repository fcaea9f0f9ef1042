using System.CommandLine;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Faithfulness;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

/// <summary>Output formats of the visualize command.</summary>
internal enum VisualizeFormat { Ansi, Html, Svg, Png }

/// <summary>
/// visualize: classifies texts with a saved model and writes their attention weights as coloured terminal text,
/// an offline HTML report, or an SVG/PNG figure; with --explainers, other explainers' scores of the same predictions
/// side by side under each text.
/// </summary>
internal static class VisualizeCommand
{
    // A head's label: its top tokens by mean weight among those seen this often in the texts shown.
    private const int HeadLabelMinCount = 3;

    // The explainers a report can show side by side; the gradient ones need the TorchSharp weights.
    private static readonly (string Name, ExplainerKind Kind)[] ExplainerNames =
    [
        ("attention", ExplainerKind.Attention),
        ("leave-one-out", ExplainerKind.LeaveOneOut),
        ("gradient-x-input", ExplainerKind.GradientTimesInput),
        ("integrated-gradients", ExplainerKind.IntegratedGradients),
    ];

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
        var explainers = new Option<string[]>("--explainers")
        {
            Description = "html, svg and png: also show these explainers of each prediction side by side under the text, on one colour scale " +
                "(comma-separated or repeated): " + string.Join(", ", ExplainerNames.Select(n => n.Name)) +
                "; 'all' for every one the model allows (an .onnx file: attention and leave-one-out; the gradient explainers need the model directory). Default: none.",
            AllowMultipleArgumentsPerToken = true,
        };
        var igSteps = new Option<int>("--ig-steps")
        {
            Description = "Integration steps of integrated gradients (from the zero/padding embedding).",
            DefaultValueFactory = _ => new ExplainerComparisonOptions().IntegratedGradientsSteps,
        };
        var command = new Command("visualize", "Classify texts and draw each token's attention weight as coloured text, an HTML report, or an SVG/PNG figure.")
        {
            model, input, format, output, theme, limit, title, tokensPerLine, scale, columns, explainers, igSteps,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var chosen = parse.GetValue(format);
            string? path = parse.GetValue(output);
            if (chosen != VisualizeFormat.Ansi && string.IsNullOrWhiteSpace(path))
                return CommandRunner.Fail($"--out FILE is required for --format {chosen.ToString().ToLowerInvariant()}.", ExitCodes.Usage);
            int count = parse.GetValue(limit) ?? (chosen is VisualizeFormat.Svg or VisualizeFormat.Png ? 4 : 500);
            if (count < 1) return CommandRunner.Fail("--limit must be at least 1.", ExitCodes.Usage);
            string modelDirectory = parse.GetValue(model)!;
            var given = parse.GetValue(explainers);
            var kinds = EraserFlags.ParseExplainers(given, ExplainerNames, emptyIsAll: false);
            int steps = parse.GetValue(igSteps);
            if (steps is < 1 or > 10_000) return CommandRunner.Fail($"--ig-steps is {steps}; it must be in 1..10000.", ExitCodes.Usage);
            bool onnx = ModelFiles.IsOnnxFile(modelDirectory);
            if (kinds is not null)
            {
                if (chosen == VisualizeFormat.Ansi)
                    return CommandRunner.Fail("--explainers draws the explainers side by side in html, svg and png; --format ansi shows the attention weights only.", ExitCodes.Usage);
                var gradients = kinds.Where(k => k is ExplainerKind.GradientTimesInput or ExplainerKind.IntegratedGradients).ToArray();
                if (onnx && gradients.Length > 0)
                {
                    bool all = (given ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).Any(v => v.Equals("all", StringComparison.OrdinalIgnoreCase));
                    var names = gradients.Select(k => ExplainerNames.First(n => n.Kind == k).Name);
                    if (!all)
                        return CommandRunner.Fail($"--explainers {string.Join(",", names)} needs the model directory: gradients are taken with the TorchSharp weights, " +
                            $"which '{modelDirectory}' does not hold. Pass --model with the model directory, or choose attention and leave-one-out for an .onnx file.", ExitCodes.Usage);
                    Console.Error.WriteLine($"note: with an .onnx file --explainers all shows attention and leave-one-out; pass the model directory for {string.Join(" and ", names)}.");
                    kinds = kinds.Except(gradients).ToArray();
                }
            }
            var rows = TextInputs.Read(parse.GetValue(input)!).Take(count).ToList();
            if (rows.Count == 0) return CommandRunner.Fail("no text to visualise in --input.", ExitCodes.Data);

            var labels = rows.Select(r => r.Label).ToArray();
            IReadOnlyList<ClassPrediction> predictions;
            List<WeightedText> texts;
            if (onnx)
            {
                using var scorer = AttentionOnnxModel.Load(modelDirectory);
                predictions = scorer.Predict(rows.Select(r => r.Text));
                texts = kinds is null ? Plain(predictions, labels) : OnnxExplanations(scorer, predictions, labels, kinds);
            }
            else
            {
                using var classifier = AttentionClassifier.Load(modelDirectory);
                predictions = classifier.Predict(rows.Select(r => r.Text));
                texts = kinds is null ? Plain(predictions, labels)
                    : ExplanationRows.Explain(classifier, predictions, labels, new ExplainerComparisonOptions { Explainers = kinds, IntegratedGradientsSteps = steps }).ToList();
            }
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

    private static List<WeightedText> Plain(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<string?> labels) =>
        predictions.Select((p, i) => WeightedText.FromPrediction(p, labels[i])).ToList();

    // What an .onnx file alone can explain: the pooling weights and leave-one-out (by the ONNX scorer, deleting each token).
    private static List<WeightedText> OnnxExplanations(AttentionOnnxModel scorer, IReadOnlyList<ClassPrediction> predictions,
        IReadOnlyList<string?> labels, IReadOnlyList<ExplainerKind> kinds)
    {
        var pooling = scorer.Info.ModelOptions?.Pooling ?? PoolingKind.Attention;
        // Named as ExplainerComparison names them; mean pooling's uniform weights are no explanation.
        string? attention = !kinds.Contains(ExplainerKind.Attention) || pooling == PoolingKind.Mean ? null
            : pooling switch { PoolingKind.MultiHead => "attention (head mean)", PoolingKind.Max => "max-pooling share", _ => "attention" };
        if (kinds.Contains(ExplainerKind.Attention) && attention is null)
            Console.Error.WriteLine("note: attention left out: mean pooling's weights are uniform.");
        var leaveOneOut = kinds.Contains(ExplainerKind.LeaveOneOut) ? scorer.LeaveOneOut(predictions) : null;
        return predictions.Select((p, i) =>
        {
            var rows = new List<ExplanationRow>();
            if (attention is not null) rows.Add(new ExplanationRow(attention, p.Tokens.Select(t => t.Weight).ToArray()));
            if (leaveOneOut is not null) rows.Add(new ExplanationRow("leave-one-out", leaveOneOut[i]));
            return WeightedText.FromPrediction(p, labels[i]).WithExplanations(rows.Count > 0 ? rows : null);
        }).ToList();
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
