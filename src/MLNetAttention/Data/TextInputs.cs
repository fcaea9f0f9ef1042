using System.Text.Json;

namespace MLNetAttention.Data;

/// <summary>
/// Texts to score, with their labels where given, from one string as a command line takes it: a JSONL file (one
/// <c>{"text": ..., "label": ...}</c> object per line, the label optional), a text file (one text per line), or the
/// text itself.
/// </summary>
public static class TextInputs
{
    /// <summary>Reads <paramref name="input"/>; blank lines are skipped.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="input"/> looks like a file name but no such file exists.</exception>
    /// <exception cref="DataFormatException">A JSON line is not an object with a non-empty string "text" (the message names file and line).</exception>
    public static IReadOnlyList<(string Text, string? Label)> Read(string input)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(input);
        if (!File.Exists(input))
        {
            string extension = Path.GetExtension(input).ToLowerInvariant();
            if (!input.Any(char.IsWhiteSpace) && extension is ".jsonl" or ".ndjson" or ".json" or ".txt" or ".tsv" or ".csv")
                throw new FileNotFoundException($"The input file '{input}' does not exist.", input);
            return [(input, null)];
        }
        var lines = ReadLines(input);
        bool json = Path.GetExtension(input).ToLowerInvariant() is ".jsonl" or ".ndjson" or ".json"
            || (lines.Count > 0 && lines[0].Line.TrimStart().StartsWith('{'));
        return json ? lines.Select(l => ParseJson(input, l.Number, l.Line)).ToList() : lines.Select(l => (l.Line, (string?)null)).ToList();
    }

    // Strict UTF-8: a damaged byte is an error naming its line, not a silent U+FFFD in the text.
    private static List<(string Line, int Number)> ReadLines(string path)
    {
        var lines = new List<(string Line, int Number)>();
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        int number = 0;
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (System.Text.DecoderFallbackException)
            {
                throw new DataFormatException(path, number + 1, SkipReason.InvalidUtf8, "the line is not valid UTF-8",
                    "Re-save the file as UTF-8 (for example `iconv -f GBK -t UTF-8`).");
            }
            if (line is null) return lines;
            number++;
            if (!string.IsNullOrWhiteSpace(line)) lines.Add((line, number));
        }
    }

    private static (string Text, string? Label) ParseJson(string path, int number, string line)
    {
        const string Fix = "Write one {\"text\": \"...\", \"label\": \"...\"} object per line (the label is optional).";
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String
                || string.IsNullOrWhiteSpace(text.GetString()))
                throw new DataFormatException(path, number, SkipReason.EmptyText, "expected an object with a non-empty string \"text\" field", Fix);
            string? label = root.TryGetProperty("label", out var value) ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => null,
            } : null;
            return (text.GetString()!, label);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8.
            throw new DataFormatException(path, number, SkipReason.Malformed, $"not valid JSON ({e.Message})", Fix);
        }
    }
}
