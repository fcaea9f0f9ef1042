using System.Text.Encodings.Web;
using System.Text.Json;

namespace MLNetAttention.Data;

/// <summary>Writes examples as JSON Lines with UTF-8 text left readable (no \u escapes for CJK).</summary>
internal static class Jsonl
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static void Write(string path, IEnumerable<TextExample> rows) => WriteCore(path, rows, (w, r) =>
    {
        w.WriteString("text", r.Text);
        w.WriteString("label", r.Label);
    });

    public static void Write(string path, IEnumerable<PairExample> rows) => WriteCore(path, rows, WritePair);

    /// <summary>Writes pairs as JSON Lines to <paramref name="stream"/>, which stays open.</summary>
    public static void Write(Stream stream, IEnumerable<PairExample> rows) => WriteRows(stream, rows, WritePair);

    private static void WritePair(Utf8JsonWriter w, PairExample r)
    {
        w.WriteString("text1", r.Text1);
        w.WriteString("text2", r.Text2);
        w.WriteString("label", r.Label);
    }

    /// <summary>Writes to a temporary file and renames it, so an interrupted run leaves no half file.</summary>
    private static void WriteCore<T>(string path, IEnumerable<T> rows, Action<Utf8JsonWriter, T> body)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            WriteRows(fs, rows, body);
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteRows<T>(Stream stream, IEnumerable<T> rows, Action<Utf8JsonWriter, T> body)
    {
        using var w = new Utf8JsonWriter(stream, Options);
        foreach (var r in rows)
        {
            w.WriteStartObject();
            body(w, r);
            w.WriteEndObject();
            w.Flush();
            w.Reset();
            stream.WriteByte((byte)'\n');
        }
    }
}
