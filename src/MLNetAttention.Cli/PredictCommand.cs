using System.CommandLine;
using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = ModelFiles.Description, Required = true };
        var texts = new Argument<string[]>("text") { Description = "Texts to classify; none: one text per line from --file or standard input.", Arity = ArgumentArity.ZeroOrMore };
        var file = new Option<string?>("--file") { Description = "A file with one text per line." };
        var json = new Option<bool>("--json") { Description = "One JSON object per text (per pair for a matcher): label, probabilities, tokens with offsets and weights." };
        var text1 = new Option<string?>("--text1") { Description = "Matcher models: the first sentence of the pair (with --text2). Without them, pairs are read as text1<TAB>text2 lines from --file or standard input (a third column, such as a label, is ignored). A sentence longer than the model's maximum length is scored on its first tokens, with a warning." };
        var text2 = new Option<string?>("--text2") { Description = "Matcher models: the second sentence of the pair." };
        var command = new Command("predict", "Classify texts (or match sentence pairs) and show each token's attention weight.") { model, texts, file, json, text1, text2 };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string modelDirectory = parse.GetValue(model)!;
            if (ModelFiles.IsMatcher(modelDirectory))
                return PredictPairs(modelDirectory, parse.GetValue(text1), parse.GetValue(text2), parse.GetValue(file), parse.GetValue(json));
            if (parse.GetValue(text1) is not null || parse.GetValue(text2) is not null)
                return CommandRunner.Fail($"--text1/--text2 need a matcher model; '{modelDirectory}' is not one (train it with 'train --task match').", ExitCodes.Usage);
            var inputs = parse.GetValue(texts) is { Length: > 0 } given ? given.ToList() : ReadLines(parse.GetValue(file));
            if (inputs.Count == 0)
                return CommandRunner.Fail("no text to classify: pass texts as arguments, --file FILE, or pipe lines to standard input.", ExitCodes.Usage);
            using var classifier = ModelFiles.LoadClassifier(modelDirectory);
            bool asJson = parse.GetValue(json);
            bool color = AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
            foreach (var prediction in classifier.Predict(inputs))
            {
                // An answer built mostly on unknown tokens looks as confident as any other: say so.
                if (prediction.UnknownShare > ClassPrediction.UnknownShareWarning)
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"warning: {prediction.UnknownShare:0%} of the tokens of \"{Shorten(prediction.Text)}\" are outside the model's vocabulary; its answer rests on little."));
                if (asJson) Console.Out.WriteLine(PredictionJson.Serialize(prediction));
                else Console.Out.WriteLine(FormatLine(prediction, color));
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static int PredictPairs(string modelDirectory, string? text1, string? text2, string? file, bool asJson)
    {
        List<(string Text1, string Text2)> pairs;
        string[] where;
        if (text1 is not null || text2 is not null)
        {
            if (text1 is null || text2 is null)
                return CommandRunner.Fail("a matcher needs both --text1 and --text2.", ExitCodes.Usage);
            if (string.IsNullOrWhiteSpace(text1) || string.IsNullOrWhiteSpace(text2))
                return CommandRunner.Fail($"{(string.IsNullOrWhiteSpace(text1) ? "--text1" : "--text2")} is empty; a matcher needs both sentences.", ExitCodes.Usage);
            pairs = new List<(string, string)> { (text1, text2) };
            where = [""];
        }
        else
        {
            (pairs, where) = ReadPairLines(file);
            if (pairs.Count == 0)
                return CommandRunner.Fail("no pair to match: pass --text1 and --text2, --file FILE with text1<TAB>text2 lines, or pipe such lines to standard input.", ExitCodes.Usage);
        }
        using var matcher = ModelFiles.LoadMatcher(modelDirectory);
        bool color = AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
        var predictions = matcher.Predict(pairs);
        for (int i = 0; i < predictions.Count; i++)
        {
            var prediction = predictions[i];
            WarnTruncated(where[i], "text1", prediction.Tokens1.Count, prediction.TruncatedTokens1);
            WarnTruncated(where[i], "text2", prediction.Tokens2.Count, prediction.TruncatedTokens2);
            if (asJson) Console.Out.WriteLine(PredictionJson.Serialize(prediction));
            else Console.Out.WriteLine(FormatPair(prediction, color));
        }
        return ExitCodes.Success;
    }

    // A sentence past the model's maximum length is scored on its first tokens: say so on standard error.
    private static void WarnTruncated(string where, string side, int scored, int truncated)
    {
        if (truncated <= 0) return;
        string name = where.Length == 0 ? "--" + side : $"{where}: {side}";
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warning: {name} has {scored + truncated} tokens, more than the model's maximum length of {scored}; the last {truncated} were not scored"));
    }

    /// <summary>
    /// Reads text1&lt;TAB&gt;text2 lines (a third column, such as an LCQMC label, is ignored) and where each was read;
    /// blank lines are passed over. A line without two sentences throws a <see cref="DataFormatException"/> naming file and line.
    /// </summary>
    private static (List<(string Text1, string Text2)> Pairs, string[] Where) ReadPairLines(string? path)
    {
        var pairs = new List<(string, string)>();
        var where = new List<string>();
        if (path is null && !Console.IsInputRedirected) return (pairs, []);
        if (path is not null && !File.Exists(path))
            throw new FileNotFoundException($"The pair file '{path}' does not exist.", path);
        string name = path ?? "standard input";
        using var reader = path is null ? Console.In : new StreamReader(path);
        int number = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split('\t');
            if (parts.Length is < 2 or > 3)
                throw new DataFormatException(name, number, SkipReason.WrongColumnCount,
                    $"expected text1<TAB>text2 but found {parts.Length} tab-separated field{(parts.Length == 1 ? "" : "s")}",
                    "Write one pair per line as text1<TAB>text2 (a third column, such as a label, is ignored), or pass --text1 and --text2");
            if (string.IsNullOrWhiteSpace(parts[0]) || string.IsNullOrWhiteSpace(parts[1]))
                throw new DataFormatException(name, number, SkipReason.EmptyText,
                    $"{(string.IsNullOrWhiteSpace(parts[0]) ? "text1" : "text2")} is empty (a pair needs both sentences)", "Fill in the sentence or remove the line");
            pairs.Add((parts[0].Trim(), parts[1].Trim()));
            where.Add(string.Create(CultureInfo.InvariantCulture, $"{name}:{number}"));
        }
        return (pairs, where.ToArray());
    }

    /// <summary>
    /// Both sentences coloured by weight, one per line, then " => match/no match (probability of that answer)"; for a
    /// cross-attention matcher, the alignment grid under them.
    /// </summary>
    public static string FormatPair(MatchPrediction prediction, bool color)
    {
        string Row(string text, IReadOnlyList<TokenWeight> tokens, int truncated) =>
            AnsiRenderer.Render(text, tokens.Select(t => (t.Offset, t.Length)).ToArray(), tokens.Select(t => t.Weight).ToArray(), color)
            + (truncated > 0 ? $" [{truncated} tokens past the maximum length not scored]" : "");
        float probability = prediction.IsMatch ? prediction.Probability : 1 - prediction.Probability;
        string lines = Row(prediction.Text1, prediction.Tokens1, prediction.TruncatedTokens1) + Environment.NewLine
            + Row(prediction.Text2, prediction.Tokens2, prediction.TruncatedTokens2)
            + string.Create(CultureInfo.InvariantCulture, $" => {prediction.LabelName} ({probability:0.000})");
        if (prediction.Alignment is null) return lines;
        return lines + Environment.NewLine + "alignment (rows: text 1, columns: text 2):" + Environment.NewLine
            + AnsiRenderer.RenderAlignment(prediction.Tokens1.Select(t => prediction.Text1.Substring(t.Offset, t.Length)).ToArray(),
                prediction.Tokens2.Select(t => prediction.Text2.Substring(t.Offset, t.Length)).ToArray(), prediction.Alignment, color);
    }

    /// <summary>The original's line: the text coloured by weight, then " => label (probability)".</summary>
    public static string FormatLine(ClassPrediction prediction, bool color)
    {
        string rendered = AnsiRenderer.Render(prediction.Text, prediction.Tokens.Select(t => (t.Offset, t.Length)).ToArray(),
            prediction.Tokens.Select(t => t.Weight).ToArray(), color);
        string truncated = prediction.TruncatedTokens > 0 ? $" [{prediction.TruncatedTokens} tokens past the maximum length not scored]" : "";
        return string.Create(CultureInfo.InvariantCulture, $"{rendered} => {prediction.Label} ({prediction.Probability:0.000}){truncated}");
    }

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

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..39] + "…";
}
