using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetAttention.Models;

namespace MLNetAttention.Faithfulness;

/// <summary>One explainer's ERASER scores.</summary>
/// <param name="Explainer">The explainer's name.</param>
/// <param name="Kind">The kind of explainer.</param>
/// <param name="Head">The head (1-based) of a per-head attention explainer; null otherwise.</param>
/// <param name="Comprehensiveness">AOPC comprehensiveness: mean over k and texts of p(x)_y − p(x without the top-k tokens)_y. Higher is better.</param>
/// <param name="Sufficiency">AOPC sufficiency: mean over k and texts of p(x)_y − p(only the top-k tokens)_y. Lower is better.</param>
/// <param name="Points">The two scores at each k.</param>
public sealed record ExplainerResult(string Explainer, ExplainerKind Kind, int? Head, double Comprehensiveness, double Sufficiency, IReadOnlyList<EraserPoint> Points);

/// <summary>The agreement of two explainers' token rankings.</summary>
/// <param name="First">One explainer's name.</param>
/// <param name="Second">The other's.</param>
/// <param name="MeanKendallTau">Kendall τ-b between their scores of a text, mean over texts; NaN when undefined for every text.</param>
/// <param name="Texts">Texts in the mean (those where neither explainer's scores are constant).</param>
public sealed record RankCorrelation(string First, string Second, double MeanKendallTau, int Texts);

/// <summary>
/// The result of <see cref="ExplainerComparison.Evaluate"/>: each explainer's ERASER comprehensiveness and sufficiency
/// (AOPC), per k, and the rank correlations between explainers. <see cref="ToMarkdown"/> prints tables that name the
/// erase mode; <see cref="ToJson"/> serialises it (the erase mode is <c>eraseMode</c>).
/// </summary>
public sealed class ExplainerComparisonReport
{
    /// <summary>The metrics' names and references, as the tables print them.</summary>
    public const string MetricDescription =
        "ERASER (DeYoung et al. 2020) AOPC: comprehensiveness = p(x)_y − p(x without its top-k tokens)_y (higher is better), " +
        "sufficiency = p(x)_y − p(its top-k tokens only)_y (lower is better), y = the predicted class";

    /// <summary>The model's pooling.</summary>
    public PoolingKind Pooling { get; init; }

    /// <summary>The model's encoder.</summary>
    public EncoderKind Encoder { get; init; }

    /// <summary>Weight rows per text (heads).</summary>
    public int Heads { get; init; }

    /// <summary>How tokens were erased: <see cref="EraseMode.Remove"/> (deleted, the rest concatenated) or <see cref="EraseMode.Unknown"/> (replaced by the unknown id).</summary>
    public EraseMode EraseMode { get; init; }

    /// <summary>The k values, in percent of each text's length (ceil(k/100 · n) tokens); the AOPC is their mean.</summary>
    public IReadOnlyList<double> Percentages { get; init; } = Array.Empty<double>();

    /// <summary>Texts evaluated.</summary>
    public int Texts { get; init; }

    /// <summary>Texts left out because they had fewer than two tokens.</summary>
    public int SkippedTexts { get; init; }

    /// <summary>Mean length of the evaluated texts, in tokens.</summary>
    public double MeanTokens { get; init; }

    /// <summary>The integration steps of integrated gradients; null when it was not run.</summary>
    public int? IntegratedGradientsSteps { get; init; }

    /// <summary>Seed of the random ranking.</summary>
    public long Seed { get; init; }

    /// <summary>One row per explainer.</summary>
    public IReadOnlyList<ExplainerResult> Explainers { get; init; } = Array.Empty<ExplainerResult>();

    /// <summary>Kendall τ-b of every pair of explainers (empty when not computed).</summary>
    public IReadOnlyList<RankCorrelation> RankCorrelations { get; init; } = Array.Empty<RankCorrelation>();

    /// <summary>Explainers left out and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>Wall-clock seconds the comparison took.</summary>
    public double Seconds { get; init; }

    /// <summary>The erase mode in words, as the tables print it.</summary>
    public string EraseModeDescription => DescribeEraseMode(EraseMode);

