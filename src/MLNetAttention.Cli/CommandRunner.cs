using MLNetAttention.Data;
using MLNetAttention.Training;

namespace MLNetAttention.Cli;

/// <summary>Runs a command body and turns the library's named errors into a message and an exit code.</summary>
internal static class CommandRunner
{
    /// <summary>
    /// Runs <paramref name="body"/> on the thread pool. A long action must be truly asynchronous: System.CommandLine
    /// installs its Ctrl-C/SIGTERM handling around the returned task, so a body that ran synchronously inside SetAction
    /// would finish (or be killed) before any handler existed.
    /// </summary>
    public static Task<int> RunAsync(Func<int> body) => Task.Run(() => Run(body));

    /// <summary>As <see cref="RunAsync(Func{int})"/> for a body that awaits (a server, for example).</summary>
    public static Task<int> RunAsync(Func<Task<int>> body) => Task.Run(async () =>
    {
        try
        {
            return await body();
        }
        catch (Exception e)
        {
            return Report(e);
        }
    });

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Prints the message of <paramref name="exception"/> (with the command line's advice) and returns its exit code.</summary>
    private static int Report(Exception exception) => exception switch
    {
        UsageException e => Fail(e.Message, ExitCodes.Usage),
        // The library's advice names its option; on the command line the same switch is --lenient.
        DataFormatException e => Fail(e.Message.Replace("set ReaderOptions.Lenient = true", "pass --lenient", StringComparison.Ordinal), ExitCodes.Data),
        FileNotFoundException e => Fail(e.Message + OnnxHint(e.FileName), ExitCodes.Data),
        DirectoryNotFoundException e => Fail(e.Message, ExitCodes.Data),
        ModelLoadException e => Fail(e.Message + ModelHint(e), ExitCodes.Model),
        InvalidDataException e => Fail(e.Message, ExitCodes.Data),
        ArgumentException e => Fail(e.Message, ExitCodes.Data),
        UnauthorizedAccessException e => Fail(e.Message, ExitCodes.Model),
        IOException e => Fail(e.Message, ExitCodes.Model),
        ExternalToolException e => Fail(e.Message, ExitCodes.Environment),
        MLNetAttention.Visualization.FontNotFoundException e => Fail(e.Message, ExitCodes.Environment),
        _ => Fail($"internal error: {exception}\nPlease report this with the command you ran.", ExitCodes.Internal),
    };

    // The library's advice names its API; on the command line the same fix is a command.
    private static string ModelHint(ModelLoadException e) => e.Problem switch
    {
        ModelLoadProblem.Missing or ModelLoadProblem.NotAModel when !IsOnnx(e.Path) =>
            " On the command line: `mlnet-attention train --data <file> --out <dir>` (add --task match for a matcher) writes a model directory.",
        ModelLoadProblem.Damaged or ModelLoadProblem.NotAModel when IsOnnx(e.Path) => OnnxHint(e.Path),
        _ => "",
    };

    private static string OnnxHint(string? path) => IsOnnx(path)
        ? $" On the command line: `mlnet-attention export --model <dir> --out {Path.GetFileName(path)}`."
        : "";

    private static bool IsOnnx(string? path) => path?.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) == true;

    public static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}

/// <summary>Options that cannot go together, which the parser itself does not catch (exit code 1).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>An external program the command needed failed or is missing.</summary>
internal sealed class ExternalToolException(string message) : Exception(message);
