using System.CommandLine;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

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
            "A matcher directory exports inputs input_ids_1 [batch, seq1] and input_ids_2 [batch, seq2], outputs probabilities [batch, 2], " +
            "attention_weights_1 and attention_weights_2 (a cross matcher adds alignment [batch, seq1, seq2]). " +
            "Labels, vocabulary and options are in the model's metadata (mlnet_attention.*).")
        {
            model, output, skipValidation,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string path = parse.GetValue(output)!;
            string directory = parse.GetValue(model)!;
            var exportOptions = new OnnxExportOptions { Validate = !parse.GetValue(skipValidation) };
            if (AttentionMatcher.IsMatcherDirectory(directory))
            {
                using var matcher = AttentionMatcher.Load(directory);
                OnnxExporter.Export(matcher, path, exportOptions);
                var options = OnnxModelInfo.Read(path).MatcherOptions!;
                Console.Error.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1024.0:0.0} KiB): {options.Kind.ToString().ToLowerInvariant()} matcher, " +
                    $"{options.Encoder} encoder, inputs input_ids_1/input_ids_2, max length {options.MaxLength}");
                return ExitCodes.Success;
            }
            using var classifier = AttentionClassifier.Load(directory);
            OnnxExporter.Export(classifier, path, exportOptions);
            var info = OnnxModelInfo.Read(path);
            Console.Error.WriteLine($"wrote {path} ({new FileInfo(path).Length / 1024.0:0.0} KiB): {info.ModelOptions!.Encoder} encoder, " +
                $"{info.ModelOptions.Pooling} pooling, {info.Labels.Count} labels, {info.Heads} weight row(s) per text, max length {info.MaxLength}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
