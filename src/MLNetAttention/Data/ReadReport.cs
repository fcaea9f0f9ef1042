using System.Globalization;
using System.Text;

namespace MLNetAttention.Data;

/// <summary>Why a row was rejected (thrown in strict mode, counted in lenient mode).</summary>
public enum SkipReason
{
    /// <summary>The text (or one side of a pair) is empty or white space.</summary>
    EmptyText,
    /// <summary>The label is missing, empty or not one of the allowed values.</summary>
    InvalidLabel,
    /// <summary>The line is not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>The line is longer than <see cref="ReaderOptions.MaxLineLength"/>.</summary>
    LineTooLong,
    /// <summary>The row has a different number of columns than expected.</summary>
    WrongColumnCount,
    /// <summary>A JSON line lacks a named field.</summary>
    MissingColumn,
    /// <summary>The line is not a JSON object, or a CSV quote is not closed.</summary>
    Malformed,
    /// <summary>
    /// A text has more tokens than a model's maximum length. The readers do not know the model, so they never report
    /// this; callers that check lengths against a model (the CLI's evaluate) do.
    /// </summary>
    TooManyTokens,
}

/// <summary>One rejected row, as recorded by <see cref="ReadReport"/>.</summary>
/// <param name="FilePath">The file the row came from.</param>
/// <param name="LineNumber">The 1-based line (first line of the record).</param>
/// <param name="Reason">The category.</param>
/// <param name="Message">The full message, as the strict mode would have thrown it.</param>
public sealed record SkippedRow(string FilePath, int LineNumber, SkipReason Reason, string Message);

/// <summary>
/// Counts what a reader did: rows read, rows skipped by reason, and the first few skipped rows.
/// Pass one to a reader and inspect it after enumerating; <see cref="ToString"/> gives a one-line summary such as
/// "read 1200 rows; skipped 3 rows (2 empty text, 1 invalid UTF-8); first: file.csv:12".
/// </summary>
public sealed class ReadReport
{
    private readonly Dictionary<SkipReason, int> _skips = new();
    private readonly List<SkippedRow> _first = new();

    /// <summary>How many skipped rows are kept in <see cref="FirstSkipped"/> (default 5).</summary>
    public int MaxRecordedSkips { get; set; } = 5;

    /// <summary>Rows returned to the caller.</summary>
    public long RowsRead { get; private set; }

    /// <summary>Rows rejected (lenient mode only; strict mode throws instead).</summary>
    public long RowsSkipped { get; private set; }

    /// <summary>Blank lines passed over (not rows; counted so nothing disappears unnoticed).</summary>
    public long BlankLines { get; private set; }

    /// <summary>
    /// The file of the row a reader returned last (null before the first row). Read it with <see cref="LastRowLine"/>
    /// while enumerating to know where each row came from, for example to report a later check against a model.
    /// </summary>
    public string? LastRowFile { get; private set; }

    /// <summary>The 1-based line of the row a reader returned last (the first line of its record); 0 before the first row.</summary>
    public int LastRowLine { get; private set; }

    /// <summary>Skipped rows per reason.</summary>
    public IReadOnlyDictionary<SkipReason, int> SkippedByReason => _skips;

    /// <summary>The first <see cref="MaxRecordedSkips"/> skipped rows, in reading order.</summary>
    public IReadOnlyList<SkippedRow> FirstSkipped => _first;

    internal void AddRead(string file, int line)
    {
        RowsRead++;
        LastRowFile = file;
        LastRowLine = line;
    }

    internal void AddBlank() => BlankLines++;

    internal void AddSkip(DataFormatException e)
    {
        RowsSkipped++;
        _skips[e.Reason] = _skips.GetValueOrDefault(e.Reason) + 1;
        if (_first.Count < MaxRecordedSkips)
            _first.Add(new SkippedRow(e.FilePath, e.LineNumber, e.Reason, e.Message));
    }

    /// <summary>The display name of a reason ("empty text", "invalid UTF-8", ...).</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>A short lower-case phrase.</returns>
    public static string Describe(SkipReason reason) => reason switch
    {
        SkipReason.EmptyText => "empty text",
        SkipReason.InvalidLabel => "invalid label",
        SkipReason.InvalidUtf8 => "invalid UTF-8",
        SkipReason.LineTooLong => "line too long",
        SkipReason.WrongColumnCount => "wrong column count",
        SkipReason.MissingColumn => "missing field",
        SkipReason.Malformed => "malformed",
        SkipReason.TooManyTokens => "too many tokens",
        _ => reason.ToString(),
    };

    /// <summary>A one-line summary: rows read, skipped rows by reason and the first skipped location.</summary>
    /// <returns>For example "read 1200 rows; skipped 3 rows (2 empty text, 1 invalid UTF-8); first: f.csv:12".</returns>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"read {RowsRead} rows");
        if (RowsSkipped > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; skipped {RowsSkipped} rows (");
            sb.Append(string.Join(", ", _skips.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
                .Select(kv => $"{kv.Value} {Describe(kv.Key)}")));
            sb.Append(')');
            if (_first.Count > 0)
                sb.Append(CultureInfo.InvariantCulture, $"; first: {_first[0].FilePath}:{_first[0].LineNumber}");
        }
        if (BlankLines > 0)
            sb.Append(CultureInfo.InvariantCulture, $"; {BlankLines} blank lines");
        return sb.ToString();
    }
}
