using System.CommandLine;
using System.Globalization;
using MLNetAttention.Faithfulness;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

internal static class EvaluateCommand
{
    // Texts scored per Predict call while profiling the heads: bounds the predictions held at once.
    private const int ProfileChunk = 512;
    private const int ProfileTop = 10;
    private const int ProfileMinCount = 5;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model directory 'train' wrote, or a classifier's .onnx file (scored with ONNX Runtime alone).", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled test data: " + DataSources.Help + " For a matcher: " + DataSources.PairHelp + " For a dataset or sample, its test split.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON instead of a table." };
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text", Description = "Text column of CSV/TSV/JSONL files." };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label", Description = "Label column of CSV/TSV/JSONL files." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip (and count) bad rows instead of stopping at the first. For a matcher, also score pairs whose sentences are longer than the model's maximum length on their first tokens (counted in a warning) instead of stopping." };
        var faithfulness = new Option<bool>("--faithfulness") { Description = "Also run the erasure tests: top-k attended vs random vs lowest-weight tokens, and the uniform-weights model; and the ERASER comparison of explainers, set by the flags below (classifiers only)." };
        var eraser = new EraserFlags();
        var command = new Command("evaluate", "Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix of a model on labelled data; for attention pooling also how peaked the weights are and, with several heads, how different the heads are and what each looks at.")
        {
            model, data, json, textColumn, labelColumn, lenient, faithfulness,
        };
        eraser.AddTo(command);
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var report = new ReadReport();
            if (ModelFiles.IsOnnxFile(parse.GetValue(model)!) && ModelFiles.IsMatcher(parse.GetValue(model)!))
                throw new UsageException($"{parse.GetValue(model)} is an exported matcher; evaluate scores a matcher from its model directory. Pass the directory 'train' wrote.");
            if (AttentionMatcher.IsMatcherDirectory(parse.GetValue(model)!))
            {
                var pairs = DataSources.ResolvePairs(parse.GetValue(data)!, new ReaderOptions { Lenient = parse.GetValue(lenient) }, report, parse.GetValue(labelColumn)!, Console.Error);
                var pairRows = PairLengths.ReadLocated(pairs.Test ?? pairs.Train, report);
                using var matcher = AttentionMatcher.Load(parse.GetValue(model)!);
                // A sentence past the model's maximum length would be cut: an error for a file, unless --lenient.
                PairLengths.Check(matcher, pairRows, truncate: parse.GetValue(lenient), "test", Console.Error);
                Print(matcher.Evaluate(pairRows.Select(r => r.Pair)), report, parse.GetValue(json), MatchPrediction.NameOf, model: parse.GetValue(model));
                return ExitCodes.Success;
            }
            var source = DataSources.Resolve(parse.GetValue(data)!, new ReaderOptions { Lenient = parse.GetValue(lenient) }, report,
                parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!, Console.Error);
            var rows = (source.Test ?? source.Train)().ToList();
            if (ModelFiles.IsOnnxFile(parse.GetValue(model)!))
                return EvaluateOnnx(parse.GetValue(model)!, rows, report, parse.GetValue(json), parse.GetValue(faithfulness));
            // Read before the work, so a bad flag fails at once.
            var eraserOptions = parse.GetValue(faithfulness) ? eraser.Read(parse) : null;
            using var classifier = AttentionClassifier.Load(parse.GetValue(model)!);
            Print(classifier.Evaluate(rows), report, parse.GetValue(json), heads: ProfileHeads(classifier, rows), model: parse.GetValue(model));
            // Texts mostly outside the vocabulary are scored on almost nothing: say how much of the data that is.
            var shares = rows.Select(r => classifier.Tokenizer.UnknownShare(r.Text, classifier.MaxLength)).ToList();
            int mostlyUnknown = shares.Count(s => s > ClassPrediction.UnknownShareWarning);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"unknown tokens: {(shares.Count == 0 ? 0 : shares.Average()):0.0%} of each text on average; {mostlyUnknown} of {shares.Count} texts are over {ClassPrediction.UnknownShareWarning:0%} unknown"));
            if (parse.GetValue(faithfulness))
                FaithfulnessCommand.Print(FaithfulnessEvaluator.Evaluate(classifier, rows, new FaithfulnessOptions { Eraser = eraserOptions }),
                    parse.GetValue(json), null, Console.Out);
            return ExitCodes.Success;
        }));
        return command;
    }

    // An exported classifier scored by ONNX Runtime alone, as a consumer of the file would score it.
    private static int EvaluateOnnx(string path, List<TextExample> rows, ReadReport report, bool json, bool faithfulness)
    {
        if (faithfulness)
            throw new UsageException($"--faithfulness reruns the network with tokens erased and needs the model directory, not the ONNX file {path}. Pass the directory 'train' wrote.");
        if (rows.Count == 0) throw new ArgumentException("The evaluation set is empty.");
        using var onnx = AttentionOnnxModel.Load(path);
        var predictions = rows.Chunk(ProfileChunk).SelectMany(chunk => onnx.Predict(chunk.Select(r => r.Text))).ToList();
        var metrics = ClassificationMetrics.Compute(rows, predictions.Select(p => p.LabelIndex).ToArray(), onnx.Info.Labels);
        var heads = ProfileHeads(onnx.Info.ModelOptions?.Pooling, onnx.Info.Heads, rows.Select(r => r.Text).Zip(predictions));
        Print(metrics, report, json, heads: heads, model: path);
        return ExitCodes.Success;
    }

    private static HeadProfileSummary? ProfileHeads(AttentionClassifier classifier, IReadOnlyList<TextExample> rows)
    {
        var texts = rows.Select(r => r.Text).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        var predictions = texts.Chunk(ProfileChunk).SelectMany(chunk => classifier.Predict(chunk));
        return ProfileHeads(classifier.Network.Options.Pooling, classifier.Network.Options.WeightRows, texts.Zip(predictions));
    }

    // Max and mean pooling have weights too, but they are not attention: nothing to say about heads. Blank texts have no tokens.
    private static HeadProfileSummary? ProfileHeads(PoolingKind? pooling, int heads, IEnumerable<(string Text, ClassPrediction Prediction)> scored)
    {
        if (pooling is not (PoolingKind.Attention or PoolingKind.MultiHead)) return null;
        var profile = new HeadProfile(heads);
        profile.AddRange(scored.Where(s => !string.IsNullOrWhiteSpace(s.Text)).Select(s => s.Prediction));
        return profile.Summarize(ProfileTop, ProfileMinCount);
    }

    private static void Print(ClassificationMetrics metrics, ReadReport report, bool json, Func<string, string>? name = null, HeadProfileSummary? heads = null,
        string? model = null)
    {
        if (report.RowsSkipped > 0) Console.Error.WriteLine(report.ToString());
        // Accuracy next to the size on disk, as fastText users compare a model with its quantized version.
        if (json) MetricsPrinter.PrintJson(metrics, Console.Out, name, heads, model is null ? null : ModelSize.Bytes(model));
        else
        {
            MetricsPrinter.PrintTable(metrics, Console.Out, name);
            if (model is not null) Console.Out.WriteLine("model " + ModelSize.Describe(model));
            if (heads is not null) MetricsPrinter.PrintHeads(heads, Console.Out);
        }
    }
}
