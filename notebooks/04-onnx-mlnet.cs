#:project ../src/MLNetAttention.TorchSharp/MLNetAttention.TorchSharp.csproj
#:package Microsoft.ML.OnnxRuntime.Gpu
#:property PublishAot=false

// 04 · ONNX: export a trained classifier to one self-contained .onnx file whose second output is the attention
// weights, load it back with ONNX Runtime alone (no TorchSharp at scoring time), score the test split and
// evaluate. Run from the repository root:
//     dotnet run notebooks/04-onnx-mlnet.cs
// It writes notebooks/output/04-onnx-mlnet/model.onnx and report.html. 04-onnx-mlnet.ipynb is the same as a notebook.
// Step 5 puts the same file into an ML.NET pipeline (mlContext.Transforms.AttentionPool over an IDataView),
// evaluates it with ML.NET's own evaluator and saves and reloads the pipeline.

using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

string output = OutputDirectory("04-onnx-mlnet");
string modelPath = Path.Combine(output, "model.onnx");

var train = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
var test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();

// 1. Train a small classifier and export it (opset 17; dynamic batch and sequence axes; validated against
//    TorchSharp on a padded batch before the file is written).
var options = new AttentionClassifierOptions
{
    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
    Model = new TextClassifierOptions { EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32 },
    Training = new TrainingOptions { Epochs = 2, Threads = 1, Seed = 42 },
};
using (var classifier = AttentionClassifier.Train(train, validation: null, options))
{
    OnnxExporter.Export(classifier, modelPath, new OnnxExportOptions { Description = "Tang or Song, notebook 04" });
    Console.WriteLine($"TorchSharp test accuracy {classifier.Evaluate(test).Accuracy:0.000}; exported {new FileInfo(modelPath).Length / 1024} KiB to {modelPath}");
}

// 2. The file carries everything a consumer needs in its metadata: labels, vocabulary, tokenizer mode, maximum length.
var info = OnnxModelInfo.Read(modelPath);
Console.WriteLine($"labels [{string.Join(", ", info.Labels)}], {info.Heads} head(s), max length {info.MaxLength}, opset {info.Opset}, " +
    $"pooling {info.ModelOptions!.Pooling}, encoder {info.ModelOptions.Encoder}");

// 3. Plain ONNX Runtime: input_ids [batch, seq] (0 = padding) in, probabilities and attention_weights out.
var tokenizer = info.CreateTokenizer();
using (var session = new InferenceSession(modelPath))
{
    foreach (var input in session.InputMetadata) Console.WriteLine($"  input  {input.Key} {input.Value.ElementType.Name} [{string.Join(", ", input.Value.Dimensions)}]");
    foreach (var o in session.OutputMetadata) Console.WriteLine($"  output {o.Key} {o.Value.ElementType.Name} [{string.Join(", ", o.Value.Dimensions)}]");
    int[] ids = tokenizer.EncodeToIds(test[0].Text, info.MaxLength, out _);
    var tensor = new DenseTensor<long>(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
    using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelInfo.InputIdsName, tensor)]);
    var probabilities = results.First(r => r.Name == OnnxModelInfo.ProbabilitiesName).AsTensor<float>().ToArray();
    var weights = results.First(r => r.Name == OnnxModelInfo.AttentionWeightsName).AsTensor<float>().ToArray();
    Console.WriteLine($"  {test[0].Text[..12]}…: probabilities [{string.Join(", ", probabilities.Select(p => p.ToString("0.000")))}], " +
        $"{weights.Length} weights summing to {weights.Sum():0.000}");
}

// 4. Score the whole test split through AttentionOnnxModel (it tokenizes from the metadata, batches and maps
//    each weight back to its characters) and evaluate.
using var model = AttentionOnnxModel.Load(modelPath);
var scored = model.Predict(test.Select(e => e.Text));
var labels = model.Info.Labels;
var metrics = ClassificationMetrics.Compute(
    test.Select(e => labels.ToList().IndexOf(e.Label)).ToList(), scored.Select(p => p.LabelIndex).ToList(), labels);
Console.WriteLine($"ONNX Runtime test accuracy {metrics.Accuracy:0.000}, macro F1 {metrics.MacroF1:0.000} on {metrics.Count} poems");
Console.WriteLine($"confusion (rows = truth {string.Join("/", labels)}): {string.Join("  ", metrics.Confusion.Select(r => string.Join(" ", r)))}");

// 5. The same file in an ML.NET pipeline: LoadFromEnumerable -> MapValueToKey -> AttentionPool -> Evaluate.
var ml = new MLContext(seed: 42);
var testView = ml.Data.LoadFromEnumerable(test.Select(e => new PoemRow { Text = e.Text, Label = e.Label }));
// The label column becomes a key over the model's own labels, so Evaluate compares like with like.
var labelKeys = ml.Data.LoadFromEnumerable(info.Labels.Select(l => new LabelRow { Label = l }));
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Label", keyData: labelKeys)
    .Append(ml.Transforms.AttentionPool(modelPath, inputColumnName: "Text"));
var fitted = pipeline.Fit(testView);
var scoredView = fitted.Transform(testView);   // adds Tokens, TokenOffsets, AttentionWeights, Score, PredictedLabel
var mlMetrics = ml.MulticlassClassification.Evaluate(scoredView, labelColumnName: "Label");
Console.WriteLine($"ML.NET pipeline: accuracy {mlMetrics.MicroAccuracy:0.000}, log-loss {mlMetrics.LogLoss:0.000} on {test.Count} poems");

// The whole pipeline, ONNX bytes included, survives Save and Load into a fresh MLContext.
string zipPath = Path.Combine(output, "model.zip");
ml.Model.Save(fitted, testView.Schema, zipPath);
var fresh = new MLContext(seed: 42);
fresh.ComponentCatalog.RegisterAttentionPool();
var reloaded = fresh.Model.LoadAttentionPool(zipPath, out _);
var firstWeights = scoredView.GetColumn<float[]>("AttentionWeights").First();
var reloadedWeights = reloaded.Transform(testView).GetColumn<float[]>("AttentionWeights").First();
Console.WriteLine($"saved to {zipPath}; reloaded weights equal: {firstWeights.SequenceEqual(reloadedWeights)}");

// 6. The ten test poems the model was surest were wrong, coloured by the weights the ONNX model returned.
var surestMistakes = test.Zip(scored).Where(p => p.First.Label != p.Second.Label)
    .OrderByDescending(p => p.Second.Probability).Take(10)
    .Select(p => WeightedText.FromPrediction(p.Second, p.First.Label)).ToList();
HtmlReport.Write(Path.Combine(output, "report.html"), surestMistakes,
    new HtmlReportOptions { Title = "Surest mistakes (ONNX Runtime)", ShowPlot = false });
Console.WriteLine($"wrote {Path.Combine(output, "report.html")}");

static string OutputDirectory(string name)
{
    string root = AppContext.GetData("EntryPointFileDirectoryPath") as string ?? Directory.GetCurrentDirectory();
    string directory = Path.Combine(root, "output", name);
    Directory.CreateDirectory(directory);
    return directory;
}

public sealed class PoemRow
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

// MapValueToKey's keyData must hold exactly one column.
public sealed class LabelRow
{
    public string Label { get; set; } = "";
}
