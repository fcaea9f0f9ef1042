using System.CommandLine;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Cli;

internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model directory 'train' wrote (with --triton, also an .onnx file).", Required = true };
        var output = new Option<string>("--out") { Description = "The .onnx file to write (replaced atomically).", DefaultValueFactory = _ => "model.onnx" };
        var skipValidation = new Option<bool>("--no-validate") { Description = "Do not load the exported model in ONNX Runtime before writing it." };
        var triton = new Option<string?>("--triton") { Description = "Instead of one .onnx file, write a Triton Inference Server model repository entry into this folder: NAME/config.pbtxt (inputs and outputs read off the graph, dynamic axes -1, dynamic batching), NAME/1/model.onnx and NAME/labels.txt." };
        var tritonName = new Option<string>("--triton-name") { Description = "With --triton: the model's name (its folder).", DefaultValueFactory = _ => new TritonModelOptions().Name };
        var maxBatch = new Option<int>("--max-batch-size") { Description = "With --triton: the largest batch Triton forms (0 = no batching).", DefaultValueFactory = _ => new TritonModelOptions().MaxBatchSize };
        var queueDelay = new Option<int>("--max-queue-delay-us") { Description = "With --triton: how long the dynamic batcher waits for more requests, in microseconds.", DefaultValueFactory = _ => new TritonModelOptions().MaxQueueDelayMicroseconds };
        var instances = new Option<int>("--instances") { Description = "With --triton: model instances (per GPU with --gpu).", DefaultValueFactory = _ => 1 };
        var gpu = new Option<bool>("--gpu") { Description = "With --triton: run the instances on GPUs (KIND_GPU) instead of the CPU." };
        var command = new Command("export",
            "Export a model directory to one self-contained ONNX file (opset 17): input input_ids int64 [batch, seq] (0 = padding); " +
            "outputs probabilities [batch, classes] and attention_weights [batch, seq] ([batch, heads, seq] for multihead). " +
            "A matcher directory exports inputs input_ids_1 [batch, seq1] and input_ids_2 [batch, seq2], outputs probabilities [batch, 2], " +
            "attention_weights_1 and attention_weights_2 (a cross matcher adds alignment [batch, seq1, seq2]). " +
            "Labels, vocabulary and options are in the model's metadata (mlnet_attention.*).")
        {
            model, output, skipValidation, triton, tritonName, maxBatch, queueDelay, instances, gpu,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string path = parse.GetValue(output)!;
            string directory = parse.GetValue(model)!;
            var exportOptions = new OnnxExportOptions { Validate = !parse.GetValue(skipValidation) };
            if (parse.GetValue(triton) is { } repository)
            {
                var tritonOptions = new TritonModelOptions
                {
                    Name = parse.GetValue(tritonName)!, MaxBatchSize = parse.GetValue(maxBatch),
                    MaxQueueDelayMicroseconds = parse.GetValue(queueDelay), InstanceCount = parse.GetValue(instances), Gpu = parse.GetValue(gpu),
                };
                try { tritonOptions.Validate(); }
                catch (ArgumentException e) { throw new UsageException(e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)); }
                return WriteTriton(directory, repository, tritonOptions, exportOptions);
            }
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

    private static int WriteTriton(string model, string repository, TritonModelOptions options, OnnxExportOptions exportOptions)
    {
        string onnx = model;
        string? temporary = null;
        try
        {
            if (!ModelFiles.IsOnnxFile(model))
            {
                Directory.CreateDirectory(repository);
                temporary = onnx = Path.Combine(repository, $".{options.Name}.{Environment.ProcessId}.onnx");
                if (AttentionMatcher.IsMatcherDirectory(model))
                {
                    using var matcher = AttentionMatcher.Load(model);
                    OnnxExporter.Export(matcher, onnx, exportOptions);
                }
                else
                {
                    using var classifier = AttentionClassifier.Load(model);
                    OnnxExporter.Export(classifier, onnx, exportOptions);
                }
            }
            string folder = TritonModelRepository.Write(onnx, repository, options);
            Console.Error.WriteLine($"wrote Triton model '{options.Name}' in {folder}: {TritonModelRepository.ConfigFile}, 1/model.onnx" +
                (OnnxModelInfo.Read(onnx).Kind == OnnxModelInfo.ClassifierKindName ? $", {TritonModelRepository.LabelsFile}" : ""));
            Console.Error.WriteLine($"serve it with: tritonserver --model-repository {Path.GetFullPath(repository)}");
            return ExitCodes.Success;
        }
        finally
        {
            if (temporary is not null) File.Delete(temporary);
        }
    }
}
