using System.Globalization;
using System.Text.Json;
using MLNetAttention.Training;

namespace MLNetAttention.Cli;

/// <summary>Prints classification metrics as an aligned table or as JSON.</summary>
internal static class MetricsPrinter
{
    public static void PrintTable(ClassificationMetrics metrics, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"accuracy {metrics.Accuracy:0.0000}  macro-F1 {metrics.MacroF1:0.0000}  ({metrics.Count} examples)"));
        int width = Math.Max(5, metrics.PerClass.Max(m => m.Label.Length));
        output.WriteLine($"{"class".PadRight(width)}  precision  recall      f1  support");
        foreach (var m in metrics.PerClass)
            output.WriteLine(string.Create(c, $"{m.Label.PadRight(width)}  {m.Precision,9:0.0000}  {m.Recall,6:0.0000}  {m.F1,6:0.0000}  {m.Support,7}"));
        output.WriteLine("confusion (rows = true, columns = predicted):");
        int cell = Math.Max(width, metrics.Confusion.SelectMany(r => r).DefaultIfEmpty(0).Max().ToString(c).Length);
        output.WriteLine(new string(' ', width) + "  " + string.Join("  ", metrics.PerClass.Select(m => m.Label.PadLeft(cell))));
        for (int i = 0; i < metrics.Confusion.Length; i++)
            output.WriteLine(metrics.PerClass[i].Label.PadRight(width) + "  " + string.Join("  ", metrics.Confusion[i].Select(n => n.ToString(c).PadLeft(cell))));
    }

    public static void PrintJson(ClassificationMetrics metrics, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(metrics, CliJson.Options));
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
