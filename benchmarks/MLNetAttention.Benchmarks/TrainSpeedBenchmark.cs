using MLNetAttention.Text;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MLNetAttention.Models;
using MLNetAttention.Training;
using TorchSharp;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Training throughput of the conv + attention classifier at batch 32, data pipeline included: the
/// end-to-end figure counts tokenizer training, encoding, batching and every epoch.
/// </summary>
internal static class TrainSpeedBenchmark
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "poetry-dynasty", Description = "Dataset or sample:NAME." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var preset = new Option<string>("--preset") { DefaultValueFactory = _ => "attention", Description = "The configuration: attention (conv + attention, the original's architecture) or another preset, e.g. ngram." };
        var pooling = new Option<PoolingKind?>("--pooling") { Description = "Overrides the preset's pooling." };
        var clip = new Option<double>("--clip") { DefaultValueFactory = _ => new TrainingOptions().GradientClipNorm, Description = "Gradient-norm clip (0 = off)." };
        var minFrequency = new Option<int?>("--min-freq") { Description = "Tokenizer minimum frequency (default: the library's for the attention preset, the preset's own otherwise)." };
        var precision = new Option<TrainingPrecision>("--precision") { DefaultValueFactory = _ => TrainingPrecision.Auto, Description = "Matrix-product format of training steps (Auto = bfloat16 where the CPU has it natively)." };
        var split = new Option<bool>("--split-batch") { DefaultValueFactory = _ => new TrainingOptions().SplitBatchAcrossThreads, Description = "Run each batch as two concurrent halves (TrainingOptions.SplitBatchAcrossThreads); false runs it whole." };
        var command = new Command("train-speed", "Training texts/s at batch 32, data pipeline included.") { dataset, epochs, threads, preset, pooling, clip, minFrequency, precision, split };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, _) = DatasetLoader.Load(name);
            string presetName = parse.GetValue(preset)!;
            var options = Presets.Create(presetName, DatasetProfile.For(DatasetLoader.ProfileName(name)), 1, parse.GetValue(epochs), parse.GetValue(threads));
            if (parse.GetValue(pooling) is { } poolingKind) options.Model.Pooling = poolingKind;
            options.Training.ValidationFraction = 0;
            options.Training.BatchSize = 32;
            options.Training.GradientClipNorm = parse.GetValue(clip);
            options.Training.Precision = parse.GetValue(precision);
            options.Training.SplitBatchAcrossThreads = parse.GetValue(split);
            // Conv + attention keeps the library's minimum frequency (16), as `train` without a preset.
            int? minimum = parse.GetValue(minFrequency) ?? (presetName == "attention" ? new AttentionTokenizerOptions().MinFrequency : null);
            if (minimum is { } value) options.Tokenizer = options.Tokenizer with { MinFrequency = value };
            var clock = Stopwatch.StartNew();
            using var classifier = AttentionClassifier.Train(train, null, options);
            double total = clock.Elapsed.TotalSeconds;
            var c = CultureInfo.InvariantCulture;
            foreach (var epoch in classifier.Summary!.History)
                Console.WriteLine(string.Create(c, $"epoch {epoch.Epoch}: {epoch.SamplesPerSecond:0} texts/s ({epoch.Seconds:0.0} s), rss {epoch.WorkingSetMegabytes:0} MB"));
            int texts = train.Count * classifier.Summary.History.Count;
            Console.WriteLine(string.Create(c, $"vocabulary {classifier.Tokenizer.VocabularySize} tokens (min frequency {options.Tokenizer.MinFrequency}), max length {classifier.MaxLength}"));
            Console.WriteLine(string.Create(c, $"machine check: 2048x2048 matmul {MatmulGflops():0} GFLOP/s on {parse.GetValue(threads)} threads (about 208 on a quiet 2-core machine of this kind; lower means a busy host)"));
            Console.WriteLine(string.Create(c, $"{name}: {train.Count} texts x {classifier.Summary.History.Count} epochs in {total:0.0} s end to end = {texts / total:0} texts/s (tokenizer, encoding, batching and training; {parse.GetValue(threads)} threads, batch 32, {presetName}: {options.Model.Encoder} encoder, {options.Model.Pooling} pooling, {(options.Training.UsesBFloat16 ? "bfloat16 products" : "float32")}, {(options.Training.SplitBatchAcrossThreads ? "batch split in two concurrent halves" : "whole batches")})"));
            return 0;
        });
        return command;
    }

    // Peak matrix-product speed right now: the same run's reference for how busy the host is.
    private static double MatmulGflops()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(2048, 2048);
        var b = torch.randn(2048, 2048);
        torch.mm(a, b);
        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 5; i++) torch.mm(a, b).Dispose();
            best = Math.Max(best, 5 * 2.0 * 2048 * 2048 * 2048 / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
