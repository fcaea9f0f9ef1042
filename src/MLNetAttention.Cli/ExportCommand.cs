using System.CommandLine;
using MLNetAttention.Onnx;
using MLNetAttention.Training;

namespace MLNetAttention.Cli;

internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model directory 'train' wrote.", Required = true };
        var output = new Option<string>("--out") { Description = "The .onnx file to write (replaced atomically).", DefaultValueFactory = _ => "model.onnx" };
        var skipValidation = new Option<bool>("--no-validate") { Description = "Do not load the exported model in ONNX Runtime before writing it." };
        var command = new Command("export",
            "Export a model directory to one self-contained ONNX file (opset 17): input input_ids int64 [batch, seq] (0 = padding); " +
            "outputs probabilities [batch, classes] and attention_weights [batch, seq] ([batch, heads, seq] for multihead). " +
            "Labels, vocabulary and options are in the model's metadata (mlnet_attention.*).")
        {
            model, output, skipValidation,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string path = parse.GetValue(output)!;
            using var classifier = AttentionClassifier.Load(parse.GetValue(model)!);
            OnnxExporter.Export(classifier, path, new OnnxExportOptions { Validate = !parse.GetValue(skipValidation) });
            var info = OnnxModelInfo.Read(path);
            Console.Error.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1024.0:0.0} KiB): {info.ModelOptions.Encoder} encoder, " +
                $"{info.ModelOptions.Pooling} pooling, {info.Labels.Count} labels, {info.Heads} weight row(s) per text, max length {info.MaxLength}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
