using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Text;
using MLNetAttention.Data;
using MLNetAttention.Text;
using MLNetAttention.Training;

namespace MLNetAttention.Benchmarks;

/// <summary>
/// The baselines on the same splits: fastText (Debian package, supervised, wordNgrams 2, 10 epochs), the same fastText
/// model quantized, and ML.NET FeaturizeText + SdcaMaximumEntropy. All see the same tokens: characters for Chinese,
/// lowercased words and punctuation for English (our mixed tokenizer), so ML.NET's word n-grams become character n-grams
/// on Chinese.
/// </summary>
/// <remarks>
/// <para>
/// Each row has the size in bytes of the model a user would ship: fastText's model.bin, the quantized model.ftz, and
/// for ML.NET the fitted transformer chain saved with <c>mlContext.Model.Save</c> (a zip).
/// </para>
/// <para>
/// The quantized row is <c>fasttext quantize -input TRAIN -output MODEL -qnorm -retrain -cutoff 100000 -thread 2
/// -seed 1</c>, run on the trained model.bin: product quantization of the embeddings (sub-vectors of 2, fastText's
/// default <c>-dsub</c>), norms quantized separately (<c>-qnorm</c>), only the 100,000 words and bigram buckets with the
/// largest norms kept (<c>-cutoff</c>), then the kept embeddings fine-tuned on the training file (<c>-retrain</c>, 5 epochs
/// by fastText's default). The classifier matrix stays in float32 (no <c>-qout</c>): with a few classes it is tiny. Its
/// seconds count the quantization and its prediction only, after the full model's training.
/// </para>
/// </remarks>
internal static class BaselineBenchmark
{
    /// <summary>The TSV header, printed and written to <c>--results</c> files.</summary>
    public const string Header = "dataset\tbaseline\taccuracy\tmacro_f1\tseconds\tmodel_bytes";

