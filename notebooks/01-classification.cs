#:project ../src/MLNetAttention.TorchSharp/MLNetAttention.TorchSharp.csproj
#:package Microsoft.ML.OnnxRuntime.Gpu
#:property PublishAot=false

// 01 · Classification: train an attention-pooling classifier on the bundled Tang/Song poetry sample and see
// which characters each prediction rested on. Run from the repository root:
//     dotnet run notebooks/01-classification.cs
// It prints coloured predictions and writes notebooks/output/01-classification/report.html (open it in a
// browser) and weights.png. 01-classification.ipynb is the same walk-through as a notebook.

using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

string output = OutputDirectory("01-classification");

// 1. Data: 3,000 training and 800 test poems, labelled "tang" or "song", embedded in the library.
var train = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
var test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();
Console.WriteLine($"{train.Count} training poems ({string.Join(", ", train.CountBy(e => e.Label).Select(p => $"{p.Value} {p.Key}"))}), {test.Count} test poems");
Console.WriteLine($"e.g. [{train[0].Label}] {train[0].Text}");

// 2. Train: a character vocabulary, a Conv1D encoder and one attention-pooling layer. Small widths and
//    three epochs keep this to a few seconds on one CPU thread; the CLI's defaults are 128 wide and 10 epochs.
var options = new AttentionClassifierOptions
{
    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
    Model = new TextClassifierOptions
    {
        EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32,
        Encoder = EncoderKind.Conv, Pooling = PoolingKind.Attention,
    },
    Training = new TrainingOptions { Epochs = 3, Threads = 1, Seed = 42 },
};
using var classifier = AttentionClassifier.Train(train, validation: null, options);
foreach (var epoch in classifier.Summary!.History)
    Console.WriteLine($"epoch {epoch.Epoch}: train loss {epoch.TrainLoss:0.000}, validation accuracy {epoch.Validation?.Accuracy:0.000} ({epoch.Seconds:0.0} s)");

// 3. Evaluate on the test split.
var metrics = classifier.Evaluate(test);
Console.WriteLine($"test accuracy {metrics.Accuracy:0.000}, macro F1 {metrics.MacroF1:0.000}");
foreach (var c in metrics.PerClass)
    Console.WriteLine($"  {c.Label,-5} precision {c.Precision:0.000} recall {c.Recall:0.000} F1 {c.F1:0.000} ({c.Support} poems)");

// 4. Predict: every prediction carries one weight per token (summing to 1), at its offset in the text.
var prediction = classifier.Predict("床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。");
Console.WriteLine($"{prediction.Label} ({prediction.Probability:0.000})");
foreach (var token in prediction.Tokens.OrderByDescending(t => t.Weight).Take(5))
    Console.WriteLine($"  {token.Token} at {token.Offset}: {token.Weight:0.000}");

// 5. Show the weights: coloured text in the terminal, an HTML report and a PNG figure.
var examples = test.Take(12).ToList();
var predictions = classifier.Predict(examples.Select(e => e.Text));
bool color = AnsiRenderer.ShouldColor(Console.IsOutputRedirected);
foreach (var (example, p) in examples.Zip(predictions))
{
    string weighted = AnsiRenderer.Render(p.Text, p.Tokens.Select(t => (t.Offset, t.Length)).ToList(), p.Tokens.Select(t => t.Weight).ToList(), color);
    Console.WriteLine($"[{example.Label}] {weighted} => {p.Label} ({p.Probability:0.000})");
}
var weightedTexts = examples.Zip(predictions, (e, p) => WeightedText.FromPrediction(p, e.Label)).ToList();
HtmlReport.Write(Path.Combine(output, "report.html"), weightedTexts,
    new HtmlReportOptions { Title = "Tang or Song?", Description = "Test poems, coloured by attention weight." });
PngFigure.Write(Path.Combine(output, "weights.png"), weightedTexts.Take(4).ToList(), new FigureOptions { Columns = 2 });
Console.WriteLine($"wrote {Path.Combine(output, "report.html")} and weights.png");

// 6. Save the model directory (model.json, vocab.json, weights.bin) and load it back.
string modelDirectory = Path.Combine(output, "model");
classifier.Save(modelDirectory);
using var loaded = AttentionClassifier.Load(modelDirectory);
Console.WriteLine($"reloaded: {loaded.Predict(prediction.Text).Label}, same probability: {loaded.Predict(prediction.Text).Probability == prediction.Probability}");

// Outputs go under notebooks/output/ (git-ignored), next to this file whatever the working directory.
static string OutputDirectory(string name)
{
    string root = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
    string directory = Path.Combine(root, "output", name);
    Directory.CreateDirectory(directory);
    return directory;
}
