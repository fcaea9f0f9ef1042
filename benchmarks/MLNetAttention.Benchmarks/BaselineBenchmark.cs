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
/// The baselines on the same splits: fastText (Debian package, supervised, wordNgrams 2, 10 epochs) and ML.NET
/// FeaturizeText + SdcaMaximumEntropy. Both see the same tokens: characters for Chinese, lowercased words and
/// punctuation for English (our mixed tokenizer), so ML.NET's word n-grams become character n-grams on Chinese.
/// </summary>
internal static class BaselineBenchmark
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Required = true, Description = "poetry-dynasty, poetry-dynasty-clean, imdb, spam, or sample:NAME." };
        var fastTextPath = new Option<string>("--fasttext") { DefaultValueFactory = _ => "fasttext", Description = "The fasttext executable (Debian package fasttext)." };
        var command = new Command("baselines", "fastText and ML.NET SDCA accuracy on the same split.") { dataset, fastTextPath };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(dataset)!;
            var (train, test) = DatasetLoader.Load(name);
            var tokenizer = AttentionTokenizer.Train(train.Select(t => t.Text), new AttentionTokenizerOptions { Mode = TokenizationMode.Mixed, MinFrequency = 1 });
            var labels = train.Select(t => t.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
            Console.WriteLine("dataset\tbaseline\taccuracy\tmacro_f1\tseconds");
            Report(name, "fasttext", labels, test, () => FastText(parse.GetValue(fastTextPath)!, tokenizer, train, test));
            Report(name, "mlnet-sdca", labels, test, () => MlNetSdca(tokenizer, train, test));
            return 0;
        });
        return command;
    }

    private static void Report(string dataset, string baseline, string[] labels, List<TextExample> test, Func<string[]> predict)
    {
        var clock = Stopwatch.StartNew();
        var predicted = predict();
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i);
        var metrics = ClassificationMetrics.Compute(test.Select(t => index[t.Label]).ToArray(), predicted.Select(p => index.GetValueOrDefault(p, 0)).ToArray(), labels);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{dataset}\t{baseline}\t{metrics.Accuracy:0.0000}\t{metrics.MacroF1:0.0000}\t{clock.Elapsed.TotalSeconds:0}"));
    }

    private static string Tokens(AttentionTokenizer tokenizer, string text) =>
        string.Join(' ', tokenizer.EncodeToTokens(text, out _).Select(t => text[t.Offset].ToLowerInvariant()));

    private static string[] FastText(string executable, AttentionTokenizer tokenizer, List<TextExample> train, List<TextExample> test)
    {
        string directory = Directory.CreateTempSubdirectory("mlna-fasttext").FullName;
        try
        {
            string trainFile = Path.Combine(directory, "train.txt"), testFile = Path.Combine(directory, "test.txt"), model = Path.Combine(directory, "model");
            File.WriteAllLines(trainFile, train.Select(t => $"__label__{t.Label} {Tokens(tokenizer, t.Text)}"));
            File.WriteAllLines(testFile, test.Select(t => Tokens(tokenizer, t.Text)));
            Run(executable, $"supervised -input {trainFile} -output {model} -wordNgrams 2 -epoch 10 -thread 2 -seed 1");
            string output = Run(executable, $"predict {model}.bin {testFile}");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()["__label__".Length..]).ToArray();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

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

    private static string[] MlNetSdca(AttentionTokenizer tokenizer, List<TextExample> train, List<TextExample> test)
    {
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
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(Rows(train)));
        var scored = model.Transform(ml.Data.LoadFromEnumerable(Rows(test)));
        return ml.Data.CreateEnumerable<Prediction>(scored, reuseRowObject: false).Select(p => p.Label).ToArray();
    }
}
