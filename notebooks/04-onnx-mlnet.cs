#:project ../src/MLNetAttention/MLNetAttention.csproj
#:property PublishAot=false

// 04 · ONNX: export a trained classifier to one self-contained .onnx file whose second output is the attention
// weights, load it back with ONNX Runtime alone (no TorchSharp at scoring time), score the test split and
// evaluate. Run from the repository root:
//     dotnet run notebooks/04-onnx-mlnet.cs
// It writes notebooks/output/04-onnx-mlnet/model.onnx and report.html. 04-onnx-mlnet.ipynb is the same as a notebook.
// The ML.NET steps (mlContext.Transforms.AttentionPool over an IDataView) come with the ML.NET integration; until
// then this scores through AttentionOnnxModel, the ONNX Runtime wrapper the integration is built on.

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
    $"pooling {info.ModelOptions.Pooling}, encoder {info.ModelOptions.Encoder}");

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

// 5. The ten test poems the model was surest were wrong, coloured by the weights the ONNX model returned.
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
