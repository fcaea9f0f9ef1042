using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Where a training step's time goes: batches are built once, then forward, backward, clipping and the
/// optimizer step are timed separately (CPU ops are synchronous, so a stopwatch around each is exact).
/// </summary>
internal static class TrainProfileBenchmark
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { DefaultValueFactory = _ => "poetry-dynasty", Description = "Dataset or sample:NAME." };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 600 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var preset = new Option<string>("--preset") { DefaultValueFactory = _ => "attention" };
        var dropout = new Option<double>("--dropout") { DefaultValueFactory = _ => -1, Description = "Overrides the preset's dropout (-1 = keep)." };
        var encoder = new Option<EncoderKind?>("--encoder") { Description = "Overrides the preset's encoder." };
        var pooling = new Option<PoolingKind?>("--pooling") { Description = "Overrides the preset's pooling." };
        var precisionOption = new Option<TrainingPrecision>("--precision") { DefaultValueFactory = _ => TrainingPrecision.Auto };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 0, Description = "Overrides every layer width (embedding, encoder, attention, dense); a tiny width leaves only the per-op overhead." };
        var batchSize = new Option<int>("--batch") { DefaultValueFactory = _ => 32, Description = "Texts per step (the time of one half of a split step: --batch 16 --threads 1)." };
        var command = new Command("train-profile", "Per-phase time of a training step at batch 32 (forward, backward, clip, optimizer step) with the trainers' optimizer.") { dataset, steps, threads, preset, dropout, encoder, pooling, width, precisionOption, batchSize };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, _) = DatasetLoader.Load(name);
            var options = Presets.Create(parse.GetValue(preset)!, DatasetProfile.For(DatasetLoader.ProfileName(name)), 1, 1, parse.GetValue(threads));
            set_num_threads(parse.GetValue(threads));
            options.Training.Precision = parse.GetValue(precisionOption);
            var texts = train.Select(t => t.Text).ToList();
            var tokenizer = AttentionTokenizer.Train(texts, options.Tokenizer);
            var choice = tokenizer.ChooseMaxLength(texts, 100);
            var labels = train.Select(t => t.Label).Distinct().Order(StringComparer.Ordinal).ToList();
            int maxLength = Math.Min(choice.MaxLength, 512);
            var ids = texts.Select(t => tokenizer.EncodeToIds(t, maxLength, out _)).Where(a => a.Length > 0).ToArray();
            var data = new EncodedExamples(ids, ids.Select(_ => 0).ToArray());
            var modelOptions = options.Model.Clone();
            modelOptions.VocabularySize = tokenizer.VocabularySize;
            modelOptions.NumClasses = labels.Count;
            modelOptions.MaxLength = maxLength;
            if (parse.GetValue(dropout) >= 0) modelOptions.Dropout = parse.GetValue(dropout);
            if (parse.GetValue(encoder) is { } e) modelOptions.Encoder = e;
            if (parse.GetValue(pooling) is { } pk) modelOptions.Pooling = pk;
            if (parse.GetValue(width) is > 0 and int w)
                (modelOptions.EmbeddingDim, modelOptions.EncoderDim, modelOptions.AttentionHiddenDim, modelOptions.DenseDim) = (w, w, w, w);
            manual_seed(1);
            using var model = new TextClassifier(modelOptions);
            model.train();
            var parameters = model.parameters().ToList();
            using var optimizer = new StepOptimizer(model, options.Training);
            int size = parse.GetValue(batchSize);
            var batches = LengthBuckets.Plan(data, size, new SplitMix64(1));
            var rng = new Random(1);
            var phases = new Stopwatch[5].Select(_ => new Stopwatch()).ToArray();
            string[] names = { "batch tensors", "forward+loss", "backward", "clip", "optimizer" };
            int n = Math.Min(parse.GetValue(steps), batches.Count);
            using var precision = options.Training.UsesBFloat16 ? Modules.MixedPrecision.Enable() : null;
            var total = Stopwatch.StartNew();
            var cpuAtStart = TimeSpan.Zero;
            for (int s = 0; s < n; s++)
            {
                if (s == 20) { total.Restart(); cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime; foreach (var p in phases) p.Reset(); }
                using var scope = NewDisposeScope();
                phases[0].Start();
                var x = LengthBuckets.Ids(data, batches[s]);
                var y = tensor(batches[s].Select(_ => (long)rng.Next(labels.Count)).ToArray());
                phases[0].Stop(); phases[1].Start();
                optimizer.ZeroGrad();
                var (logits, _) = model.forward(x);
                var loss = nn.functional.cross_entropy(logits, y);
                phases[1].Stop(); phases[2].Start();
                loss.backward();
                phases[2].Stop(); phases[3].Start();
                optimizer.ClipGradientNorm(options.Training.GradientClipNorm);
                phases[3].Stop(); phases[4].Start();
                optimizer.Step();
                phases[4].Stop();
            }
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart;
            var c = CultureInfo.InvariantCulture;
            int timed = n - 20;
            double padded = batches.Take(n).Average(b => (double)Modules.Masking.PaddedLength(b.Max(i => data.Ids[i].Length)));
            double real = batches.Take(n).Average(b => b.Average(i => (double)data.Ids[i].Length));
            Console.WriteLine(string.Create(c, $"mean padded length {padded:0.0}, mean real length {real:0.0} ({real / padded:P0} of the computed steps are tokens)"));
            Console.WriteLine(string.Create(c, $"precision {(options.Training.UsesBFloat16 ? "bfloat16 products" : "float32")}, vocabulary {tokenizer.VocabularySize}, max length {maxLength}, mean {ids.Average(a => a.Length):0.0} tokens, {parameters.Sum(p => p.numel())} parameters, {timed} steps"));
            for (int i = 0; i < names.Length; i++)
                Console.WriteLine(string.Create(c, $"{names[i],-14} {phases[i].Elapsed.TotalMilliseconds / timed,7:0.00} ms/step"));
            Console.WriteLine(string.Create(c, $"total          {total.Elapsed.TotalMilliseconds / timed,7:0.00} ms/step = {timed * size / total.Elapsed.TotalSeconds:0} texts/s; process CPU {cpu.TotalMilliseconds / timed:0.00} ms/step"));
            return 0;
        });
        return command;
    }
}
