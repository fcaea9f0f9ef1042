using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model directory 'train' wrote.", Required = true };
        var texts = new Argument<string[]>("text") { Description = "Texts to classify; none: one text per line from --file or standard input.", Arity = ArgumentArity.ZeroOrMore };
        var file = new Option<string?>("--file") { Description = "A file with one text per line." };
        var json = new Option<bool>("--json") { Description = "One JSON object per text: label, probabilities, tokens with offsets and weights." };
        var command = new Command("predict", "Classify texts and show each token's attention weight.") { model, texts, file, json };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var inputs = parse.GetValue(texts) is { Length: > 0 } given ? given.ToList() : ReadLines(parse.GetValue(file));
            if (inputs.Count == 0)
                return CommandRunner.Fail("no text to classify: pass texts as arguments, --file FILE, or pipe lines to standard input.", ExitCodes.Usage);
            using var classifier = AttentionClassifier.Load(parse.GetValue(model)!);
            bool asJson = parse.GetValue(json);
            bool color = AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
            foreach (var prediction in classifier.Predict(inputs))
            {
                if (asJson) Console.Out.WriteLine(JsonSerializer.Serialize(ToJson(prediction), CliJson.Compact));
                else Console.Out.WriteLine(FormatLine(prediction, color));
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>The original's line: the text coloured by weight, then " => label (probability)".</summary>
    public static string FormatLine(ClassPrediction prediction, bool color)
    {
        string rendered = AnsiRenderer.Render(prediction.Text, prediction.Tokens.Select(t => (t.Offset, t.Length)).ToArray(),
            prediction.Tokens.Select(t => t.Weight).ToArray(), color);
        string truncated = prediction.TruncatedTokens > 0 ? $" [{prediction.TruncatedTokens} tokens past the maximum length not scored]" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{rendered} => {prediction.Label} ({prediction.Probability:0.000}){truncated}");
    }

    private static object ToJson(ClassPrediction p) => new
    {
        text = p.Text,
        label = p.Label,
        probability = p.Probability,
        probabilities = p.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => p.Probabilities[x.i]),
        heads = p.Heads,
        truncatedTokens = p.TruncatedTokens,
        tokens = p.Tokens.Select(t => new { token = t.Token, id = t.Id, offset = t.Offset, length = t.Length, weight = t.Weight, weights = p.Heads > 1 ? t.Weights : null }),
    };

    private static List<string> ReadLines(string? path)
    {
        if (path is null && !Console.IsInputRedirected) return new List<string>();
        if (path is not null && !File.Exists(path))
            throw new FileNotFoundException($"The text file '{path}' does not exist.", path);
        using var reader = path is null ? Console.In : new StreamReader(path);
        var lines = new List<string>();
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            if (!string.IsNullOrWhiteSpace(line)) lines.Add(line);
        return lines;
    }
}
