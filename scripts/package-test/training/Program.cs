// Trains a small classifier for 50 steps on the bundled poetry sample with MLNetAttention.TorchSharp, then saves the
// model directory and exports it to ONNX. Usage: training <output folder>. Writes model/, model.onnx, accuracy.txt.
using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;

string output = args[0];
Directory.CreateDirectory(output);
var train = BundledSamples.ReadTexts("poetry-dynasty.train").Take(1600).ToList();
var test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();
var options = new AttentionClassifierOptions
{
    Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
    Model = new TextClassifierOptions { EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32 },
    // 1,600 texts, nothing held out, batch 32, one epoch: 50 optimizer steps.
    Training = new TrainingOptions { Epochs = 1, BatchSize = 32, LearningRate = 1e-2, ValidationFraction = 0, Threads = 1, Seed = 1 },
};
var steps = new LastStep();
using var classifier = AttentionClassifier.Train(train, validation: null, options, steps);
classifier.Save(Path.Combine(output, "model"));
OnnxExporter.Export(classifier, Path.Combine(output, "model.onnx"));
double accuracy = classifier.Evaluate(test).Accuracy;
File.WriteAllText(Path.Combine(output, "accuracy.txt"), accuracy.ToString("R", CultureInfo.InvariantCulture));
Console.WriteLine($"training app: {steps.Step} steps, TorchSharp test accuracy {accuracy:0.0000}, exported {new FileInfo(Path.Combine(output, "model.onnx")).Length / 1024} KiB");

// Progress<T> would report on the thread pool after the fact; this records each step as it happens.
sealed class LastStep : IProgress<TrainingProgress>
{
    public int Step { get; private set; }
    public void Report(TrainingProgress value) => Step = Math.Max(Step, value.Step);
}