    private const string QuantizeArguments = "-qnorm -retrain -cutoff 100000 -thread 2 -seed 1";

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, poetry-dynasty-clean, imdb, spam, or sample:NAME." };
        var fastTextPath = new Option<string>("--fasttext") { DefaultValueFactory = _ => "fasttext", Description = "The fasttext executable (Debian package fasttext)." };
        var results = new Option<string?>("--results") { Description = "Append the rows to this TSV file (with the header line when the file is new or empty)." };
        var command = new Command("baselines", "fastText (full and quantized) and ML.NET SDCA accuracy and model size on the same split.") { dataset, fastTextPath, results };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            string? resultsPath = parse.GetValue(results);
            if (resultsPath is not null && ResultsHeaderProblem(resultsPath) is { } problem)
            {
                Console.Error.WriteLine($"baselines: {problem}");
                return 1;
            }
            var (train, test) = DatasetLoader.Load(name);
            var tokenizer = AttentionTokenizer.Train(train.Select(t => t.Text), new AttentionTokenizerOptions { Mode = TokenizationMode.Mixed, MinFrequency = 1 });
            var labels = train.Select(t => t.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
            Console.WriteLine(Header);
            var (full, quantized) = FastText(parse.GetValue(fastTextPath)!, tokenizer, train, test);
            Report(name, "fasttext", labels, test, full, resultsPath);
            Report(name, "fasttext-quantized", labels, test, quantized, resultsPath);
            Report(name, "mlnet-sdca", labels, test, MlNetSdca(tokenizer, train, test), resultsPath);
            return 0;
        });
        return command;
    }

    /// <summary>What one baseline predicted on the test split, the size of its shipped model and the seconds it took.</summary>
    private sealed record BaselineRun(string[] Predicted, long ModelBytes, double Seconds);

    private static void Report(string dataset, string baseline, string[] labels, List<TextExample> test, BaselineRun run, string? resultsPath)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        var metrics = ClassificationMetrics.Compute(test.Select(t => index[t.Label]).ToArray(), run.Predicted.Select(p => index.GetValueOrDefault(p, 0)).ToArray(), labels);
        string row = string.Create(CultureInfo.InvariantCulture,
            $"{dataset}\t{baseline}\t{metrics.Accuracy:0.0000}\t{metrics.MacroF1:0.0000}\t{run.Seconds:0}\t{run.ModelBytes}");
        Console.WriteLine(row);
        if (resultsPath is null) return;
        bool isNew = !File.Exists(resultsPath) || new FileInfo(resultsPath).Length == 0;
        File.AppendAllText(resultsPath, (isNew ? Header + "\n" : "") + row + "\n");
    }

    /// <summary>
    /// Why rows cannot be appended to <paramref name="path"/>, or null when they can: a file that already holds rows
    /// under another header is refused before any training, since six columns under an older header would leave a file
    /// no reader can trust.
    /// </summary>
    private static string? ResultsHeaderProblem(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0) return null;
        string? first = File.ReadLines(path).FirstOrDefault();
        return first == Header ? null
            : $"'{path}' starts with '{first}', not the header '{Header.Replace("\t", " ", StringComparison.Ordinal)}' (tab-separated): rewrite its header or name another file.";
    }

    private static string Tokens(AttentionTokenizer tokenizer, string text) =>
        string.Join(' ', tokenizer.EncodeToTokens(text, out _).Select(t => text[t.Offset].ToLowerInvariant()));

    private static (BaselineRun Full, BaselineRun Quantized) FastText(string executable, AttentionTokenizer tokenizer, List<TextExample> train, List<TextExample> test)
    {
        string directory = Directory.CreateTempSubdirectory("mlna-fasttext").FullName;
        try
        {
            string trainFile = Path.Combine(directory, "train.txt"), testFile = Path.Combine(directory, "test.txt"), model = Path.Combine(directory, "model");
            var clock = Stopwatch.StartNew();
            File.WriteAllLines(trainFile, train.Select(t => $"__label__{t.Label} {Tokens(tokenizer, t.Text)}"));
            File.WriteAllLines(testFile, test.Select(t => Tokens(tokenizer, t.Text)));
            Run(executable, $"supervised -input {trainFile} -output {model} -wordNgrams 2 -epoch 10 -thread 2 -seed 1");
            var full = new BaselineRun(Predict(executable, model + ".bin", testFile), new FileInfo(model + ".bin").Length, clock.Elapsed.TotalSeconds);

            // quantize reads model.bin and writes model.ftz beside it.
            clock.Restart();
            Run(executable, $"quantize -input {trainFile} -output {model} {QuantizeArguments}");
            var quantized = new BaselineRun(Predict(executable, model + ".ftz", testFile), new FileInfo(model + ".ftz").Length, clock.Elapsed.TotalSeconds);
            return (full, quantized);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string[] Predict(string executable, string modelFile, string testFile) =>
        Run(executable, $"predict {modelFile} {testFile}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()["__label__".Length..]).ToArray();

    private static string Run(string executable, string arguments)
    {
        var start = new ProcessStartInfo(executable, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{executable} {arguments} failed: {stderr.Result}");
        return stdout;
    }

    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private sealed class Prediction
    {
        [ColumnName("PredictedLabelText")] public string Label { get; set; } = "";
    }

    private static BaselineRun MlNetSdca(AttentionTokenizer tokenizer, List<TextExample> train, List<TextExample> test)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed: 1);
        IEnumerable<Row> Rows(List<TextExample> rows) => rows.Select(r => new Row { Text = Tokens(tokenizer, r.Text), Label = r.Label });
        var featurizer = new TextFeaturizingEstimator.Options
        {
            WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true },
            CharFeatureExtractor = null,
        };
        var pipeline = ml.Transforms.Conversion.MapValueToKey("LabelKey", nameof(Row.Label))
            .Append(ml.Transforms.Text.FeaturizeText("Features", featurizer, nameof(Row.Text)))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Features"))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelText", "PredictedLabel"));
        var trainData = ml.Data.LoadFromEnumerable(Rows(train));
        var model = pipeline.Fit(trainData);
        var scored = model.Transform(ml.Data.LoadFromEnumerable(Rows(test)));
        var predicted = ml.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => p.Label).ToArray();
        double seconds = clock.Elapsed.TotalSeconds;

        // The size of what a user ships: the fitted chain as mlContext.Model.Save writes it.
        string zip = Path.Combine(Path.GetTempPath(), $"mlna-sdca-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, trainData.Schema, zip);
            return new BaselineRun(predicted, new FileInfo(zip).Length, seconds);
        }
        finally
        {
            File.Delete(zip);
        }
    }
}
