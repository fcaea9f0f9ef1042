using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

/// <summary>
/// The README's main command: trains single- and multi-head attention classifiers on the bundled
/// Tang/Song poetry sample, exports each to ONNX, scores the held-out poems, prints them coloured by
/// attention weight and writes an HTML report with SVG and PNG figures.
/// </summary>
internal static class DemoCommand
{
    private const string Sample = "poetry-dynasty";

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory for the trained models and reports.", DefaultValueFactory = _ => "demo" };
        var examples = new Option<int>("--examples") { Description = "Test poems to print per model.", DefaultValueFactory = _ => 8 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per model.", DefaultValueFactory = _ => 6 };
        var command = new Command("demo", "Train on the bundled Tang/Song poetry sample and show coloured predictions (no arguments needed).") { output, examples, epochs };
        command.SetAction((parse, cancellation) => Task.FromResult(CommandRunner.Run(() =>
        {
            string directory = parse.GetValue(output)!;
            var train = BundledSamples.ReadTexts(Sample + ".train").ToList();
            var test = BundledSamples.ReadTexts(Sample + ".test").ToList();
            Console.Error.WriteLine($"bundled sample {Sample}: {train.Count} training and {test.Count} test poems (Tang vs Song)");
            bool color = AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
            var reportTexts = new List<WeightedText>();
            int shown = parse.GetValue(examples);
            foreach (var (name, pooling) in new[] { ("attention", PoolingKind.Attention), ("multihead", PoolingKind.MultiHead) })
            {
                var options = new AttentionClassifierOptions
                {
                    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
                    Model = new TextClassifierOptions { Pooling = pooling, Heads = 4 },
                    Training = new TrainingOptions { Epochs = parse.GetValue(epochs), Patience = 2 },
                };
                Console.Error.WriteLine($"\n== {name} pooling ==");
                var clock = Stopwatch.StartNew();
                using var reporter = new ProgressReporter();
                using var classifier = AttentionClassifier.Train(train, null, options, reporter, cancellation: cancellation);
                if (classifier.Summary!.Interrupted) return ExitCodes.Interrupted;
                string modelDirectory = Path.Combine(directory, name);
                classifier.Save(modelDirectory);
                OnnxExporter.Export(classifier, Path.Combine(modelDirectory, "model.onnx"));
                var metrics = classifier.Evaluate(test);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: test accuracy {metrics.Accuracy:0.000}, macro-F1 {metrics.MacroF1:0.000} on {metrics.Count} poems; trained in {clock.Elapsed.TotalSeconds:0} s; model and model.onnx in {modelDirectory}"));

                var predictions = classifier.Predict(test.Select(e => e.Text));
                var truths = test.Select(e => (string?)e.Label).ToArray();
                for (int i = 0; i < shown && i < predictions.Count; i++)
                    Console.Out.WriteLine($"  [{truths[i]}] " + PredictCommand.FormatLine(predictions[i], color));
                var files = ReportWriter.WriteAll(predictions.Take(200).ToArray(), truths.Take(200).ToArray(), modelDirectory, $"{name} pooling, Tang vs Song");
                Console.Out.WriteLine($"  report and figures: {string.Join(", ", files)}");
                reportTexts.AddRange(predictions.Take(50).Select((p, i) => WeightedText.FromPrediction(p, truths[i])));
            }
            string report = Path.Combine(directory, ReportWriter.HtmlFile);
            HtmlReport.Write(report, reportTexts, new HtmlReportOptions
            {
                Title = "MLNetAttention demo: Tang or Song?",
                Description = "Held-out poems of the bundled poetry-dynasty sample: the first 50 scored by the single-head attention model, the next 50 by the 4-head model (tabs show each head). Colour = attention weight, hover for the exact value.",
            });
            Console.Out.WriteLine($"\nreport: {Path.GetFullPath(report)}");
            return ExitCodes.Success;
        })));
        return command;
    }
}
