namespace MLNetAttention.Cli;

/// <summary>The documented exit codes of mlnet-attention.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Invalid arguments or options (also what the parser returns).</summary>
    public const int Usage = 1;
    /// <summary>Input data that cannot be read: missing file, bad row, unknown label, unknown dataset.</summary>
    public const int Data = 2;
    /// <summary>A model directory or file that cannot be loaded or written.</summary>
    public const int Model = 3;
    /// <summary>Training was interrupted (Ctrl-C); a resumable checkpoint was written.</summary>
    public const int Interrupted = 4;
    /// <summary>An external tool (npm, a compiler) failed.</summary>
    public const int Environment = 5;
    /// <summary>A second Ctrl-C during training: stopped at once, nothing saved (the shell's code for SIGINT).</summary>
    public const int InterruptedTwice = 130;
    /// <summary>A bug: please report it with the message.</summary>
    public const int Internal = 70;

    public const string Help = """
        Exit codes: 0 success; 1 invalid arguments; 2 unreadable input data (the message names the file and line);
        3 a model that cannot be loaded or saved; 4 training interrupted (Ctrl-C or SIGTERM), checkpoint written;
        5 an external tool failed; 70 an internal error; 130 a second Ctrl-C (stopped at once, nothing saved).
        """;
}
