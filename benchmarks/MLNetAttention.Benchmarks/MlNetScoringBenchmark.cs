using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetAttention.Data;
using MLNetAttention.MLNet;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using static TorchSharp.torch;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// Sentences/s of the ML.NET AttentionPool pipeline (tokenization included) against raw batched ONNX Runtime and
/// TorchSharp eager inference on the same model and texts, plus ONNX Runtime vs TorchSharp at fixed lengths 64 and 512.
/// </summary>
internal static class MlNetScoringBenchmark
{
    public sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    public static Command Create()
    {
        var count = new Option<int>("--texts") { DefaultValueFactory = _ => 20_000, Description = "Texts scored per configuration (the poetry test sample repeated)." };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 2.0, Description = "Minimum timed seconds per fixed-length configuration." };
        var command = new Command("mlnet-scoring", "Sentences/s: ML.NET AttentionPool pipeline vs raw ONNX Runtime vs TorchSharp; ORT vs TorchSharp at length 64 and 512.") { count, seconds };
        command.SetAction(parse => Run(parse.GetValue(count), parse.GetValue(seconds)));
        return command;
    }

    private static int Run(int textCount, double minSeconds)
    {
        set_num_threads(2);
        Console.WriteLine($"# {Environment.ProcessorCount} cores; load average before: {LoadAverage()}");
        // The seed architecture (Emb 128 → Conv 128 → attention pooling → Dense 128 → GELU → Dense 2), one epoch on the
        // bundled sample: speed does not depend on how well it is trained. Max length 512 so the fixed-length part fits.
        var options = new AttentionClassifierOptions { Tokenizer = new AttentionTokenizerOptions { MaxLength = 512 } };
        options.Training.Epochs = 1;
        options.Training.Threads = 2;
        using var classifier = AttentionClassifier.Train(BundledSamples.ReadTexts("poetry-dynasty.train"), null, options);
        string directory = Path.Combine(Path.GetTempPath(), "mlnet-attention-bench");
        Directory.CreateDirectory(directory);
        string modelPath = Path.Combine(directory, "model.onnx");
        OnnxExporter.Export(classifier, modelPath);
        byte[] modelBytes = File.ReadAllBytes(modelPath);

        var sample = BundledSamples.ReadTexts("poetry-dynasty.test").Select(e => e.Text).ToArray();
        var texts = Enumerable.Range(0, textCount).Select(i => sample[i % sample.Length]).ToArray();
        double meanTokens = texts.Average(t => classifier.Tokenizer.EncodeToIds(t, 512, out _).Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {texts.Length} texts (poetry-dynasty test sample repeated), {meanTokens:0.0} tokens on average"));
        Console.WriteLine("configuration\tsentences_per_s");

        var results = new List<(string Name, double Rate)>();
        void Report(string name, double rate)
        {
            results.Add((name, rate));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}\t{rate:0}"));
        }

        // ML.NET: Fit, then consume every output column through one cursor (ML.NET parallelises the rows itself).
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        string cache = Path.Combine(directory, "cache");
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        var model = ml.Transforms.AttentionPool(modelPath, options: new AttentionPoolOptions { CacheDirectory = cache }).Fit(data);
        Consume(model.Transform(ml.Data.TakeRows(data, 500)), tokens: true);
        Console.WriteLine($"# threads before the pipeline: {Threads()}");
        Report("mlnet pipeline (AttentionPool, IntraOp 1): Score, AttentionWeights, PredictedLabel", Rate(texts.Length, () => Consume(model.Transform(data), tokens: false)));
        Report("mlnet pipeline with Tokens and TokenOffsets too", Rate(texts.Length, () => Consume(model.Transform(data), tokens: true)));
        Console.WriteLine($"# threads after the fitted pipeline: {Threads()}");
        if (Environment.GetEnvironmentVariable("MLNET_BREAKDOWN") == "1")
        {
            var steps = ((IEnumerable<ITransformer>)model.Chain).ToArray();
            for (int k = 1; k <= steps.Length; k++)
            {
                var prefix = new TransformerChain<ITransformer>(steps.Take(k).ToArray());
                var view = prefix.Transform(data);
                var last = view.Schema[view.Schema.Count - 1];
                Report($"  prefix of {k} steps ({steps[k - 1].GetType().Name}, consuming {last.Name})", Rate(texts.Length, () => ConsumeColumn(view, last)));
            }
        }
        string zip = Path.Combine(directory, "pipeline.zip");
        ml.Model.Save(model, data.Schema, zip);
        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        var loaded = fresh.Model.Load(zip, out _);
        Consume(loaded.Transform(fresh.Data.TakeRows(data, 500)), tokens: true);
        Report("mlnet pipeline loaded from zip: Score, AttentionWeights, PredictedLabel", Rate(texts.Length, () => Consume(loaded.Transform(data), tokens: false)));
        Console.WriteLine($"# threads after the loaded pipeline: {Threads()}");

        // Raw ONNX Runtime, batches padded to their longest text; tokenization inside the timed loop (the same work).
        var tokenizer = classifier.Tokenizer;
        double tokenizeOnly = Rate(texts.Length, () => { foreach (var t in texts) tokenizer.EncodeToIds(t, 512, out _); });
        foreach (int threads in new[] { 1, 2 })
        {
            using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 };
            using var session = new InferenceSession(modelBytes, sessionOptions);
            foreach (int batch in new[] { 1, 32, 256 })
            {
                ScoreOrt(session, tokenizer, texts.AsSpan(0, Math.Min(texts.Length, 512)), batch);
                Report($"raw ORT batch {batch}, IntraOp {threads} (tokenization included)", Rate(texts.Length, () => ScoreOrt(session, tokenizer, texts, batch)));
            }
        }
        Report("tokenization alone (EncodeToIds)", tokenizeOnly);
        // The pipeline's variant graph alone, one unpadded [1, n] row per Run as ApplyOnnxModel feeds it.
        using (var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 })
        using (var variant = new InferenceSession(Directory.GetFiles(cache, "*.onnx").Single(), sessionOptions))
        using (var original = new InferenceSession(modelBytes, sessionOptions))
        {
            var encoded = texts.Select(t => tokenizer.EncodeToIds(t, 512, out _).Select(i => (long)i).ToArray()).ToArray();
            foreach (var (name, session, input) in new[] { ("original", original, OnnxModelInfo.InputIdsName), ("pipeline variant", variant, variant.InputMetadata.Keys.Single()) })
            {
                void RunAll() { foreach (var ids in encoded) { using var o = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<long>(ids, [1, ids.Length]))]); } }
                RunAll();
                Report($"raw ORT batch 1, IntraOp 1, pre-tokenized, {name} graph", Rate(texts.Length, RunAll));
            }
        }

        // TorchSharp eager (eval, no_grad), 2 threads, same batches.
        foreach (int batch in new[] { 32, 256 })
        {
            ScoreTorch(classifier, texts.AsSpan(0, 512), batch);
            Report($"TorchSharp eager batch {batch} (tokenization included)", Rate(texts.Length, () => ScoreTorch(classifier, texts, batch)));
        }

        var bestOrt = results.Where(r => r.Name.StartsWith("raw ORT", StringComparison.Ordinal)).MaxBy(r => r.Rate);
        var mlnet = results[0];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# ratio: ML.NET pipeline / best raw ORT ({bestOrt.Name}) = {mlnet.Rate / bestOrt.Rate:0.00}; loaded / best = {results[1].Rate / bestOrt.Rate:0.00}"));

        // Issue 5: ORT (IntraOp 2) vs TorchSharp eager at fixed lengths, random in-vocabulary ids, no padding.
        Console.WriteLine("length\tbatch\tort_sentences_per_s\ttorch_sentences_per_s\tort_over_torch");
        using (var sessionOptions = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 })
        using (var session = new InferenceSession(modelBytes, sessionOptions))
        {
            var random = new Random(5);
            foreach (int length in new[] { 64, 512 })
                foreach (int batch in new[] { 1, 32 })
                {
                    var ids = new long[batch * length];
                    for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(2, tokenizer.VocabularySize);
                    var input = new DenseTensor<long>(ids, [batch, length]);
                    double ort = TimedRate(batch, minSeconds, () =>
                    {
                        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIdsName, input)]);
                    });
                    var network = classifier.Network;
                    network.eval();
                    using var idsTensor = tensor(ids, [batch, length]);
                    double torch = TimedRate(batch, minSeconds, () =>
                    {
                        using var noGrad = no_grad();
                        using var scope = NewDisposeScope();
                        var (logits, weights) = network.forward(idsTensor);
                        logits.softmax(-1).data<float>().ToArray();
                        weights.data<float>().ToArray();
                    });
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{length}\t{batch}\t{ort:0}\t{torch:0}\t{ort / torch:0.00}"));
                }
        }
        Console.WriteLine($"# load average after: {LoadAverage()}");
        return 0;
    }

    private static void Consume(IDataView scored, bool tokens)
    {
        string[] names = tokens
            ? [AttentionPoolColumns.Score, AttentionPoolColumns.AttentionWeights, AttentionPoolColumns.PredictedLabel, AttentionPoolColumns.Tokens, AttentionPoolColumns.TokenOffsets]
            : [AttentionPoolColumns.Score, AttentionPoolColumns.AttentionWeights, AttentionPoolColumns.PredictedLabel];
        var columns = names.Select(name => scored.Schema[name]).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var getters = new List<Action>
        {
            Getter<VBuffer<float>>(cursor, columns[0]), Getter<VBuffer<float>>(cursor, columns[1]), Getter<uint>(cursor, columns[2]),
        };
        if (tokens)
        {
            getters.Add(Getter<VBuffer<ReadOnlyMemory<char>>>(cursor, columns[3]));
            getters.Add(Getter<VBuffer<int>>(cursor, columns[4]));
        }
        while (cursor.MoveNext())
            foreach (var get in getters) get();
    }

    private static void ConsumeColumn(IDataView view, DataViewSchema.Column column)
    {
        using var cursor = view.GetRowCursor([column]);
        Action read = column.Type switch
        {
            VectorDataViewType { ItemType: TextDataViewType } => Getter<VBuffer<ReadOnlyMemory<char>>>(cursor, column),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(float) => Getter<VBuffer<float>>(cursor, column),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(long) => Getter<VBuffer<long>>(cursor, column),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(int) => Getter<VBuffer<int>>(cursor, column),
            TextDataViewType => Getter<ReadOnlyMemory<char>>(cursor, column),
            _ => Getter<uint>(cursor, column),
        };
        while (cursor.MoveNext()) read();
    }

    private static Action Getter<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () => getter(ref value);
    }

    private static void ScoreOrt(InferenceSession session, AttentionTokenizer tokenizer, ReadOnlySpan<string> texts, int batch)
    {
        var rows = new int[batch][];
        for (int first = 0; first < texts.Length; first += batch)
        {
            int n = Math.Min(batch, texts.Length - first);
            int length = 1;
            for (int r = 0; r < n; r++)
            {
                rows[r] = tokenizer.EncodeToIds(texts[first + r], 512, out _);
                length = Math.Max(length, rows[r].Length);
            }
            var ids = new long[n * length];
            for (int r = 0; r < n; r++)
                for (int t = 0; t < rows[r].Length; t++) ids[r * length + t] = rows[r][t];
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIdsName, new DenseTensor<long>(ids, [n, length]))]);
            outputs[0].AsTensor<float>();
        }
    }

    private static void ScoreTorch(AttentionClassifier classifier, ReadOnlySpan<string> texts, int batch)
    {
        var network = classifier.Network;
        network.eval();
        using var noGrad = no_grad();
        var rows = new int[batch][];
        for (int first = 0; first < texts.Length; first += batch)
        {
            int n = Math.Min(batch, texts.Length - first);
            int length = 1;
            for (int r = 0; r < n; r++)
            {
                rows[r] = classifier.Tokenizer.EncodeToIds(texts[first + r], 512, out _);
                length = Math.Max(length, rows[r].Length);
            }
            var ids = new long[n * length];
            for (int r = 0; r < n; r++)
                for (int t = 0; t < rows[r].Length; t++) ids[r * length + t] = rows[r][t];
            using var scope = NewDisposeScope();
            var (logits, weights) = network.forward(tensor(ids, [n, length]));
            logits.softmax(-1).data<float>().ToArray();
            weights.data<float>().ToArray();
        }
    }

    private static double Rate(int count, Action run)
    {
        var clock = Stopwatch.StartNew();
        run();
        return count / clock.Elapsed.TotalSeconds;
    }

    private static double TimedRate(int perCall, double minSeconds, Action call)
    {
        for (int i = 0; i < 3; i++) call();
        long calls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < minSeconds)
        {
            call();
            calls++;
        }
        return calls * perCall / clock.Elapsed.TotalSeconds;
    }

    private static string Threads() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Threads:", StringComparison.Ordinal))?[8..].Trim() ?? "n/a";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
