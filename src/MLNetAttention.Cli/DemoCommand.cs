using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Faithfulness;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using MLNetAttention.Visualization;

namespace MLNetAttention.Cli;

/// <summary>
/// The README's main command: trains single- and multi-head attention classifiers on the bundled
/// Tang/Song poetry sample, exports each to ONNX, scores the held-out poems, prints them coloured by
/// attention weight and writes an HTML report with SVG and PNG figures, each model's data set view (what it attends to
/// per class over the test poems) and, for a few poems, the explainers side by side.
/// </summary>
internal static class DemoCommand
{
    private const string Sample = "poetry-dynasty";
    private const int DefaultMatcherEpochs = 2;
    private const int MatcherWidth = 64;
    private const int MatcherTrainingPairs = 120_000;
    // A head's label: its top tokens by mean weight among those seen this often in the test poems.
    private const int HeadLabelMinCount = 3;

    /// <summary>The 4-head model's head overlap penalty (with sliced heads and <see cref="DemoHeadDropout"/>).</summary>
    private const double DemoHeadOverlapPenalty = 0.03;

    /// <summary>The 4-head model's head dropout.</summary>
    private const double DemoHeadDropout = 0.6;
    // The data set view: tokens seen at least this often in the test poems, this many per list.
    private const int DatasetMinCount = 3;
    private const int DatasetTop = 20;
    // Test poems of the attention model shown with every explainer side by side.
    private const int ExplainedPoems = 5;

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Directory for the trained models and reports.", DefaultValueFactory = _ => "demo" };
        var examples = new Option<int>("--examples") { Description = "Test poems to print per model.", DefaultValueFactory = _ => 8 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs per model.", DefaultValueFactory = _ => 6 };
        var matcherEpochs = new Option<int>("--matcher-epochs") { Description = "Epochs of the couplet matcher.", DefaultValueFactory = _ => DefaultMatcherEpochs };
        var command = new Command("demo", "Train on the bundled Tang/Song poetry and couplet samples and show coloured predictions (no arguments needed).") { output, examples, epochs, matcherEpochs };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync(() =>
        {
            string directory = parse.GetValue(output)!;
            var train = BundledSamples.ReadTexts(Sample + ".train").ToList();
            var test = BundledSamples.ReadTexts(Sample + ".test").ToList();
            Console.Error.WriteLine($"bundled sample {Sample}: {train.Count} training and {test.Count} test poems (Tang vs Song)");
            bool color = AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
            var reportTexts = new List<WeightedText>();
            var figures = new List<ReportFigure>();
            var links = new List<ReportLink>();
            HeadProfileSummary? multiHead = null;
            int shown = parse.GetValue(examples);
            foreach (var (name, pooling) in new[] { ("attention", PoolingKind.Attention), ("multihead", PoolingKind.MultiHead) })
            {
                var options = new AttentionClassifierOptions
                {
                    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
                    // On 2,700 poems with early stopping, four heads come out as near-copies without help. The overlap
                    // penalty pushes them apart without making them one-token heads; sliced heads (each pooling its own
                    // quarter of the vector) with strong head dropout make each head carry evidence of its own
                    // (docs/benchmarks.md, multi-head pooling).
                    Model = new TextClassifierOptions
                    {
                        Pooling = pooling, Heads = 4, SlicedHeads = pooling == PoolingKind.MultiHead,
                        HeadOverlapPenalty = pooling == PoolingKind.MultiHead ? DemoHeadOverlapPenalty : 0,
                        HeadDropout = pooling == PoolingKind.MultiHead ? DemoHeadDropout : 0,
                    },
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
                // What each head looks for over all the test poems names the heads in the reports.
                var heads = pooling == PoolingKind.MultiHead ? HeadProfile.Of(predictions, minCount: HeadLabelMinCount) : null;
                if (heads is not null)
                {
                    multiHead = heads;
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  heads: diversity ratio {(heads.Diversity.DiversityRatio is { } ratio ? ratio.ToString("0.00", CultureInfo.InvariantCulture) : "n/a")} (0 = copies, 1 = as different from each other as from uniform); ")
                        + string.Join("; ", heads.Heads.Select(h => $"head {h.Head + 1}: {h.Label()}")));
                }
                var files = ReportWriter.WriteAll(predictions.Take(200).ToArray(), truths.Take(200).ToArray(), modelDirectory, $"{name} pooling, Tang vs Song",
                    heads: heads);
                Console.Out.WriteLine($"  report and figures: {string.Join(", ", files)}");
                links.Add(DatasetView(predictions, truths, directory, modelDirectory, name));
                var shownTexts = predictions.Take(50).Select((p, i) => WeightedText.FromPrediction(p, truths[i])).ToList();
                if (pooling == PoolingKind.Attention)
                {
                    // The first poems with attention, leave-one-out, gradient × input and integrated gradients side by side.
                    var explained = ExplanationRows.Explain(classifier, predictions.Take(ExplainedPoems).ToArray(), truths.Take(ExplainedPoems).ToArray());
                    for (int i = 0; i < explained.Count; i++) shownTexts[i] = explained[i];
                }
                reportTexts.AddRange(shownTexts);
                if (pooling == PoolingKind.Attention) figures.AddRange(Faithfulness(classifier, test));
            }

            var pairs = Matching(directory, parse.GetValue(matcherEpochs), cancellation);
            string report = Path.Combine(directory, ReportWriter.HtmlFile);
            var reportOptions = new HtmlReportOptions
            {
                Title = "MLNetAttention demo: Tang or Song?",
                Description = $"Held-out poems of the bundled poetry-dynasty sample: the first 50 scored by the single-head attention model (the first {ExplainedPoems} with other explainers of the same prediction side by side: leave-one-out, gradient × input and integrated gradients), the next 50 by the 4-head model (tabs show each head, named by its top characters by mean weight over the test poems), then couplet pairs scored by a cross-attention matcher, each with its alignment (which character of line 2 each character of line 1 attends to). Colour = attention weight, hover for the exact value.",
            };
            if (multiHead is not null)
            {
                reportOptions.HeadLabels = multiHead.Labels();
                reportOptions.HeadDiversity = multiHead.Diversity;
            }
            foreach (var figure in figures) reportOptions.Figures.Add(figure);
            foreach (var link in links) reportOptions.Links.Add(link);
            HtmlReport.Write(report, reportTexts, pairs, reportOptions);
            Console.Out.WriteLine($"\nreport: {Path.GetFullPath(report)}");
            return ExitCodes.Success;
        }));
        return command;
    }

    // What the model attends to per predicted class over all the test poems: explain.html (+ .svg, .png) in its directory,
    // linked from the combined report.
    private static ReportLink DatasetView(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<string?> truths, string reportDirectory,
        string modelDirectory, string name)
    {
        var view = ReportWriter.WriteDatasetView(predictions, truths, modelDirectory, new DatasetAttentionReportOptions
        {
            Title = $"What the {name} model attends to",
            Description = $"{predictions.Count} held-out poems of the bundled poetry-dynasty sample, by predicted class; tokens and bigrams seen at least {DatasetMinCount} times",
        }, ClassGrouping.Predicted, DatasetTop, DatasetMinCount);
        Console.Out.WriteLine($"  data set view: {view.Html}, {view.Svg}" + (view.Png is null ? "" : $", {view.Png}"));
        if (view.PngSkipped is not null) Console.Error.WriteLine($"  note: {ReportWriter.DatasetPngFile} skipped: {view.PngSkipped}");
        return view.LinkFrom(reportDirectory, $"{name} model: what it attends to per class over the {predictions.Count} test poems");
    }

    // Erasure test of the single-head model: is erasing its top-attended characters worse than erasing random ones? And
    // ERASER's comprehensiveness and sufficiency of attention beside leave-one-out, the gradient explainers and random.
    private static IEnumerable<ReportFigure> Faithfulness(AttentionClassifier classifier, IReadOnlyList<TextExample> test)
    {
        var report = FaithfulnessEvaluator.Evaluate(classifier, test, new FaithfulnessOptions
        {
            MaxExamples = 400, ImportanceExamples = 0, Eraser = new ExplainerComparisonOptions { MaxExamples = 200 },
        });
        string verdicts = string.Join("; ", report.Verdicts.Select(v => string.Create(CultureInfo.InvariantCulture,
            $"k = {v.KFraction:0%}: {(v.Ratio is { } r ? $"{r:0.0}x" : "n/a")}")));
        Console.Out.WriteLine($"faithfulness (top-k attended vs k random characters erased, probability drop ratio): {verdicts}");
        yield return new ReportFigure("Are the weights evidence? Probability drop when erasing characters (attention model)",
            FaithfulnessPlot.ToSvg(report),
            $"Erasing the k most-attended characters against k random ones and the k least-attended, on {report.Texts} test poems: {verdicts}. `mlnet-attention evaluate --faithfulness` gives the full table.");
        if (report.Eraser is { } eraser)
            yield return new ReportFigure("ERASER comprehensiveness and sufficiency of five explainers (attention model)",
                ExplainerComparisonPlot.ToSvg(eraser),
                $"AOPC over k = 1, 5, 10, 20, 50 % on {eraser.Texts} test poems, tokens deleted (DeYoung et al. 2020): higher comprehensiveness and lower sufficiency are better. `mlnet-attention faithfulness` gives the tables.");
    }

    // The pair view: a cross-attention matcher trained on the bundled couplet sample (fresh negatives every epoch).
    // Only the relation between the two lines carries signal, so it needs many poems; the held-out pairs are the
    // sample's 500 test pairs.
    private static List<WeightedPair> Matching(string directory, int epochs, CancellationToken cancellation)
    {
        // The first 120,000 of the sample's pairs: two epochs over them fit the demo's minute of training.
        var train = BundledSamples.ReadPairs("couplet-match.train").Take(MatcherTrainingPairs).ToList();
        var test = BundledSamples.ReadPairs("couplet-match.test").ToList();
        Console.Error.WriteLine($"\n== cross-attention matcher ({train.Count:N0} couplet pairs) ==");
        var options = new AttentionMatcherOptions
        {
            Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
            Model = new TextMatcherOptions
            {
                Kind = MatcherKind.Cross, Encoder = EncoderKind.None, EmbeddingDim = MatcherWidth, CompareDim = MatcherWidth,
                AttentionHiddenDim = MatcherWidth, DenseDim = 2 * MatcherWidth, Dropout = 0.1,
            },
            // Two epochs at twice the default rate, decaying to 0: the most the sample gives within the demo's time.
            Training = new TrainingOptions
            {
                Epochs = epochs, LearningRate = 2e-3, BatchSize = 64, Patience = 0, ValidationFraction = 0.02,
                ResampleNegatives = true, Decay = LearningRateDecay.Linear,
            },
        };
        var clock = Stopwatch.StartNew();
        using var reporter = new ProgressReporter();
        using var matcher = AttentionMatcher.Train(train, null, options, reporter, cancellation: cancellation);
        double seconds = clock.Elapsed.TotalSeconds;
        string modelDirectory = Path.Combine(directory, "matcher");
        matcher.Save(modelDirectory);
        OnnxExporter.Export(matcher, Path.Combine(modelDirectory, "model.onnx"));
        var metrics = matcher.Evaluate(test);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"matcher: test accuracy {metrics.Accuracy:0.000}, macro-F1 {metrics.MacroF1:0.000} on {metrics.Count} held-out pairs; trained in {seconds:0} s; model and model.onnx in {modelDirectory}"));

        var predictions = matcher.Predict(test.Select(p => (p.Text1, p.Text2)));
        var pairs = predictions.Select((p, i) => WeightedPair.FromPrediction(p, test[i].Label)).ToList();
        // The report and the figures open with the most confidently and correctly matched of the first 50 couplets, then
        // the other pairs in test order.
        int shown = Enumerable.Range(0, 50).Where(i => test[i].Label == "1" && predictions[i].IsMatch)
            .DefaultIfEmpty(0).MaxBy(i => predictions[i].Probability);
        var ordered = pairs.Take(50).Where(p => !ReferenceEquals(p, pairs[shown])).Prepend(pairs[shown]).ToList();
        PngFigure.Write(Path.Combine(modelDirectory, "pair.png"), pairs[shown]);
        SvgFigure.Write(Path.Combine(modelDirectory, "pair.svg"), pairs[shown]);
        Console.Out.WriteLine($"  {predictions[shown].Text1} / {predictions[shown].Text2}: match ({predictions[shown].Probability:0.000}); pair.svg and pair.png show it with its alignment");
        return ordered;
    }
}
