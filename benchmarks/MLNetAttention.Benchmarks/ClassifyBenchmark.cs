using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNetAttention.Training;

namespace MLNetAttention.Benchmarks;

/// <summary>Trains presets over several seeds on a dataset and reports test accuracy, macro-F1 and speed.</summary>
internal static class ClassifyBenchmark
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, poetry-dynasty-clean, imdb, spam, or sample:NAME." };
        var presets = new Option<string>("--presets") { DefaultValueFactory = _ => "attention,multihead", Description = "Comma-separated presets: " + string.Join(", ", Presets.All.Keys) };
        var seeds = new Option<string>("--seeds") { DefaultValueFactory = _ => "1,2,3", Description = "Comma-separated seeds." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var output = new Option<string?>("--results") { Description = "Append one JSON line per run to this file." };
        var overrides = new Option<string[]>("--set") { Description = "Override an option of every preset, e.g. --set Model.Encoder=None --set Training.LearningRate=5e-4 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("classify", "Test accuracy and macro-F1 of our presets over several seeds.") { dataset, presets, seeds, epochs, threads, output, overrides };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, test) = DatasetLoader.Load(name);
            var profile = DatasetProfile.For(DatasetLoader.ProfileName(name));
            Console.WriteLine($"# {name}: {train.Count} train / {test.Count} test; {profile}");
            Console.WriteLine("dataset\tpreset\tseed\taccuracy\tmacro_f1\tbest_epoch\tepochs_run\ttrain_s\ttexts_per_s\tjs_from_uniform\tjs_between_heads\thead_diversity_ratio");
            var results = new List<(string Preset, double Accuracy, double F1)>();
            var sets = parse.GetValue(overrides) ?? Array.Empty<string>();
            foreach (var presetName in parse.GetValue(presets)!.Split(','))
                foreach (var seed in parse.GetValue(seeds)!.Split(',').Select(long.Parse))
                {
                    var options = Presets.Create(presetName, profile, seed, parse.GetValue(epochs), parse.GetValue(threads));
                    Presets.Override(options, sets);
                    string preset = Presets.Label(presetName, sets, profile);
                    var clock = Stopwatch.StartNew();
                    using var classifier = AttentionClassifier.Train(train, null, options);
                    double seconds = clock.Elapsed.TotalSeconds;
                    var metrics = classifier.Evaluate(test);
                    // How peaked the weights are and, for several heads, how differently the heads weigh each text.
                    var diversity = new HeadDiversity(classifier.Network.Options.WeightRows);
                    foreach (var chunk in test.Chunk(512))
                        foreach (var prediction in classifier.Predict(chunk.Select(e => e.Text))) diversity.Add(prediction);
                    var heads = diversity.Result;
                    var summary = classifier.Summary!;
                    double speed = summary.History.Skip(1).DefaultIfEmpty(summary.History[0]).Average(h => h.SamplesPerSecond);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name}\t{preset}\t{seed}\t{metrics.Accuracy:0.0000}\t{metrics.MacroF1:0.0000}\t{summary.BestEpoch}\t{summary.History.Count}\t{seconds:0}\t{speed:0}\t{heads.MeanDivergenceFromUniform:0.0000}\t{heads.MeanPairwiseDivergence:0.0000}\t{heads.DiversityRatio:0.000}"));
                    results.Add((preset, metrics.Accuracy, metrics.MacroF1));
                    if (parse.GetValue(output) is { } path)
                        File.AppendAllText(path, JsonSerializer.Serialize(new
                        {
                            dataset = name, preset, seed, accuracy = metrics.Accuracy, macroF1 = metrics.MacroF1,
                            bestEpoch = summary.BestEpoch, epochsRun = summary.History.Count, trainSeconds = seconds, textsPerSecond = speed,
                            divergenceFromUniform = heads.MeanDivergenceFromUniform, headDivergence = heads.MeanPairwiseDivergence,
                            headDiversityRatio = heads.DiversityRatio, headDivergenceFromUniform = heads.HeadDivergenceFromUniform,
                        }) + "\n");
                }
            foreach (var group in results.GroupBy(r => r.Preset))
            {
                var accuracies = group.Select(r => r.Accuracy).ToArray();
                var (mean, std) = SeedStatistics.Of(accuracies);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# {name} {group.Key}: accuracy {mean:0.0000} ± {std:0.0000} over {accuracies.Length} seeds; macro-F1 {group.Average(r => r.F1):0.0000}"));
            }
            return 0;
        });
        return command;
    }
}
