using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNetAttention.Training;
using MLNetAttention.Visualization;

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

    /// <summary>
    /// The metrics as one JSON document; with <paramref name="name"/>, each per-class entry also gets its "labelName";
    /// with <paramref name="heads"/>, a "headDiversity" object.
    /// </summary>
    public static void PrintJson(ClassificationMetrics metrics, TextWriter output, Func<string, string>? name = null, HeadProfileSummary? heads = null, long? modelBytes = null)
    {
        var json = JsonSerializer.SerializeToNode(metrics, CliJson.Options)!;
        if (modelBytes is { } bytes) json["modelBytes"] = bytes;
        if (name is not null && json["perClass"] is JsonArray perClass)
            for (int i = 0; i < perClass.Count && i < metrics.PerClass.Count; i++)
                perClass[i]!["labelName"] = name(metrics.PerClass[i].Label);
        if (heads is not null) json["headDiversity"] = HeadsJson(heads);
        output.WriteLine(json.ToJsonString(CliJson.Options));
    }

    /// <summary>
    /// How peaked the attention weights are and, for several heads, how different the heads are and each head's top
    /// tokens: the lines under the metrics table.
    /// </summary>
    public static void PrintHeads(HeadProfileSummary heads, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        var d = heads.Diversity;
        output.WriteLine();
        output.WriteLine(string.Create(c, $"attention weights: mean Jensen-Shannon divergence from uniform {Nats(d.MeanDivergenceFromUniform)} nats (over {d.Texts} texts)"));
        if (d.Heads == 1) return;
        string pairwise = d.MeanPairwiseDivergence is { } p ? Nats(p) : "n/a";
        string ratio = d.DiversityRatio is { } r ? r.ToString("0.00", c) : "n/a";
        output.WriteLine($"heads: mean pairwise divergence {pairwise} nats; head diversity ratio {ratio} (0 = copies, 1 = as different from each other as from uniform)");
        output.WriteLine(string.Create(c, $"per head: divergence from uniform, then its top {heads.Top} tokens (count ≥ {heads.MinCount}) by mean weight per occurrence and by total weight"));
        int width = $"head {d.Heads}".Length;
        foreach (var head in heads.Heads)
            output.WriteLine(string.Create(c,
                $"{$"head {head.Head + 1}".PadRight(width)}  {Nats(head.DivergenceFromUniform),-8}  top by mean: {Tokens(head.TokensByMean)}  by total: {Tokens(head.TokensByTotal)}"));
    }

    // Four decimals, or up to six for the near-flat weights of a barely trained model.
    private static string Nats(double value) =>
        value.ToString(value is 0 or >= 0.001 ? "0.0000" : "0.0#####", CultureInfo.InvariantCulture);

    private static string Tokens(IReadOnlyList<TokenAttention> tokens) =>
        tokens.Count == 0 ? "(none)" : string.Join(" ", tokens.Select(t => Shown(t.Token)));

    // Tokens on one line, and a space-only token visible.
    private static string Shown(string token)
    {
        string line = new(token.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray());
        return string.IsNullOrWhiteSpace(line) ? "␠" : line;
    }

    // NaN and infinities are not JSON numbers: null instead.
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private static JsonObject HeadsJson(HeadProfileSummary heads)
    {
        var d = heads.Diversity;
        JsonArray Entries(HeadTokens head, IReadOnlyList<TokenAttention> tokens) => new(tokens.Select(t => (JsonNode)new JsonObject
        {
            ["token"] = t.Token,
            ["mean"] = Number(t.HeadMean(head.Head)),
            ["total"] = Number(t.HeadTotals[head.Head]),
            ["count"] = t.Count,
            ["texts"] = t.Texts,
        }).ToArray());
        return new JsonObject
        {
            ["texts"] = d.Texts,
            ["divergenceFromUniform"] = Number(d.MeanDivergenceFromUniform),
            ["headDivergenceFromUniform"] = new JsonArray(d.HeadDivergenceFromUniform.Select(Number).ToArray()),
            ["meanPairwiseDivergence"] = d.MeanPairwiseDivergence is { } pairwise ? Number(pairwise) : null,
            ["pairwiseDivergence"] = new JsonArray(d.PairwiseDivergence.Select(row => (JsonNode)new JsonArray(row.Select(Number).ToArray())).ToArray()),
            ["diversityRatio"] = d.DiversityRatio is { } ratio ? Number(ratio) : null,
            ["top"] = heads.Top,
            ["minCount"] = heads.MinCount,
            ["heads"] = new JsonArray(heads.Heads.Select(h => (JsonNode)new JsonObject
            {
                ["head"] = h.Head + 1,
                ["divergenceFromUniform"] = Number(h.DivergenceFromUniform),
                ["topByMean"] = Entries(h, h.TokensByMean),
                ["topByTotal"] = Entries(h, h.TokensByTotal),
            }).ToArray()),
        };
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
