using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Matchers on a pair dataset: test accuracy and F1 over seeds (match), and speed (match-speed): training pairs/s
/// with the data pipeline included, and ONNX Runtime scoring pairs/s at batch 1 and 32.
/// </summary>
internal static class MatchBenchmark
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "couplet-match-full", Description = "couplet-match, couplet-match-full or sample:couplet-match." };
        var matchers = new Option<string>("--matchers") { DefaultValueFactory = _ => "cross", Description = "Comma-separated: siamese, interactive, triplet, cross." };
        var seeds = new Option<string>("--seeds") { DefaultValueFactory = _ => "1,2,3", Description = "Comma-separated seeds." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 1, Description = "libtorch threads (1 each lets two runs share 2 cores)." };
        var trainPairs = new Option<int>("--train-pairs") { DefaultValueFactory = _ => 0, Description = "Use the first N training pairs (0 = all): the learning curve." };
        var resample = new Option<bool>("--resample-negatives") { Description = "Fresh same-length negatives every epoch (TrainingOptions.ResampleNegatives)." };
        var decay = new Option<bool>("--linear-decay") { Description = "Learning rate decays linearly to 0 over the run." };
        var output = new Option<string?>("--results") { Description = "Append one JSON line per run to this file." };
        var command = new Command("match", "Test accuracy and F1 of matchers over several seeds.") { dataset, matchers, seeds, epochs, threads, trainPairs, resample, decay, output };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, test) = Load(name, parse.GetValue(trainPairs));
            Console.WriteLine($"# {name}: {train.Count} train / {test.Count} test pairs");
            Console.WriteLine("dataset\tmatcher\tseed\ttrain_pairs\taccuracy\tf1_match\tbest_epoch\ttrain_s\tpairs_per_s");
            var results = new List<(string Matcher, double Accuracy)>();
            foreach (var matcherName in parse.GetValue(matchers)!.Split(','))
                foreach (var seed in parse.GetValue(seeds)!.Split(',').Select(long.Parse))
                {
                    var options = Options(Enum.Parse<MatcherKind>(matcherName, ignoreCase: true), seed, parse.GetValue(epochs), parse.GetValue(threads));
                    options.Training.ResampleNegatives = parse.GetValue(resample);
                    if (parse.GetValue(decay)) options.Training.Decay = LearningRateDecay.Linear;
                    var clock = Stopwatch.StartNew();
                    using var matcher = AttentionMatcher.Train(train, null, options);
                    double seconds = clock.Elapsed.TotalSeconds;
                    var metrics = matcher.Evaluate(test);
                    var summary = matcher.Summary!;
                    // Data pipeline included: tokenizer training, encoding and every epoch's pairs over the whole time.
                    double speed = summary.History.Count * (double)summary.TrainCount / seconds;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name}\t{matcherName}\t{seed}\t{train.Count}\t{metrics.Accuracy:0.0000}\t{metrics.PerClass[1].F1:0.0000}\t{summary.BestEpoch}\t{seconds:0}\t{speed:0}"));
                    results.Add((matcherName, metrics.Accuracy));
                    if (parse.GetValue(output) is { } path)
                        File.AppendAllText(path, JsonSerializer.Serialize(new
                        {
                            dataset = name, matcher = matcherName, seed, trainPairs = train.Count, epochs = options.Training.Epochs,
                            resampleNegatives = options.Training.ResampleNegatives, decay = options.Training.Decay.ToString(),
                            threads = options.Training.Threads, compositionKernel = options.Model.Kind == MatcherKind.Cross ? options.Model.CompositionKernel : (int?)null, accuracy = metrics.Accuracy, f1Match = metrics.PerClass[1].F1,
                            macroF1 = metrics.MacroF1, bestEpoch = summary.BestEpoch,
                            validation = summary.History.Select(h => h.Validation?.Accuracy).ToArray(),
                            trainSeconds = seconds, pairsPerSecond = speed,
                        }) + "\n");
                }
            foreach (var group in results.GroupBy(r => r.Matcher))
            {
                var accuracies = group.Select(r => r.Accuracy).ToArray();
                var (mean, sd) = SeedStatistics.Of(accuracies);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {name} {group.Key}: accuracy {mean:0.0000} ± {sd:0.0000} over {accuracies.Length} seeds"));
            }
            return 0;
        });
        return command;
    }

    public static Command CreateSpeed()
    {
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "sample:couplet-match", Description = "couplet-match, couplet-match-full or sample:couplet-match." };
        var matcher = new Option<string>("--matcher") { DefaultValueFactory = _ => "cross" };
        var trainPairs = new Option<int>("--train-pairs") { DefaultValueFactory = _ => 100_000, Description = "Training pairs (one epoch)." };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var command = new Command("match-speed", "Matcher training pairs/s (data pipeline included) and ONNX Runtime scoring pairs/s at batch 1 and 32.") { dataset, matcher, trainPairs, threads };
        command.SetAction(parse =>
        {
            var (train, test) = Load(parse.GetValue(dataset)!, parse.GetValue(trainPairs));
            var options = Options(Enum.Parse<MatcherKind>(parse.GetValue(matcher)!, ignoreCase: true), 1, 1, parse.GetValue(threads));
            options.Training.ValidationFraction = 0;
            var clock = Stopwatch.StartNew();
            using var trained = AttentionMatcher.Train(train, null, options);
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"training: {train.Count:N0} pairs, one epoch, {parse.GetValue(threads)} threads, batch {options.Training.BatchSize}: {train.Count / seconds:N0} pairs/s end to end ({seconds:0.0} s, tokenizer and encoding included)"));

            using var onnx = AttentionOnnxMatcher.Load(OnnxExporter.ExportToBytes(trained));
            var pairs = test.Select(p => (p.Text1, p.Text2)).ToList();
            foreach (int batch in new[] { 1, 32 })
            {
                onnx.BatchSize = batch;
                onnx.Predict(pairs.Take(256)); // warm-up
                double best = 0;
                for (int round = 0; round < 3; round++)
                {
                    var timer = Stopwatch.StartNew();
                    onnx.Predict(pairs);
                    best = Math.Max(best, pairs.Count / timer.Elapsed.TotalSeconds);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"ONNX Runtime scoring, batch {batch}: {best:N0} pairs/s (best of 3 over {pairs.Count:N0} pairs, tokenization and token weights included)"));
            }
            return 0;
        });
        return command;
    }

    /// <summary>The benchmark's configuration of each matcher: the library defaults, with the cross matcher's
    /// encoder off (its alignment works on the token embeddings directly), min-frequency 2 and 2 % held out.</summary>
    public static AttentionMatcherOptions Options(MatcherKind kind, long seed, int epochs, int threads) => new()
    {
        Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
        Model = new TextMatcherOptions { Kind = kind, Encoder = kind == MatcherKind.Cross ? EncoderKind.None : EncoderKind.ResConv },
        Training = new TrainingOptions { Epochs = epochs, Seed = seed, Threads = threads, Patience = 0, ValidationFraction = 0.02 },
    };

    private static (List<PairExample> Train, List<PairExample> Test) Load(string name, int trainPairs)
    {
        var source = DataSources.ResolvePairs(name, new ReaderOptions(), new ReadReport(), log: Console.Error);
        var train = source.Train().ToList();
        var test = (source.Test ?? throw new ArgumentException($"'{name}' has no test split: name a dataset or sample:NAME.")).Invoke().ToList();
        return (trainPairs > 0 ? train.Take(trainPairs).ToList() : train, test);
    }
}
