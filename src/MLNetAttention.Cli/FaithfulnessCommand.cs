using System.CommandLine;
using MLNetAttention.Data;
using MLNetAttention.Faithfulness;
using MLNetAttention.Training;

namespace MLNetAttention.Cli;

/// <summary>
/// Erasure tests of whether a model's attention weights are evidence: the probability drop when the top-k attended,
/// k random and the k least attended tokens are erased, against the uniform-weights twin and other importances; and the
/// ERASER comparison of explainers (<see cref="ExplainerComparison"/>).
/// </summary>
internal static class FaithfulnessCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model directory 'train' wrote.", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled test data: " + DataSources.Help + " For a dataset or sample, its test split.", Required = true };
        var erase = new Option<EraseMode>("--erase") { Description = "unknown (replace by <unk>, keeps the length) | remove (delete the token).", DefaultValueFactory = _ => EraseMode.Unknown };
        var maxExamples = new Option<int>("--max-examples") { Description = "Evaluate at most this many texts (the first ones); 0 = all.", DefaultValueFactory = _ => 1000 };
        var draws = new Option<int>("--random-draws") { Description = "Random draws per text and k.", DefaultValueFactory = _ => 5 };
        var importance = new Option<int>("--importance-examples") { Description = "Texts for the leave-one-out and gradient x input correlations (0 = skip).", DefaultValueFactory = _ => 100 };
        var seedModels = new Option<string[]>("--seed-model") { Description = "Model directories trained like --model with other seeds (repeat; two or more) for the seed-spread baseline.", AllowMultipleArgumentsPerToken = true };
        var seed = new Option<long>("--seed") { Description = "Seed of the random draws.", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of tables." };
        var svg = new Option<string?>("--svg") { Description = "Also write the plot (k against the mean probability drop) to this SVG file." };
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text", Description = "Text column of CSV/TSV/JSONL files." };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label", Description = "Label column of CSV/TSV/JSONL files." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip (and count) bad rows instead of stopping at the first." };
        var eachNetwork = new Option<bool>("--each-network") { Description = "For a model of two networks (a companion, as --preset ngram on characters): also run the erasure tests on each network alone, with its own prediction and weights, to see which network's heads carry the evidence." };
        var eraser = new EraserFlags();
        var command = new Command("faithfulness", "Are the weights evidence? Erase the top-k attended, random and least attended tokens and compare the probability drops, with a uniform-weights baseline; then compare explainers (attention, leave-one-out, gradient x input, integrated gradients, random) on the ERASER comprehensiveness and sufficiency.")
        {
            model, data, erase, maxExamples, draws, importance, seedModels, seed, json, svg, textColumn, labelColumn, lenient, eachNetwork,
        };
        eraser.AddTo(command);
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var report = new ReadReport();
            var source = DataSources.Resolve(parse.GetValue(data)!, new ReaderOptions { Lenient = parse.GetValue(lenient) }, report,
                parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!, Console.Error);
            var rows = (source.Test ?? source.Train)().ToList();
            using var classifier = AttentionClassifier.Load(parse.GetValue(model)!);
            if (parse.GetValue(eachNetwork) && classifier.Network.Members == 1)
                throw new UsageException($"--each-network needs a model of two networks, and {parse.GetValue(model)} has one; train one with a companion (--preset ngram on characters, or --companion conv) or leave the flag out.");
            var others = new List<AttentionClassifier>();
            try
            {
                foreach (var directory in parse.GetValue(seedModels) ?? Array.Empty<string>()) others.Add(AttentionClassifier.Load(directory));
                var options = new FaithfulnessOptions
                {
                    EraseMode = parse.GetValue(erase), MaxExamples = parse.GetValue(maxExamples), RandomDraws = parse.GetValue(draws),
                    ImportanceExamples = parse.GetValue(importance), Seed = parse.GetValue(seed), Eraser = eraser.Read(parse),
                    EachNetwork = parse.GetValue(eachNetwork),
                };
                if (report.RowsSkipped > 0) Console.Error.WriteLine(report.ToString());
                var result = FaithfulnessEvaluator.Evaluate(classifier, rows, options, others.Count >= 2 ? others : null);
                Print(result, parse.GetValue(json), parse.GetValue(svg), Console.Out);
                return ExitCodes.Success;
            }
            finally
            {
                foreach (var other in others) other.Dispose();
            }
        }));
        return command;
    }

    /// <summary>Prints a report as Markdown tables or JSON, and writes its SVG plot when <paramref name="svgPath"/> is given.</summary>
    public static void Print(FaithfulnessReport report, bool asJson, string? svgPath, TextWriter output)
    {
        output.WriteLine(asJson ? report.ToJson() : report.ToMarkdown());
        if (string.IsNullOrEmpty(svgPath)) return;
        string? directory = Path.GetDirectoryName(Path.GetFullPath(svgPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        File.WriteAllText(svgPath, FaithfulnessPlot.ToSvg(report));
        Console.Error.WriteLine($"plot written to {svgPath}");
    }
}
