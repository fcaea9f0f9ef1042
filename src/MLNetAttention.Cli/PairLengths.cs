using System.Globalization;
using MLNetAttention.Data;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Cli;

/// <summary>A pair and where it was read: the file and line, or null for dataset splits and bundled samples.</summary>
internal sealed record LocatedPair(PairExample Pair, string? File, int Line)
{
    public string Where => File is null ? "" : string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}");
}

/// <summary>
/// Checks sentence pairs against a matcher's maximum length before scoring, so that no sentence is cut silently.
/// </summary>
internal static class PairLengths
{
    /// <summary>
    /// Reads every pair of <paramref name="read"/> with the file and line <paramref name="report"/> saw it at (readers
    /// that do not fill the report, as those of datasets and samples, give no location).
    /// </summary>
    public static List<LocatedPair> ReadLocated(Func<IEnumerable<PairExample>> read, ReadReport report)
    {
        var rows = new List<LocatedPair>();
        long seen = report.RowsRead;
        foreach (var pair in read())
        {
            bool located = report.RowsRead > seen;
            seen = report.RowsRead;
            rows.Add(located ? new LocatedPair(pair, report.LastRowFile, report.LastRowLine) : new LocatedPair(pair, null, 0));
        }
        return rows;
    }

    /// <summary>
    /// A pair read from a file whose sentence is longer than the model's maximum length throws a
    /// <see cref="DataFormatException"/> naming file and line, unless <paramref name="truncate"/>; pairs scored truncated
    /// (with <paramref name="truncate"/>, or from a dataset or sample, which the user cannot edit) are counted in a
    /// warning on <paramref name="log"/>.
    /// </summary>
    /// <returns>The number of pairs that will be scored truncated.</returns>
    public static int Check(AttentionMatcher matcher, IReadOnlyList<LocatedPair> rows, bool truncate, string setName, TextWriter log)
    {
        int cut = 0;
        string? first = null;
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            int cut1 = matcher.TokensPastMaxLength(row.Pair.Text1), cut2 = matcher.TokensPastMaxLength(row.Pair.Text2);
            if (cut1 == 0 && cut2 == 0) continue;
            string side = cut1 > 0 ? "text1" : "text2";
            int past = cut1 > 0 ? cut1 : cut2;
            if (row.File is not null && !truncate)
                throw new DataFormatException(row.File, row.Line, SkipReason.TooManyTokens,
                    string.Create(CultureInfo.InvariantCulture,
                        $"{side} has {matcher.MaxLength + past} tokens, more than the model's maximum length of {matcher.MaxLength}; the last {past} would not be scored"),
                    string.Create(CultureInfo.InvariantCulture,
                        $"Shorten the sentence, or pass --lenient to score such pairs on their first {matcher.MaxLength} tokens"));
            cut++;
            first ??= row.File is null ? string.Create(CultureInfo.InvariantCulture, $"pair {i + 1}, {side}") : $"{row.Where}, {side}";
        }
        if (cut > 0)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warning: {cut} of {rows.Count} {setName} pairs have a sentence longer than the model's maximum length of {matcher.MaxLength} tokens; they were scored truncated to their first {matcher.MaxLength} tokens (first: {first})"));
        return cut;
    }
}
