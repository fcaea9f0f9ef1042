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
    ExplainCommand.Create(),
    ServeCommand.Create(),
};
// The first Ctrl-C (or SIGTERM) cancels the running command, which finishes its step, writes its checkpoint and exits 4;
// System.CommandLine waits this long for that. A second Ctrl-C ends the process at once.
var configuration = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2) };
int interrupts = 0;
Console.CancelKeyPress += (_, _) =>
{
    if (Interlocked.Increment(ref interrupts) > 1)
    {
        Console.Error.WriteLine("error: interrupted twice; stopped without saving.");
        Environment.Exit(ExitCodes.InterruptedTwice);
    }
};
return await root.Parse(args).InvokeAsync(configuration);
