using System.Text;

namespace MLNetAttention.Data;

/// <summary>One logical delimited record: its first line number, and its fields or why it is broken.</summary>
internal readonly record struct Record(int Number, string[]? Fields, SkipReason? Error, string? Detail, bool Blank);

/// <summary>RFC 4180 CSV (quoted fields may hold separators, doubled quotes and newlines) and plain TSV records.</summary>
internal static class Csv
{
    public static IEnumerable<Record> Records(LineSource src, char separator, bool quoting, int maxRecordChars)
    {
        while (src.TryRead(out var line))
        {
            if (line.Error is not null)
            {
                yield return new Record(line.Number, null, line.Error, line.Detail, false);
                continue;
            }
            string text = line.Text!;
            if (text.Length == 0 || string.IsNullOrWhiteSpace(text))
            {
                yield return new Record(line.Number, null, null, null, true);
                continue;
            }
            if (!quoting || text.IndexOf('"') < 0)
            {
                yield return new Record(line.Number, text.Split(separator), null, null, false);
                continue;
            }
            yield return ParseQuoted(src, line.Number, text, separator, maxRecordChars);
        }
    }

    private static Record ParseQuoted(LineSource src, int start, string text, char sep, int maxRecordChars)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int total = text.Length;
        int i = 0;
        bool inQuotes = false, quotedField = false, afterQuote = false;
        while (true)
        {
            while (i < text.Length)
            {
                char c = text[i];
                if (inQuotes)
                {
                    if (c == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        inQuotes = false; afterQuote = true; i++; continue;
                    }
                    field.Append(c); i++; continue;
                }
                if (c == sep)
                {
                    fields.Add(field.ToString()); field.Clear();
                    quotedField = afterQuote = false; i++; continue;
                }
                if (afterQuote)
                    return new Record(start, null, SkipReason.Malformed,
                        $"unexpected character '{c}' after the closing quote of field {fields.Count + 1}", false);
                if (c == '"' && field.Length == 0 && !quotedField)
                {
                    inQuotes = quotedField = true; i++; continue;
                }
                field.Append(c); i++;
            }
            if (!inQuotes) break;
            // The quoted field goes on: the record continues on the next physical line.
            if (!src.TryRead(out var next))
                return new Record(start, null, SkipReason.Malformed, "a quoted field is not closed before the end of the file", false);
            if (next.Error is not null)
                return new Record(start, null, next.Error, $"{next.Detail} (line {next.Number}, inside a quoted field)", false);
            total += next.Text!.Length + 1;
            if (total > maxRecordChars)
                return new Record(start, null, SkipReason.LineTooLong, "a quoted record is longer than MaxLineLength", false);
            field.Append('\n');
            text = next.Text!;
            i = 0;
        }
        fields.Add(field.ToString());
        return new Record(start, fields.ToArray(), null, null, false);
    }
}
