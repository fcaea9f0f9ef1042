using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Training;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// How much averaging several independently trained models buys: trains a preset once per seed, scores the test
/// split with each, and reports each model's accuracy and the accuracy of their averaged class probabilities.
/// </summary>
internal static class EnsembleBenchmark
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, imdb, spam, or sample:NAME." };
        var preset = new Option<string>("--preset") { DefaultValueFactory = _ => "ngram", Description = "The preset to train, or several comma-separated presets trained once each per seed and averaged together: " + string.Join(", ", Presets.All.Keys) };
        var seeds = new Option<string>("--seeds") { DefaultValueFactory = _ => "1,2,3", Description = "Comma-separated seeds, one model each." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => AttentionClassifierOptions.NgramEpochs };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var members = new Option<int>("--members") { DefaultValueFactory = _ => 0, Description = "Ensemble size: average consecutive groups of this many seeds (0 = all seeds in one ensemble)." };
        var overrides = new Option<string[]>("--set") { Description = "Override an option of the preset for every member, e.g. --set Model.Trigrams=true (repeatable)." };
        var output = new Option<string?>("--results") { Description = "Append one JSON line per model and per ensemble to this file." };
        var command = new Command("ensemble", "Accuracy of each seed's model and of the average of their class probabilities.")
        {
            dataset, preset, seeds, epochs, threads, members, overrides, output,
        };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, test) = DatasetLoader.Load(name);
            var profile = DatasetProfile.For(DatasetLoader.ProfileName(name));
            var sets = parse.GetValue(overrides) ?? [];
            string presetName = string.Join(",", parse.GetValue(preset)!.Split(',').Select(p => Presets.Label(p, sets, profile)));
            var seedList = parse.GetValue(seeds)!.Split(',').Select(long.Parse).ToArray();
            var presetNames = parse.GetValue(preset)!.Split(',');
            int groupSize = presetNames.Length > 1 ? presetNames.Length : parse.GetValue(members) is > 0 and var m ? m : seedList.Length;
            Console.WriteLine($"# {name}: {train.Count} train / {test.Count} test; preset {presetName}; ensembles of {groupSize}");
            var probabilities = new List<float[][]>();
            IReadOnlyList<string>? labels = null;
            foreach (long seed in seedList)
                foreach (var member in presetNames)
                {
                    // The conv presets stop on their own schedule; the ngram preset trains its fixed epochs.
                    int memberEpochs = member.StartsWith("ngram", StringComparison.Ordinal) || member.EndsWith("-fixed", StringComparison.Ordinal) ? parse.GetValue(epochs) : 10;
                    var options = Presets.Create(member, profile, seed, memberEpochs, parse.GetValue(threads));
                    Presets.Override(options, sets);
                    using var classifier = AttentionClassifier.Train(train, null, options);
                    labels = classifier.Labels;
                    var predictions = test.Chunk(64).SelectMany(chunk => classifier.Predict(chunk.Select(t => t.Text))).ToArray();
                    probabilities.Add(predictions.Select(p => p.Probabilities).ToArray());
                    Report(name, presetName, $"{member} seed {seed}", Score(test, probabilities[^1], labels), parse.GetValue(output));
                }
            var ensembles = new List<double>();
            for (int start = 0; start + groupSize <= probabilities.Count; start += groupSize)
            {
                var group = probabilities.Skip(start).Take(groupSize).ToArray();
                var averaged = test.Select((_, i) => Average(group.Select(p => p[i]))).ToArray();
                double accuracy = Score(test, averaged, labels!);
                ensembles.Add(accuracy);
                Report(name, presetName, $"ensemble {start / groupSize + 1} of {groupSize} models", accuracy, parse.GetValue(output));
            }
            var (mean, std) = SeedStatistics.Of(ensembles.ToArray());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {name} {presetName}: ensembles of {groupSize} {mean:0.0000} ± {std:0.0000} over {ensembles.Count}"));
            return 0;
        });
        return command;
    }

    private static float[] Average(IEnumerable<float[]> rows)
    {
        float[]? sum = null;
        int count = 0;
        foreach (var row in rows)
        {
            sum ??= new float[row.Length];
            for (int c = 0; c < row.Length; c++) sum[c] += row[c];
            count++;
        }
        for (int c = 0; c < sum!.Length; c++) sum[c] /= count;
        return sum;
    }

    private static double Score(List<TextExample> test, float[][] probabilities, IReadOnlyList<string> labels)
    {
        var predicted = probabilities.Select(p => Array.IndexOf(p, p.Max())).ToArray();
        return ClassificationMetrics.Compute(test, predicted, labels).Accuracy;
    }

    private static void Report(string dataset, string preset, string model, double accuracy, string? path)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{dataset}\t{preset}\t{model}\t{accuracy:0.0000}"));
        if (path is not null)
            File.AppendAllText(path, JsonSerializer.Serialize(new { dataset, preset, model, accuracy }) + "\n");
    }
}
