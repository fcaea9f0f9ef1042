namespace MLNetAttention.Data;

/// <summary>
/// A data file has a problem at a known place. The message has the form
/// "&lt;file&gt;:&lt;line&gt;: &lt;what is wrong&gt;. &lt;how to fix&gt;".
/// </summary>
public sealed class DataFormatException : FormatException
{
    /// <summary>Creates the exception from its parts; the message is composed from them.</summary>
    /// <param name="filePath">The file (or resource name) that holds the problem.</param>
    /// <param name="lineNumber">The 1-based line number, or 0 when the problem is not tied to a line.</param>
    /// <param name="reason">The category of the problem.</param>
    /// <param name="problem">What is wrong, without a trailing period.</param>
    /// <param name="fix">How to fix it.</param>
    public DataFormatException(string filePath, int lineNumber, SkipReason reason, string problem, string fix)
        : base(Compose(filePath, lineNumber, problem, fix))
    {
        FilePath = filePath;
        LineNumber = lineNumber;
        Reason = reason;
        Problem = problem;
    }

    /// <summary>The file (or resource name) that holds the problem.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line number (the first line of a multi-line CSV record), or 0 when not line-based.</summary>
    public int LineNumber { get; }

    /// <summary>The category of the problem, the same one a lenient read counts in <see cref="ReadReport"/>.</summary>
    public SkipReason Reason { get; }

    /// <summary>What is wrong, without location or advice.</summary>
    public string Problem { get; }

    private static string Compose(string filePath, int lineNumber, string problem, string fix)
    {
        string where = lineNumber > 0 ? $"{filePath}:{lineNumber}" : filePath;
        return $"{where}: {problem}. {fix}";
    }
}
