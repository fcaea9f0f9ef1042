// Scores an exported classifier with only the MLNetAttention package: an ML.NET pipeline (MapValueToKey ->
// AttentionPool) over the bundled poetry test sample, evaluated by ML.NET. Usage: scoring <model.onnx>.
// Prints "accuracy <value>" for the calling script to compare with the TorchSharp figure.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetAttention.Data;
using MLNetAttention.Onnx;

string modelPath = args[0];
var ml = new MLContext(seed: 1);
var info = OnnxModelInfo.Read(modelPath);
var test = ml.Data.LoadFromEnumerable(BundledSamples.ReadTexts("poetry-dynasty.test").Select(e => new Row { Text = e.Text, Label = e.Label }));
var labelKeys = ml.Data.LoadFromEnumerable(info.Labels.Select(l => new LabelRow { Label = l }));
var model = ml.Transforms.Conversion.MapValueToKey("Label", keyData: labelKeys)
    .Append(ml.Transforms.AttentionPool(modelPath, inputColumnName: "Text"))
    .Fit(test);
var scored = model.Transform(test);
var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label");
var weights = scored.GetColumn<float[]>("AttentionWeights").ToList();
float worstSum = weights.Max(w => Math.Abs(w.Sum() - 1));
if (worstSum > 1e-4f)
    throw new InvalidOperationException($"attention weights sum to 1 ± {worstSum}");
Console.WriteLine($"scoring app: {weights.Count} texts scored through ML.NET, weights sum to 1 (worst ± {worstSum:0.0e0})");
Console.WriteLine("accuracy " + metrics.MicroAccuracy.ToString("R", CultureInfo.InvariantCulture));

sealed class Row
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

sealed class LabelRow
{
    public string Label { get; set; } = "";
}
