using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Training;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Model size against accuracy, one storage lever at a time: trains a preset once per seed, writes its model
/// directory in each storage (full; one copy in ONNX; touched rows float32, int8) and measures the
/// directory's size, the ONNX model's test accuracy, its load time (session creation) and scoring speed, and the
/// directory's load time through the TorchSharp classifier.
/// </summary>
internal static class CompactBenchmark
{
    private static readonly (string Name, Func<OnnxExportOptions> Options)[] Storages =
    [
        ("full", () => new OnnxExportOptions { BigramTable = EmbeddingTableStorage.Dense }),
        ("onnx-only", () => new OnnxExportOptions { BigramTable = EmbeddingTableStorage.Dense, WeightsInOnnxOnly = true }),
        ("touched-fp32", () => new OnnxExportOptions { BigramTable = EmbeddingTableStorage.TouchedRows, WeightsInOnnxOnly = true }),
        ("touched-int8", OnnxExportOptions.Compact),
    ];

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, imdb, spam, or sample:NAME." };
        var preset = new Option<string>("--preset") { DefaultValueFactory = _ => "ngram", Description = "The preset to train: " + string.Join(", ", Presets.All.Keys) };
        var seeds = new Option<string>("--seeds") { DefaultValueFactory = _ => "1,2,3", Description = "Comma-separated seeds." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => AttentionClassifierOptions.NgramEpochs };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var storages = new Option<string>("--storages") { DefaultValueFactory = _ => string.Join(",", Storages.Select(s => s.Name)), Description = "Comma-separated storages to write and measure." };
        var overrides = new Option<string[]>("--set") { Description = "Override an option of the preset, e.g. --set Model.BigramBuckets=1000000 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var maxRows = new Option<string?>("--max-rows") { Description = "Comma-separated row limits: also write touched-int8 keeping only the N largest-norm bigram rows (storage touched-int8-maxN)." };
        var speedRounds = new Option<int>("--speed-rounds") { DefaultValueFactory = _ => 0, Description = "After each seed, score the test split this many more times with every storage's ONNX model in turn and print the median speed (0 = off)." };
        var keepIn = new Option<string?>("--keep") { Description = "Move each written model directory into this folder as STORAGE-seedN instead of deleting it (to profile or compare them later)." };
        var output = new Option<string?>("--results") { Description = "Append one JSON line per storage and seed to this file." };
        var command = new Command("compact", "Size, accuracy, load time and scoring speed of a preset's model directory in each storage layout.")
        {
            dataset, preset, seeds, epochs, threads, storages, maxRows, speedRounds, overrides, output, keepIn,
        };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, test) = DatasetLoader.Load(name);
            var profile = DatasetProfile.For(DatasetLoader.ProfileName(name));
            var chosen = parse.GetValue(storages)!.Split(',').Select(s => Storages.FirstOrDefault(k => k.Name == s)).ToArray();
            if (chosen.Any(s => s.Name is null))
                throw new ArgumentException($"--storages: unknown storage; known: {string.Join(", ", Storages.Select(s => s.Name))}.");
            if (parse.GetValue(maxRows) is { Length: > 0 } limits)
                chosen = [.. chosen, .. limits.Split(',').Select(int.Parse).Select(n => ($"touched-int8-max{n}", (Func<OnnxExportOptions>)(() =>
                {
                    var o = OnnxExportOptions.Compact();
                    o.MaxBigramRows = n;
                    return o;
                })))];
            var sets = parse.GetValue(overrides) ?? [];
            string presetName = Presets.Label(parse.GetValue(preset)!, sets, profile);
            Console.WriteLine($"# {name}: {train.Count} train / {test.Count} test; preset {presetName}");
            Console.WriteLine("dataset\tpreset\tstorage\tseed\taccuracy\tmacro_f1\tmodel_mb\tonnx_load_s\tdirectory_load_s\ttexts_per_s");
            var rows = new List<(string Storage, double Accuracy, long Bytes)>();
            foreach (long seed in parse.GetValue(seeds)!.Split(',').Select(long.Parse))
            {
                var options = Presets.Create(parse.GetValue(preset)!, profile, seed, parse.GetValue(epochs), parse.GetValue(threads));
                Presets.Override(options, sets);
                using var classifier = AttentionClassifier.Train(train, null, options);
                var kept = new List<(string Storage, string Directory)>();
                foreach (var (storage, storageOptions) in chosen)
                {
                    string directory = Path.Combine(Directory.CreateTempSubdirectory("mlna-compact").FullName, "model");
                    bool keep = false;
                    try
                    {
                        OnnxExporter.SaveWithOnnx(classifier, directory, storageOptions());
                        var measured = Measure(directory, test);
                        rows.Add((storage, measured.Accuracy, measured.Bytes));
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{name}\t{presetName}\t{storage}\t{seed}\t{measured.Accuracy:0.0000}\t{measured.MacroF1:0.0000}\t{measured.Bytes / 1e6:0.0}\t{measured.OnnxLoadSeconds:0.000}\t{measured.DirectoryLoadSeconds:0.000}\t{measured.TextsPerSecond:0}"));
                        if (parse.GetValue(output) is { } path)
                            File.AppendAllText(path, JsonSerializer.Serialize(new
                            {
                                dataset = name, preset = presetName, storage, seed, accuracy = measured.Accuracy, macroF1 = measured.MacroF1,
                                modelBytes = measured.Bytes, loadSeconds = measured.OnnxLoadSeconds, directoryLoadSeconds = measured.DirectoryLoadSeconds,
                                textsPerSecond = measured.TextsPerSecond,
                            }) + "\n");
                        keep = parse.GetValue(speedRounds) > 0;
                        if (keep) kept.Add((storage, directory));
                    }
                    finally
                    {
                        if (!keep) Release(directory, parse.GetValue(keepIn), storage, seed);
                    }
                }
                if (kept.Count > 0) CompareSpeed(name, seed, kept, test, parse.GetValue(speedRounds), parse.GetValue(keepIn));
            }
            foreach (var group in rows.GroupBy(r => r.Storage))
            {
                var accuracies = group.Select(r => r.Accuracy).ToArray();
                var (mean, std) = SeedStatistics.Of(accuracies);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"# {name} {presetName} {group.Key}: accuracy {mean:0.0000} ± {std:0.0000} over {accuracies.Length} seeds; {group.Average(r => r.Bytes) / 1e6:0.0} MB"));
            }
            return 0;
        });
        return command;
    }

    // Scoring speed of every storage's model.onnx, taking turns round by round so that a slow moment of the machine
    // falls on all of them; the median of the rounds, then the directories are deleted.
    private static void CompareSpeed(string dataset, long seed, List<(string Storage, string Directory)> kept, List<TextExample> test, int rounds, string? keepIn)
    {
        try
        {
            foreach (var line in MedianSpeeds(kept.Select(k => (k.Storage, Path.Combine(k.Directory, OnnxExporter.OnnxFileName))).ToList(), test, rounds))
                Console.WriteLine($"# speed {dataset} seed {seed} {line}");
        }
        finally
        {
            foreach (var (storage, directory) in kept) Release(directory, keepIn, storage, seed);
        }
    }

    /// <summary>
    /// The <c>speed</c> command: scoring speed of existing ONNX files on a dataset's test split, taking turns round by
    /// round (to compare layouts of one trained model, e.g. directories kept with <c>compact --keep</c>).
    /// </summary>
    public static Command CreateSpeed()
    {
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, imdb, spam, or sample:NAME." };
        var models = new Option<string[]>("--model") { Required = true, Description = "An .onnx file or a model directory (repeatable).", AllowMultipleArgumentsPerToken = true };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 5, Description = "Rounds; each scores the whole test split once with every model in turn." };
        var command = new Command("speed", "Median load time and scoring speed of ONNX models on a dataset's test split, taking turns round by round.") { dataset, models, rounds };
        command.SetAction(parse =>
        {
            var (_, test) = DatasetLoader.Load(parse.GetValue(dataset)!);
            var files = parse.GetValue(models)!.Select(m => (m, Directory.Exists(m) ? Path.Combine(m, OnnxExporter.OnnxFileName) : m)).ToList();
            foreach (var line in MedianLoads(files, parse.GetValue(rounds)))
                Console.WriteLine($"# load {parse.GetValue(dataset)} {line}");
            foreach (var line in MedianSpeeds(files, test, parse.GetValue(rounds)))
                Console.WriteLine($"# speed {parse.GetValue(dataset)} {line}");
            return 0;
        });
        return command;
    }

    // "NAME: median S s to load over R rounds (min, max)" for each model: AttentionOnnxModel.Load from the file, the
    // session's graph optimizations (the folding of initializer-only subgraphs) included; models take turns.
    private static IEnumerable<string> MedianLoads(List<(string Name, string OnnxPath)> files, int rounds)
    {
        var seconds = files.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
            for (int m = 0; m < files.Count; m++)
            {
                var clock = Stopwatch.StartNew();
                using (AttentionOnnxModel.Load(files[m].OnnxPath)) seconds[m].Add(clock.Elapsed.TotalSeconds);
            }
        for (int m = 0; m < files.Count; m++)
            yield return $"{files[m].Name}: {Spread(seconds[m], "0.000", " s to load")}";
    }

    // "median X UNIT over R rounds (min, max)" of one model's measurements.
    private static string Spread(List<double> values, string format, string unit)
    {
        var sorted = values.Order().ToArray();
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        return $"median {F(sorted[sorted.Length / 2])}{unit} over {sorted.Length} rounds (min {F(sorted[0])}, max {F(sorted[^1])})";
    }

    // "NAME: median N texts/s over R rounds (min, max)" for each model, scoring the test texts in chunks of 64 through
    // AttentionOnnxModel, the models taking turns so that a slow moment of the machine falls on all of them.
    private static IEnumerable<string> MedianSpeeds(List<(string Name, string OnnxPath)> files, List<TextExample> test, int rounds)
    {
        var models = files.Select(f => AttentionOnnxModel.Load(f.OnnxPath)).ToArray();
        try
        {
            var texts = test.Select(t => t.Text).ToArray();
            foreach (var model in models) model.Predict(texts.Take(64)); // warm-up
            var speeds = files.Select(_ => new List<double>()).ToArray();
            for (int round = 0; round < rounds; round++)
                for (int m = 0; m < models.Length; m++)
                {
                    var clock = Stopwatch.StartNew();
                    foreach (var chunk in texts.Chunk(64)) models[m].Predict(chunk);
                    speeds[m].Add(texts.Length / clock.Elapsed.TotalSeconds);
                }
            return files.Select((f, m) => $"{f.Name}: {Spread(speeds[m], "0", " texts/s")}").ToList();
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
    }

    // Deletes a written model directory (and its temporary parent), or moves it into keepIn as STORAGE-seedN.
    private static void Release(string directory, string? keepIn, string storage, long seed)
    {
        if (keepIn is not null && Directory.Exists(directory))
        {
            string target = Path.Combine(keepIn, $"{storage}-seed{seed}");
            Directory.CreateDirectory(keepIn);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            try
            {
                Directory.Move(directory, target);
            }
            catch (IOException)
            {
                // Another file system: a model directory is flat, so copy its files.
                Directory.CreateDirectory(target);
                foreach (string file in Directory.EnumerateFiles(directory)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }
        Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
    }

    private sealed record Measurement(double Accuracy, double MacroF1, long Bytes, double OnnxLoadSeconds, double DirectoryLoadSeconds, double TextsPerSecond);

    private static Measurement Measure(string directory, List<TextExample> test)
    {
        long bytes = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
        var clock = Stopwatch.StartNew();
        using (AttentionClassifier.Load(directory)) { }
        double directoryLoad = clock.Elapsed.TotalSeconds;

        clock.Restart();
        using var onnx = AttentionOnnxModel.Load(Path.Combine(directory, OnnxExporter.OnnxFileName));
        double onnxLoad = clock.Elapsed.TotalSeconds;
        onnx.Predict(test.Take(64).Select(t => t.Text)); // warm-up
        clock.Restart();
        var predicted = test.Chunk(64).SelectMany(chunk => onnx.Predict(chunk.Select(t => t.Text))).Select(p => p.LabelIndex).ToArray();
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = ClassificationMetrics.Compute(test, predicted, onnx.Info.Labels);
        return new Measurement(metrics.Accuracy, metrics.MacroF1, bytes, onnxLoad, directoryLoad, test.Count / seconds);
    }
}
