using System.CommandLine;
using MLNetAttention.Cli;

Console.OutputEncoding = System.Text.Encoding.UTF8;
var root = new RootCommand("mlnet-attention: attention-pooling text classifiers and matchers whose every prediction shows the per-token weights behind it.\n" + ExitCodes.Help)
{
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    PredictCommand.Create(),
    DataCommand.Create(),
    DemoCommand.Create(),
    FaithfulnessCommand.Create(),
    ExportCommand.Create(),
    VisualizeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
