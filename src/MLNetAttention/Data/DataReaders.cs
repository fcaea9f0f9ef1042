using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNetAttention.Data;

/// <summary>
/// Streaming readers for the text-classification and text-matching formats the library trains on. Every reader
/// yields rows as it reads (nothing is loaded whole), validates each row, and on a bad row either throws a
/// <see cref="DataFormatException"/> naming file and line or, with <see cref="ReaderOptions.Lenient"/>, skips it and
/// counts it in the optional <see cref="ReadReport"/>. A missing file throws <see cref="FileNotFoundException"/>.
/// </summary>
public static partial class DataReaders
{
    private const string LenientHint = "Or set ReaderOptions.Lenient = true to skip and count such rows";

    /// <summary>
    /// Reads a THUCNews-style directory tree: each subdirectory is a label, each *.txt file in it one article whose
    /// first line is the title. Directories and files are visited in ordinal name order.
    /// </summary>
    /// <param name="directory">The root directory (for example THUCNews/ with 体育/, 财经/, ...).</param>
    /// <param name="titleOnly">True: the text is the title. False: title, a newline and the body, cut at
    /// <see cref="ReaderOptions.MaxTextLength"/> characters.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill with read and skipped counts.</param>
    /// <returns>One example per article, streamed.</returns>
    public static IEnumerable<TextExample> ReadThucNews(string directory, bool titleOnly = true, ReaderOptions? options = null, ReadReport? report = null)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Data directory not found: {directory}. Download the corpus first (see `data fetch`) or check the path.");
        return ThucNewsIterator(directory, titleOnly, options ?? ReaderOptions.Default, report);
    }

    private static IEnumerable<TextExample> ThucNewsIterator(string directory, bool titleOnly, ReaderOptions o, ReadReport? report)
    {
        var labels = Directory.GetDirectories(directory).OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (labels.Count == 0)
            throw new DataFormatException(directory, 0, SkipReason.Malformed, "the directory has no label subdirectories",
                "Expected one subdirectory per label (THUCNews/体育/0.txt, ...)");
        foreach (string labelDir in labels)
        {
            string label = Path.GetFileName(labelDir);
            foreach (string file in Directory.GetFiles(labelDir, "*.txt").OrderBy(f => f, StringComparer.Ordinal))
            {
                var sink = new Sink(file, o, report);
                TextExample? item = ReadArticle(file, label, titleOnly, o, sink);
                if (item is not null) { report?.AddRead(file, 1); yield return item; }
            }
        }
    }

    private static TextExample? ReadArticle(string file, string label, bool titleOnly, ReaderOptions o, Sink sink)
    {
        using var src = LineSource.Open(file, o.MaxLineLength);
        string? title = null;
        int titleLine = 1;
        var body = new StringBuilder();
        int max = o.MaxTextLength > 0 ? o.MaxTextLength : int.MaxValue;
        while (src.TryRead(out var line))
        {
            if (line.Error is { } err)
                return sink.Reject<TextExample>(line.Number, err, line.Detail!, FixFor(err));
            string t = line.Text!.Trim();
            if (title is null)
            {
                title = t;
                titleLine = line.Number;
                if (titleOnly || title.Length >= max) break;
                body.Append(title);
                continue;
            }
            if (t.Length == 0) continue;
            body.Append('\n').Append(t);
            if (body.Length >= max) break;
        }
        if (string.IsNullOrEmpty(title))
            return sink.Reject<TextExample>(titleLine, SkipReason.EmptyText, "the article has an empty title (first line)", FixFor(SkipReason.EmptyText));
        string text = titleOnly ? title : (body.Length > 0 ? body.ToString() : title);
        if (text.Length > max) text = text[..max];
        return new TextExample(text, label);
    }

    /// <summary>Reads a headerless "title&lt;TAB&gt;label" file (one example per line).</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The examples, streamed.</returns>
    public static IEnumerable<TextExample> ReadTitleLabel(string path, ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        return TitleLabelIterator(path, options ?? ReaderOptions.Default, report);
    }

    private static IEnumerable<TextExample> TitleLabelIterator(string path, ReaderOptions o, ReadReport? report)
    {
        var sink = new Sink(path, o, report);
        using var src = LineSource.Open(path, o.MaxLineLength);
        foreach (var rec in Csv.Records(src, '\t', quoting: false, o.MaxLineLength))
        {
            if (!sink.Check(rec)) continue;
            var f = rec.Fields!;
            if (f.Length != 2)
            {
                sink.Reject<object>(rec.Number, SkipReason.WrongColumnCount, $"expected 2 tab-separated columns (title, label) but found {f.Length}",
                    "Each line must be title<TAB>label with no other tab. " + LenientHint);
                continue;
            }
            var item = sink.Text(rec.Number, f[0], f[1], null);
            if (item is not null) yield return item;
        }
    }

    /// <summary>
    /// Reads a "label,review" CSV with a header line, as in weibo_senti_100k, simplifyweibo_4_moods and
    /// ChnSentiCorp_htl_all: RFC 4180 quoting (separators, doubled quotes and newlines inside quoted fields), an
    /// integer label, Weibo emoji tags kept or removed per <see cref="ReaderOptions.RemoveWeiboEmojiTags"/>.
    /// </summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The examples, streamed; the label is the integer as written ("0", "1", ...).</returns>
    public static IEnumerable<TextExample> ReadLabelReviewCsv(string path, ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        var o = options ?? ReaderOptions.Default;
        return DelimitedIterator(path, ',', ["review"], ["label"], o, report, integerLabel: true, removeTags: o.RemoveWeiboEmojiTags);
    }

    /// <summary>
    /// Reads an LCQMC file: "text1&lt;TAB&gt;text2&lt;TAB&gt;label" with label 0 or 1, no header (a first line
    /// whose third column is "label" is taken as a header and passed over).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The pairs, streamed.</returns>
    public static IEnumerable<PairExample> ReadLcqmc(string path, ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        return LcqmcIterator(path, options ?? ReaderOptions.Default, report);
    }

    private static IEnumerable<PairExample> LcqmcIterator(string path, ReaderOptions o, ReadReport? report)
    {
        var sink = new Sink(path, o, report);
        using var src = LineSource.Open(path, o.MaxLineLength);
        bool first = true;
        foreach (var rec in Csv.Records(src, '\t', quoting: false, o.MaxLineLength))
        {
            if (!sink.Check(rec)) continue;
            var f = rec.Fields!;
            if (first && f.Length == 3 && f[2].Trim().Equals("label", StringComparison.OrdinalIgnoreCase)) { first = false; continue; }
            first = false;
            if (f.Length != 3)
            {
                sink.Reject<object>(rec.Number, SkipReason.WrongColumnCount, $"expected 3 tab-separated columns (text1, text2, label) but found {f.Length}",
                    "Each line must be text1<TAB>text2<TAB>label. " + LenientHint);
                continue;
            }
            var item = sink.Pair(rec.Number, f[0], f[1], f[2], ZeroOne);
            if (item is not null) yield return item;
        }
    }

    /// <summary>
    /// Reads a CSV or TSV file with a header line and named text and label columns. CSV (separator ',') uses
    /// RFC 4180 quoting; other separators split plainly.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="textColumn">The header name of the text column (case-insensitive).</param>
    /// <param name="labelColumn">The header name of the label column (case-insensitive).</param>
    /// <param name="separator">The separator; null: tab for .tsv/.tab/.txt files, comma otherwise.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The examples, streamed.</returns>
    public static IEnumerable<TextExample> ReadDelimited(string path, string textColumn = "text", string labelColumn = "label",
        char? separator = null, ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        return DelimitedIterator(path, separator ?? SeparatorFor(path), [textColumn], [labelColumn], options ?? ReaderOptions.Default, report, false, false);
    }

    /// <summary>Reads a CSV or TSV file with a header line and named text1, text2 and label columns.</summary>
    /// <param name="path">The file.</param>
    /// <param name="text1Column">The header name of the first text.</param>
    /// <param name="text2Column">The header name of the second text.</param>
    /// <param name="labelColumn">The header name of the label.</param>
    /// <param name="separator">The separator; null: tab for .tsv/.tab/.txt files, comma otherwise.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The pairs, streamed.</returns>
    public static IEnumerable<PairExample> ReadDelimitedPairs(string path, string text1Column = "text1", string text2Column = "text2",
        string labelColumn = "label", char? separator = null, ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        return DelimitedPairIterator(path, separator ?? SeparatorFor(path), text1Column, text2Column, labelColumn, options ?? ReaderOptions.Default, report);
    }

    /// <summary>Reads JSON Lines: one JSON object per line with a string text field and a string, number or boolean label.</summary>
    /// <param name="path">The file.</param>
    /// <param name="textColumn">The text field name.</param>
    /// <param name="labelColumn">The label field name.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The examples, streamed.</returns>
    public static IEnumerable<TextExample> ReadJsonLines(string path, string textColumn = "text", string labelColumn = "label",
        ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        var o = options ?? ReaderOptions.Default;
        return JsonTextIterator(() => LineSource.Open(path, o.MaxLineLength), path, textColumn, labelColumn, o, report);
    }

    /// <summary>Reads JSON Lines pairs: one object per line with text1, text2 and label fields.</summary>
    /// <param name="path">The file.</param>
    /// <param name="text1Column">The first text field name.</param>
    /// <param name="text2Column">The second text field name.</param>
    /// <param name="labelColumn">The label field name.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The pairs, streamed.</returns>
    public static IEnumerable<PairExample> ReadJsonLinesPairs(string path, string text1Column = "text1", string text2Column = "text2",
        string labelColumn = "label", ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        var o = options ?? ReaderOptions.Default;
        return JsonPairIterator(() => LineSource.Open(path, o.MaxLineLength), path, text1Column, text2Column, labelColumn, o, report);
    }

    /// <summary>
    /// Chooses a reader by path: a directory is read as THUCNews (titles); .jsonl/.ndjson/.json as JSON Lines
    /// (text, label); .csv as CSV with a header whose text column is "text", "review", "sentence" or "content";
    /// .tsv/.tab as TSV with such a header; .txt as headerless title&lt;TAB&gt;label.
    /// </summary>
    /// <param name="path">A file or directory.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The examples, streamed.</returns>
    public static IEnumerable<TextExample> ReadAuto(string path, ReaderOptions? options = null, ReadReport? report = null)
    {
        if (Directory.Exists(path)) return ReadThucNews(path, true, options, report);
        EnsureFile(path);
        var o = options ?? ReaderOptions.Default;
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".jsonl" or ".ndjson" or ".json" => ReadJsonLines(path, options: o, report: report),
            ".txt" => ReadTitleLabel(path, o, report),
            ".csv" or ".tsv" or ".tab" => DelimitedIterator(path, SeparatorFor(path), TextColumnGuesses, ["label"], o, report, false, o.RemoveWeiboEmojiTags),
            _ => throw new NotSupportedException($"{path}: cannot tell the format from the extension '{ext}'. Use .jsonl, .csv, .tsv or .txt, or call the specific DataReaders method."),
        };
    }

    /// <summary>
    /// Chooses a pair reader by path: .jsonl/.ndjson/.json as JSON Lines (text1, text2, label); .csv as CSV with a
    /// text1,text2,label header; .tsv/.tab/.txt as LCQMC (text1&lt;TAB&gt;text2&lt;TAB&gt;label).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Reader options; null for the defaults.</param>
    /// <param name="report">Optional report to fill.</param>
    /// <returns>The pairs, streamed.</returns>
    public static IEnumerable<PairExample> ReadPairsAuto(string path, ReaderOptions? options = null, ReadReport? report = null)
    {
        EnsureFile(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".jsonl" or ".ndjson" or ".json" => ReadJsonLinesPairs(path, options: options, report: report),
            ".csv" => ReadDelimitedPairs(path, separator: ',', options: options, report: report),
            ".tsv" or ".tab" or ".txt" => ReadLcqmc(path, options, report),
            _ => throw new NotSupportedException($"{path}: cannot tell the format from the extension '{ext}'. Use .jsonl, .csv, .tsv or .txt, or call the specific DataReaders method."),
        };
    }

    internal static IEnumerable<TextExample> ReadJsonLines(Func<Stream> open, string displayName, ReaderOptions? options = null)
    {
        var o = options ?? ReaderOptions.Default;
        return JsonTextIterator(() => new LineSource(open(), displayName, o.MaxLineLength), displayName, "text", "label", o, null);
    }

    internal static IEnumerable<PairExample> ReadJsonLinesPairs(Func<Stream> open, string displayName, ReaderOptions? options = null)
    {
        var o = options ?? ReaderOptions.Default;
        return JsonPairIterator(() => new LineSource(open(), displayName, o.MaxLineLength), displayName, "text1", "text2", "label", o, null);
    }

    private static readonly string[] TextColumnGuesses = ["text", "review", "sentence", "content"];

    internal static void EnsureFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Data file not found: {path}. Download the data first (for the bundled corpora: `data fetch <name>`, or DatasetCatalog.Fetch) or check the path.", path);
    }

    private static char SeparatorFor(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".tsv" or ".tab" or ".txt" ? '\t' : ',';

    private static string FixFor(SkipReason reason) => reason switch
    {
        SkipReason.InvalidUtf8 => "Re-save the file as UTF-8 (for example `iconv -f GBK -t UTF-8`). " + LenientHint,
        SkipReason.LineTooLong => "Raise ReaderOptions.MaxLineLength or fix the line (an unclosed quote can also cause this). " + LenientHint,
        SkipReason.EmptyText => "Fill in the text or remove the row. " + LenientHint,
        SkipReason.Malformed => "Fix the row's syntax. " + LenientHint,
        _ => LenientHint,
    };

    private static readonly Func<string, bool> ZeroOne = l => l is "0" or "1";

    private static bool IsInteger(string l) => l.Length is > 0 and <= 9 && l.All(char.IsAsciiDigit);

    [GeneratedRegex(@"\[[\p{L}\p{Nd}]{1,8}\]")]
    private static partial Regex WeiboTag();

    internal static string RemoveWeiboTags(string text) => WeiboTag().Replace(text, "");

    private static int[] ResolveHeader(string path, int line, string[] header, IReadOnlyList<string[]> wanted)
    {
        var names = header.Select(h => h.Trim()).ToArray();
        var result = new int[wanted.Count];
        for (int w = 0; w < wanted.Count; w++)
        {
            int idx = -1;
            foreach (string candidate in wanted[w])
            {
                idx = Array.FindIndex(names, n => n.Equals(candidate, StringComparison.OrdinalIgnoreCase));
                if (idx >= 0) break;
            }
            if (idx < 0)
                throw new DataFormatException(path, line, SkipReason.MissingColumn,
                    $"missing column '{string.Join("' or '", wanted[w])}'; the header has: {string.Join(", ", names.Select(n => $"'{n}'"))}",
                    "Name the right columns (textColumn/labelColumn) or fix the header line");
            result[w] = idx;
        }
        return result;
    }

    private static IEnumerable<TextExample> DelimitedIterator(string path, char sep, string[] textNames, string[] labelNames,
        ReaderOptions o, ReadReport? report, bool integerLabel, bool removeTags)
    {
        var sink = new Sink(path, o, report);
        foreach (var (line, f) in DelimitedRows(path, sep, [textNames, labelNames], o, report, sink))
        {
            string text = removeTags ? RemoveWeiboTags(f[0]) : f[0];
            var item = sink.Text(line, text, f[1], integerLabel ? IsInteger : null,
                removeTags ? " after removing Weibo emoji tags" : null);
            if (item is not null) yield return item;
        }
    }

    private static IEnumerable<PairExample> DelimitedPairIterator(string path, char sep, string c1, string c2, string cl, ReaderOptions o, ReadReport? report)
    {
        var sink = new Sink(path, o, report);
        foreach (var (line, f) in DelimitedRows(path, sep, [[c1], [c2], [cl]], o, report, sink))
        {
            var item = sink.Pair(line, f[0], f[1], f[2], ZeroOne);
            if (item is not null) yield return item;
        }
    }

    /// <summary>
    /// The records of a delimited file with a header: for each well-formed row, its line and the fields of the
    /// named columns in <paramref name="columns"/> order (each entry lists the names that column may have).
    /// Broken rows and rows of the wrong width go to <paramref name="sink"/> (thrown, or counted when lenient).
    /// </summary>
    private static IEnumerable<(int Line, string[] Fields)> DelimitedRows(string path, char sep, string[][] columns,
        ReaderOptions o, ReadReport? report, Sink sink)
    {
        using var src = LineSource.Open(path, o.MaxLineLength);
        int[]? cols = null;
        int width = 0;
        foreach (var rec in Csv.Records(src, sep, quoting: sep == ',', o.MaxLineLength))
        {
            if (cols is null)
            {
                if (rec.Blank) { report?.AddBlank(); continue; }
                if (rec.Error is not null)
                    throw new DataFormatException(path, rec.Number, rec.Error.Value, $"the header line cannot be read: {rec.Detail}", FixFor(rec.Error.Value));
                cols = ResolveHeader(path, rec.Number, rec.Fields!, columns);
                width = rec.Fields!.Length;
                continue;
            }
            if (!sink.Check(rec)) continue;
            var f = rec.Fields!;
            if (f.Length != width)
            {
                sink.Reject<object>(rec.Number, SkipReason.WrongColumnCount, $"expected {width} columns like the header but found {f.Length}",
                    (sep == ',' ? "Quote fields that contain commas, quotes or newlines (RFC 4180). " : "Fields must not contain the separator. ") + LenientHint);
                continue;
            }
            yield return (rec.Number, cols.Select(c => f[c]).ToArray());
        }
        if (cols is null)
            throw new DataFormatException(path, 0, SkipReason.MissingColumn, "the file is empty (no header line)", "Expected a header line naming the columns");
    }

    private static IEnumerable<TextExample> JsonTextIterator(Func<LineSource> open, string path, string textName, string labelName, ReaderOptions o, ReadReport? report)
    {
        var sink = new Sink(path, o, report);
        using var src = open();
        while (src.TryRead(out var line))
        {
            var fields = JsonFields(sink, line, [textName, labelName], out bool blank);
            if (blank) { report?.AddBlank(); continue; }
            if (fields is null) continue;
            var item = sink.Text(line.Number, fields[0], fields[1], null);
            if (item is not null) yield return item;
        }
    }

    private static IEnumerable<PairExample> JsonPairIterator(Func<LineSource> open, string path, string n1, string n2, string nl, ReaderOptions o, ReadReport? report)
    {
        var sink = new Sink(path, o, report);
        using var src = open();
        while (src.TryRead(out var line))
        {
            var fields = JsonFields(sink, line, [n1, n2, nl], out bool blank);
            if (blank) { report?.AddBlank(); continue; }
            if (fields is null) continue;
            var item = sink.Pair(line.Number, fields[0], fields[1], fields[2], ZeroOne);
            if (item is not null) yield return item;
        }
    }

    /// <summary>Parses one JSON line; the last name is the label (string, number or boolean), the others strings.</summary>
    private static string?[]? JsonFields(Sink sink, RawLine line, string[] names, out bool blank)
    {
        blank = false;
        if (line.Error is { } err) return sink.Reject<string?[]>(line.Number, err, line.Detail!, FixFor(err));
        string text = line.Text!;
        if (string.IsNullOrWhiteSpace(text)) { blank = true; return null; }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e)
        {
            return sink.Reject<string?[]>(line.Number, SkipReason.Malformed, $"the line is not valid JSON ({e.Message})", FixFor(SkipReason.Malformed));
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return sink.Reject<string?[]>(line.Number, SkipReason.Malformed, $"expected a JSON object but found {doc.RootElement.ValueKind}", FixFor(SkipReason.Malformed));
            var result = new string?[names.Length];
            for (int i = 0; i < names.Length; i++)
            {
                if (!TryGet(doc.RootElement, names[i], out var v))
                {
                    var found = doc.RootElement.EnumerateObject().Select(p => $"'{p.Name}'");
                    return sink.Reject<string?[]>(line.Number, SkipReason.MissingColumn,
                        $"missing field '{names[i]}'; the object has: {string.Join(", ", found)}", "Name the right fields (textColumn/labelColumn). " + LenientHint);
                }
                bool isLabel = i == names.Length - 1;
                if (v.ValueKind == JsonValueKind.String) result[i] = v.GetString();
                else if (isLabel && v.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) result[i] = v.GetRawText();
                else if (isLabel)
                    return sink.Reject<string?[]>(line.Number, SkipReason.InvalidLabel, $"the label field '{names[i]}' is {v.ValueKind}, not a string or number", LenientHint);
                else
                    return sink.Reject<string?[]>(line.Number, SkipReason.EmptyText, $"the text field '{names[i]}' is {v.ValueKind}, not a string", LenientHint);
            }
            return result;
        }
    }

    private static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value)) return true;
        foreach (var p in obj.EnumerateObject())
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) { value = p.Value; return true; }
        return false;
    }

    /// <summary>Validates rows and applies the strict/lenient policy.</summary>
    private sealed class Sink(string path, ReaderOptions o, ReadReport? report)
    {
        public T? Reject<T>(int line, SkipReason reason, string problem, string fix) where T : class
        {
            var e = new DataFormatException(path, line, reason, problem, fix);
            if (!o.Lenient) throw e;
            report?.AddSkip(e);
            return null;
        }

        /// <summary>False for blank or broken records (counted or thrown).</summary>
        public bool Check(in Record rec)
        {
            if (rec.Blank) { report?.AddBlank(); return false; }
            if (rec.Error is { } err) { Reject<object>(rec.Number, err, rec.Detail!, FixFor(err)); return false; }
            return true;
        }

        private string Norm(string? s) => s is null ? "" : o.TrimText ? s.Trim() : s;

        private bool LabelOk(int line, string label, Func<string, bool>? allowed)
        {
            string? expect = allowed is null ? null : ReferenceEquals(allowed, ZeroOne) ? "\"0\" (no match) or \"1\" (match)" : "an integer";
            if (label.Length == 0)
            {
                Reject<object>(line, SkipReason.InvalidLabel, "the label is empty" + (expect is null ? "" : $" (expected {expect})"), "Fill in the label. " + LenientHint);
                return false;
            }
            if (allowed is not null && !allowed(label))
            {
                Reject<object>(line, SkipReason.InvalidLabel, $"cannot parse the label '{Shorten(label)}' (expected {expect})", "Fix the label. " + LenientHint);
                return false;
            }
            return true;
        }

        public TextExample? Text(int line, string? text, string? label, Func<string, bool>? allowed, string? emptyNote = null)
        {
            string t = Norm(text), l = Norm(label);
            if (string.IsNullOrWhiteSpace(t))
                return Reject<TextExample>(line, SkipReason.EmptyText, "the text is empty" + emptyNote, FixFor(SkipReason.EmptyText));
            if (!LabelOk(line, l, allowed)) return null;
            report?.AddRead(path, line);
            return new TextExample(t, l);
        }

        public PairExample? Pair(int line, string? text1, string? text2, string? label, Func<string, bool>? allowed)
        {
            string a = Norm(text1), b = Norm(text2), l = Norm(label);
            if (string.IsNullOrWhiteSpace(a) || string.IsNullOrWhiteSpace(b))
                return Reject<PairExample>(line, SkipReason.EmptyText,
                    string.IsNullOrWhiteSpace(a) ? "text1 is empty (a pair needs both sentences)" : "text2 is empty (a pair needs both sentences)",
                    FixFor(SkipReason.EmptyText));
            if (!LabelOk(line, l, allowed)) return null;
            report?.AddRead(path, line);
            return new PairExample(a, b, l);
        }

        private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";
    }
}
