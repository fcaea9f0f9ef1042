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
/// Sentences/s of the ML.NET AttentionPool pipeline (tokenization included; its batched Transform, and the chain that
/// scores one row per ONNX Runtime call) against raw batched ONNX Runtime and TorchSharp eager inference on the same
/// model and texts, plus ONNX Runtime vs TorchSharp at fixed lengths 64 and 512.
/// </summary>
internal static class MlNetScoringBenchmark
{
    public sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    public sealed class IdsRow
    {
        [ColumnName("__attn_ids")]
        public long[] Ids { get; set; } = [];
    }

    public static Command Create()
    {
        var count = new Option<int>("--texts") { DefaultValueFactory = _ => 20_000, Description = "Texts scored per configuration (the poetry test sample repeated)." };
        var seconds = new Option<double>("--seconds") { DefaultValueFactory = _ => 2.0, Description = "Minimum timed seconds per fixed-length configuration." };
        var breakdown = new Option<bool>("--breakdown") { Description = "Also time each prefix of the ML.NET pipeline's chain." };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 3, Description = "Interleaved rounds; each configuration reports its best round." };
        var command = new Command("mlnet-scoring", "Sentences/s: ML.NET AttentionPool pipeline vs raw ONNX Runtime vs TorchSharp; ORT vs TorchSharp at length 64 and 512.") { count, seconds, rounds, breakdown };
        command.SetAction(parse => Run(parse.GetValue(count), parse.GetValue(seconds), parse.GetValue(rounds), parse.GetValue(breakdown)));
        return command;
    }

    private static int Run(int textCount, double minSeconds, int rounds, bool breakdown)
    {
        set_num_threads(2);
        Console.WriteLine($"# {Environment.ProcessorCount} cores; load average before: {LoadAverage()}");
        // Conv + attention, the original's architecture (Emb 128 → Conv 128 → attention pooling → Dense 128 → GELU → Dense 2), one epoch on the
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
        var tokenizer = classifier.Tokenizer;

        var sample = BundledSamples.ReadTexts("poetry-dynasty.test").Select(e => e.Text).ToArray();
        var texts = Enumerable.Range(0, textCount).Select(i => sample[i % sample.Length]).ToArray();
        double meanTokens = texts.Average(t => tokenizer.EncodeToIds(t, 512, out _).Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# {texts.Length} texts (poetry-dynasty test sample repeated), {meanTokens:0.0} tokens on average; best of {rounds} interleaved rounds"));

        var configurations = new List<(string Name, Action Run)>();
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        string cache = Path.Combine(directory, "cache");
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        var model = ml.Transforms.AttentionPool(modelPath, options: new AttentionPoolOptions { CacheDirectory = cache }).Fit(data);
        var defaultThreads = ml.Transforms.AttentionPool(modelPath, options: new AttentionPoolOptions { CacheDirectory = cache, IntraOpNumThreads = null }).Fit(data);
        var oneAtATime = ml.Transforms.AttentionPool(modelPath, options: new AttentionPoolOptions { CacheDirectory = cache, ParallelBatches = 1 }).Fit(data);
        string zip = Path.Combine(directory, "pipeline.zip");
        ml.Model.Save(model, data.Schema, zip);
        var fresh = new MLContext(2);
        fresh.ComponentCatalog.RegisterAttentionPool();
        var loaded = fresh.Model.Load(zip, out _);
        var loadedPool = fresh.Model.LoadAttentionPool(zip, out _);
        // Transform batches the ONNX step (batches of 32 grouped by length, two at a time); the chain of ML.NET
        // transformers it saves as (what Model.Load and a PredictionEngine run) scores one row per ONNX Runtime call.
        // The first five rows are the ones the ratio lines below refer to.
        configurations.Add(("ML.NET AttentionPool, batched Transform: Score, AttentionWeights, PredictedLabel", () => Consume(model.Transform(data), tokens: false)));
        configurations.Add(("ML.NET AttentionPool, batched Transform: + Tokens, TokenOffsets", () => Consume(model.Transform(data), tokens: true)));
        configurations.Add(("ML.NET AttentionPool, one row per call (transformer.Chain, as saved)", () => Consume(model.Chain.Transform(data), tokens: false)));
        configurations.Add(("ML.NET AttentionPool loaded from zip (Model.Load: one row per call)", () => Consume(loaded.Transform(data), tokens: false)));
        configurations.Add(("ML.NET AttentionPool loaded from zip (Model.LoadAttentionPool: batched)", () => Consume(loadedPool.Transform(data), tokens: false)));
        configurations.Add(("ML.NET AttentionPool, batched Transform, ParallelBatches 1", () => Consume(oneAtATime.Transform(data), tokens: false)));
        configurations.Add(("ML.NET AttentionPool, one row per call, IntraOp default (as after Model.Load)", () => Consume(defaultThreads.Chain.Transform(data), tokens: false)));

        if (breakdown)
        {
            var steps = ((IEnumerable<ITransformer>)model.Chain).ToArray();
            for (int k = 1; k < steps.Length; k++)
            {
                var view = new TransformerChain<ITransformer>(steps[..k]).Transform(data);
                var added = view.Schema.Where(c => data.Schema.GetColumnOrNull(c.Name) is null && !c.IsHidden).ToArray();
                configurations.Add(($"  prefix of {k} steps, up to {steps[k - 1].GetType().Name.Split('`')[0]}", () => ConsumeAll(view, added)));
            }
        }

        // Raw ONNX Runtime: texts sorted by length (less padding), batches padded to their longest; tokenization included.
        var sessions = new List<InferenceSession>();
        foreach (int threads in new[] { 1, 2 })
        {
            var session = new InferenceSession(modelBytes, new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1 });
            sessions.Add(session);
            foreach (int batch in new[] { 1, 32, 256 })
                configurations.Add(($"raw ORT batch {batch}, IntraOp {threads}", () => ScoreOrt(session, tokenizer, texts, batch)));
        }
        // The machine's real best on 2 cores: two single-thread sessions side by side, each on half the texts.
        var second = new InferenceSession(modelBytes, new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });
        sessions.Add(second);
        var halves = new[] { texts[..(texts.Length / 2)], texts[(texts.Length / 2)..] };
        var pair = new[] { sessions[0], second };
        configurations.Add(("raw ORT 2 sessions x IntraOp 1 in parallel, batch 32", () =>
            Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, h => ScoreOrt(pair[h], tokenizer, halves[h], 32))));
        // AttentionOnnxModel (tokenization, batching and the per-token weights mapped back to the text included).
        var onnxModel = AttentionOnnxModel.Load(modelPath, new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });
        configurations.Add(("AttentionOnnxModel.Predict, all texts in one call (batches of 64 grouped by length), IntraOp 1", () => onnxModel.Predict(texts)));
        configurations.Add(("AttentionOnnxModel.Predict, one text per call, IntraOp 1", () => { foreach (var t in texts) onnxModel.Predict(t); }));
        // The pipeline's variant graph and the original, pre-tokenized, one unpadded [1, n] row per Run (as ApplyOnnxModel feeds it).
        var encoded = texts.Select(t => tokenizer.EncodeToIds(t, 512, out _).Select(i => (long)i).ToArray()).ToArray();
        var variant = new InferenceSession(Directory.GetFiles(cache, "*.onnx").Single(), new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });
        sessions.Add(variant);
        configurations.Add(("  raw ORT batch 1, IntraOp 1, pre-tokenized, original graph", () => RunRows(sessions[0], OnnxModelInfo.InputIdsName, encoded)));
        configurations.Add(("  raw ORT batch 1, IntraOp 1, pre-tokenized, pipeline's variant graph", () => RunRows(variant, variant.InputMetadata.Keys.Single(), encoded)));
        // ApplyOnnxModel alone on pre-tokenized ids: what the pipeline's own steps add on top of ML.NET's ONNX scoring.
        var idsData = ml.Data.LoadFromEnumerable(encoded.Select(ids => new IdsRow { Ids = ids }));
        var onnxOnly = ml.Transforms.ApplyOnnxModel(new Microsoft.ML.Transforms.Onnx.OnnxOptions
        {
            ModelFile = Directory.GetFiles(cache, "*.onnx").Single(), InputColumns = [variant.InputMetadata.Keys.Single()],
            OutputColumns = [AttentionPoolColumns.Score, AttentionPoolColumns.AttentionWeights], IntraOpNumThreads = 1, InterOpNumThreads = 1,
        }).Fit(idsData);
        configurations.Add(("  ML.NET ApplyOnnxModel alone, pre-tokenized, IntraOp 1", () =>
        {
            var scored = onnxOnly.Transform(idsData);
            using var cursor = scored.GetRowCursor([scored.Schema[AttentionPoolColumns.Score], scored.Schema[AttentionPoolColumns.AttentionWeights]]);
            var score = Getter<VBuffer<float>>(cursor, scored.Schema[AttentionPoolColumns.Score]);
            var weights = Getter<VBuffer<float>>(cursor, scored.Schema[AttentionPoolColumns.AttentionWeights]);
            while (cursor.MoveNext()) { score(); weights(); }
        }));
        configurations.Add(("  tokenization alone (EncodeToIds)", () => { foreach (var t in texts) tokenizer.EncodeToIds(t, 512, out _); }));
        // TorchSharp is timed on the first 2,000 texts only (it is the slowest by far, and rates are per text).
        var torchTexts = texts[..Math.Min(texts.Length, 2000)];
        foreach (int batch in new[] { 32, 256 })
            configurations.Add(($"TorchSharp eager batch {batch}, 2 threads", () => ScoreTorch(classifier, torchTexts, batch)));

        foreach (var (_, run) in configurations) run(); // warm-up
        var best = new double[configurations.Count];
        var cores = new double[configurations.Count];
        for (int round = 0; round < rounds; round++)
            for (int c = 0; c < configurations.Count; c++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                double rate = Rate(configurations[c].Name.StartsWith("TorchSharp", StringComparison.Ordinal) ? torchTexts.Length : texts.Length, configurations[c].Run);
                if (rate > best[c])
                {
                    best[c] = rate;
                    cores[c] = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / clock.Elapsed.TotalSeconds;
                }
            }
        // Sentences per CPU-second tells how much work a configuration does per sentence, whatever the machine's load.
        Console.WriteLine("configuration\tsentences_per_s\tcpu_s_per_wall_s\tsentences_per_cpu_s");
        for (int c = 0; c < configurations.Count; c++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{configurations[c].Name}\t{best[c]:0}\t{cores[c]:0.00}\t{best[c] / Math.Max(cores[c], 1e-9):0}"));
        int bestOrt = Enumerable.Range(0, configurations.Count).Where(c => configurations[c].Name.StartsWith("raw ORT", StringComparison.Ordinal)).MaxBy(c => best[c]);
        int bestOrtCpu = Enumerable.Range(0, configurations.Count).Where(c => configurations[c].Name.StartsWith("raw ORT", StringComparison.Ordinal)).MaxBy(c => best[c] / cores[c]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# per CPU-second: ML.NET / most efficient raw ORT ({configurations[bestOrtCpu].Name}) = {best[0] / cores[0] / (best[bestOrtCpu] / cores[bestOrtCpu]):0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# ML.NET batched / best raw ORT ({configurations[bestOrt].Name}) = {best[0] / best[bestOrt]:0.00}; with tokens {best[1] / best[bestOrt]:0.00}; " +
            $"LoadAttentionPool {best[4] / best[bestOrt]:0.00}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# ML.NET one row per call / best raw ORT = {best[2] / best[bestOrt]:0.00}; Model.Load {best[3] / best[bestOrt]:0.00}; batched / one row per call = {best[0] / best[2]:0.00}"));
        foreach (var session in sessions) session.Dispose();
        onnxModel.Dispose();
        foreach (var disposable in new object[] { model, defaultThreads, oneAtATime, loaded, loadedPool }.OfType<IDisposable>())
            disposable.Dispose();

        // ORT (IntraOp 2) vs TorchSharp eager (2 threads) at fixed lengths, random in-vocabulary ids, no padding.
        Console.WriteLine("length\tbatch\tort_sentences_per_s\ttorch_sentences_per_s\tort_over_torch");
        using (var sessionOptions = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 })
        using (var session = new InferenceSession(modelBytes, sessionOptions))
        {
            var random = new Random(5);
            var network = classifier.Network;
            network.eval();
            foreach (int length in new[] { 64, 512 })
                foreach (int batch in new[] { 1, 32 })
                {
                    var ids = new long[batch * length];
                    for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(2, tokenizer.VocabularySize);
                    var input = new DenseTensor<long>(ids, [batch, length]);
                    using var idsTensor = tensor(ids, [batch, length]);
                    void Ort() { using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIdsName, input)]); }
                    void Torch()
                    {
                        using var noGrad = no_grad();
                        using var scope = NewDisposeScope();
                        var (logits, weights) = network.forward(idsTensor);
                        logits.softmax(-1).data<float>().ToArray();
                        weights.data<float>().ToArray();
                    }
                    double ort = 0, torch = 0;
                    for (int round = 0; round < rounds; round++)
                    {
                        ort = Math.Max(ort, TimedRate(batch, minSeconds / rounds, Ort));
                        torch = Math.Max(torch, TimedRate(batch, minSeconds / rounds, Torch));
                    }
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{length}\t{batch}\t{ort:0}\t{torch:0}\t{ort / torch:0.00}"));
                }
        }
        Console.WriteLine($"# load average after: {LoadAverage()}");
        return 0;
    }

    private static void RunRows(InferenceSession session, string input, long[][] rows)
    {
        foreach (var ids in rows)
        {
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<long>(ids, [1, ids.Length]))]);
        }
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

    private static void ConsumeAll(IDataView view, DataViewSchema.Column[] columns)
    {
        using var cursor = view.GetRowCursor(columns);
        var getters = columns.Select(column => column.Type switch
        {
            VectorDataViewType { ItemType: TextDataViewType } => Getter<VBuffer<ReadOnlyMemory<char>>>(cursor, column),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(float) => Getter<VBuffer<float>>(cursor, column),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(long) => Getter<VBuffer<long>>(cursor, column),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(int) => Getter<VBuffer<int>>(cursor, column),
            TextDataViewType => Getter<ReadOnlyMemory<char>>(cursor, column),
            _ => Getter<uint>(cursor, column),
        }).ToArray();
        while (cursor.MoveNext())
            foreach (var get in getters) get();
    }

    private static Action Getter<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        var getter = cursor.GetGetter<T>(column);
        T value = default!;
        return () => getter(ref value);
    }

    // Tokenizes, sorts by length when batching (less padding) and pads each batch to its longest text.
    private static IEnumerable<(long[] Ids, int Count, int Length)> Batches(AttentionTokenizer tokenizer, string[] texts, int batch)
    {
        var all = new int[texts.Length][];
        for (int i = 0; i < texts.Length; i++) all[i] = tokenizer.EncodeToIds(texts[i], 512, out _);
        if (batch > 1) Array.Sort(all.Select(r => r.Length).ToArray(), all);
        for (int first = 0; first < all.Length; first += batch)
        {
            int n = Math.Min(batch, all.Length - first);
            int length = 1;
            for (int r = 0; r < n; r++) length = Math.Max(length, all[first + r].Length);
            var ids = new long[n * length];
            for (int r = 0; r < n; r++)
                for (int t = 0; t < all[first + r].Length; t++) ids[r * length + t] = all[first + r][t];
            yield return (ids, n, length);
        }
    }

    private static void ScoreOrt(InferenceSession session, AttentionTokenizer tokenizer, string[] texts, int batch)
    {
        foreach (var (ids, n, length) in Batches(tokenizer, texts, batch))
        {
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIdsName, new DenseTensor<long>(ids, [n, length]))]);
            outputs[0].AsTensor<float>();
        }
    }

    private static void ScoreTorch(AttentionClassifier classifier, string[] texts, int batch)
    {
        var network = classifier.Network;
        network.eval();
        using var noGrad = no_grad();
        foreach (var (ids, n, length) in Batches(classifier.Tokenizer, texts, batch))
        {
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
