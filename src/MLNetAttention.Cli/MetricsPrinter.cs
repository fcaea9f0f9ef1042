using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetAttention.Training;

namespace MLNetAttention.Cli;

/// <summary>Prints classification metrics as an aligned table or as JSON.</summary>
internal static class MetricsPrinter
{
    /// <summary>The metrics as a table; <paramref name="name"/> turns a label into the name shown (matchers: "match"/"no match").</summary>
    public static void PrintTable(ClassificationMetrics metrics, TextWriter output, Func<string, string>? name = null)
    {
        var c = CultureInfo.InvariantCulture;
        var names = metrics.PerClass.Select(m => name is null ? m.Label : name(m.Label)).ToArray();
        output.WriteLine(string.Create(c, $"accuracy {metrics.Accuracy:0.0000}  macro-F1 {metrics.MacroF1:0.0000}  ({metrics.Count} examples)"));
        int width = Math.Max(5, names.Max(n => n.Length));
        output.WriteLine($"{"class".PadRight(width)}  precision  recall      f1  support");
        for (int i = 0; i < metrics.PerClass.Count; i++)
        {
            var m = metrics.PerClass[i];
            output.WriteLine(string.Create(c, $"{names[i].PadRight(width)}  {m.Precision,9:0.0000}  {m.Recall,6:0.0000}  {m.F1,6:0.0000}  {m.Support,7}"));
        }
        output.WriteLine("confusion (rows = true, columns = predicted):");
        int cell = Math.Max(width, metrics.Confusion.SelectMany(r => r).DefaultIfEmpty(0).Max().ToString(c).Length);
        output.WriteLine(new string(' ', width) + "  " + string.Join("  ", names.Select(n => n.PadLeft(cell))));
        for (int i = 0; i < metrics.Confusion.Length; i++)
            output.WriteLine(names[i].PadRight(width) + "  " + string.Join("  ", metrics.Confusion[i].Select(n => n.ToString(c).PadLeft(cell))));
    }

    /// <summary>The metrics as JSON; with <paramref name="name"/>, each per-class entry also gets its "labelName".</summary>
    public static void PrintJson(ClassificationMetrics metrics, TextWriter output, Func<string, string>? name = null)
    {
        var json = JsonSerializer.SerializeToNode(metrics, CliJson.Options)!;
        if (name is not null && json["perClass"] is JsonArray perClass)
            for (int i = 0; i < perClass.Count && i < metrics.PerClass.Count; i++)
                perClass[i]!["labelName"] = name(metrics.PerClass[i].Label);
        output.WriteLine(json.ToJsonString(CliJson.Options));
    }
}

internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };
}