    /// <summary>An erase mode in words: "deleted (the remaining tokens concatenated)" or "replaced by the unknown id (the length kept)".</summary>
    public static string DescribeEraseMode(EraseMode mode) => mode == EraseMode.Remove
        ? "deleted (the remaining tokens concatenated)"
        : "replaced by the unknown id (the length kept)";

    /// <summary>The report as indented JSON (camelCase; NaN as "NaN").</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    public static ExplainerComparisonReport FromJson(string json) =>
        JsonSerializer.Deserialize<ExplainerComparisonReport>(json, JsonOptions) ?? throw new InvalidDataException("The explainer comparison JSON is empty.");

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();

    /// <summary>The report as Markdown: explainer × AOPC comprehensiveness and sufficiency, both per k, and the Kendall τ-b matrix.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        string heads = Heads == 1 ? "1 head" : string.Create(c, $"{Heads} heads");
        string ks = string.Join(", ", Percentages.Select(k => k.ToString("0.##", c)));
        s.AppendLine(string.Create(c, $"### ERASER faithfulness of {Explainers.Count} explainers: {(Encoder == EncoderKind.None ? "no" : Encoder.ToString())} encoder, {Pooling} pooling ({heads}), {Texts} texts (mean {MeanTokens:0.0} tokens{(SkippedTexts > 0 ? $", {SkippedTexts} skipped" : "")})"));
        s.AppendLine();
        s.AppendLine(string.Create(c, $"{MetricDescription}; AOPC = mean over k = {ks} % of each text's tokens (ceil(k/100 · n) tokens), then over texts. Erased tokens are {EraseModeDescription}."));
        s.AppendLine();
        s.AppendLine($"| explainer | comprehensiveness ↑ | sufficiency ↓ |");
        s.AppendLine("|---|---:|---:|");
        foreach (var row in Explainers)
            s.AppendLine(string.Create(c, $"| {Name(row)} | {row.Comprehensiveness:0.0000} | {row.Sufficiency:0.0000} |"));
        s.AppendLine();
        s.AppendLine("Per k (comprehensiveness / sufficiency):");
        s.AppendLine();
        s.AppendLine("| explainer | " + string.Join(" | ", Percentages.Select(k => k.ToString("0.##", c) + " %")) + " |");
        s.AppendLine("|---|" + string.Concat(Percentages.Select(_ => "---:|")));
        foreach (var row in Explainers)
            s.AppendLine($"| {row.Explainer} | " + string.Join(" | ", row.Points.Select(p => string.Create(c, $"{p.Comprehensiveness:0.000} / {p.Sufficiency:0.000}"))) + " |");
        if (RankCorrelations.Count > 0)
        {
            var names = Explainers.Select(e => e.Explainer).ToArray();
            s.AppendLine();
            s.AppendLine("Kendall τ-b between the explainers' token rankings (mean over texts):");
            s.AppendLine();
            s.AppendLine("| | " + string.Join(" | ", names.Skip(1)) + " |");
            s.AppendLine("|---|" + string.Concat(names.Skip(1).Select(_ => "---:|")));
            for (int a = 0; a < names.Length - 1; a++)
            {
                var cells = names.Skip(1).Select((other, j) =>
                {
                    if (j + 1 <= a) return "";
                    var pair = RankCorrelations.FirstOrDefault(r => (r.First == names[a] && r.Second == other) || (r.First == other && r.Second == names[a]));
                    return pair is null ? "" : double.IsNaN(pair.MeanKendallTau) ? "n/a" : pair.MeanKendallTau.ToString("0.000", c);
                });
                s.AppendLine($"| {names[a]} | " + string.Join(" | ", cells) + " |");
            }
        }
        foreach (var note in Notes)
        {
            s.AppendLine();
            s.AppendLine("Note: " + note);
        }
        s.AppendLine();
        s.AppendLine(string.Create(c, $"({Seconds:0.0} s; random ranking seed {Seed})"));
        return s.ToString();
    }

    private string Name(ExplainerResult row) => row.Kind == ExplainerKind.IntegratedGradients && IntegratedGradientsSteps is int steps
        ? string.Create(CultureInfo.InvariantCulture, $"{row.Explainer} ({steps} steps, zero-embedding baseline)")
        : row.Explainer;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
