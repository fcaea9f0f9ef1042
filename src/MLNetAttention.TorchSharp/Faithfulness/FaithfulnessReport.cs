using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MLNetAttention.Models;

namespace MLNetAttention.Faithfulness;

/// <summary>The effect of erasing k tokens chosen by one strategy, averaged over texts (and random draws).</summary>
/// <param name="KFraction">k as a fraction of each text's length.</param>
/// <param name="Strategy">Which tokens were erased.</param>
/// <param name="MeanTokensErased">The mean k in tokens.</param>
/// <param name="MeanDrop">Mean drop of the originally predicted class's probability (in [−1, 1]; positive = less confident).</param>
/// <param name="FlipRate">Fraction of erasures that changed the predicted class.</param>
/// <param name="Texts">Number of texts.</param>
public sealed record ErasureResult(double KFraction, ErasureStrategy Strategy, double MeanTokensErased, double MeanDrop, double FlipRate, int Texts);

/// <summary>Whether erasing the top-k attended tokens hurts at least <see cref="FaithfulnessReport.TargetRatio"/> times more than erasing k random ones.</summary>
/// <param name="KFraction">k as a fraction of each text's length.</param>
/// <param name="TopDrop">Mean drop when the top-k attended tokens are erased.</param>
/// <param name="RandomDrop">Mean drop when k random tokens are erased.</param>
/// <param name="Ratio">TopDrop / RandomDrop; null when RandomDrop is not positive.</param>
/// <param name="Holds">Whether TopDrop is positive and the ratio reaches the target (or RandomDrop is not positive).</param>
public sealed record FaithfulnessVerdict(double KFraction, double TopDrop, double RandomDrop, double? Ratio, bool Holds);

/// <summary>
/// The erasure test for one head of a multi-head model at one k: erase the top-k tokens by that head's own weights and
/// compare the drop with the drop of k random tokens (the same random erasures as the model's verdict at that k).
/// </summary>
/// <param name="Head">The head, 0-based (printed tables number heads from 1).</param>
/// <param name="KFraction">k as a fraction of each text's length.</param>
/// <param name="MeanTokensErased">The mean k in tokens.</param>
/// <param name="TopDrop">Mean drop of the predicted class's probability when the head's top-k tokens are erased.</param>
/// <param name="FlipRate">Fraction of those erasures that changed the predicted class.</param>
/// <param name="RandomDrop">Mean drop when k random tokens are erased (the <see cref="FaithfulnessVerdict.RandomDrop"/> of this k).</param>
/// <param name="Ratio">TopDrop / RandomDrop; null when RandomDrop is not positive.</param>
/// <param name="Holds">Whether TopDrop is positive and the ratio reaches the target (or RandomDrop is not positive).</param>
public sealed record HeadErasureResult(int Head, double KFraction, double MeanTokensErased, double TopDrop, double FlipRate, double RandomDrop, double? Ratio, bool Holds);

/// <summary>The erasure tests of one network of a two-network model, run on that network alone.</summary>
/// <param name="Network">"first network" or "companion".</param>
/// <param name="Report">Its report: accuracy, verdicts of its mean weights and, for multi-head pooling, each head's test.</param>
public sealed record NetworkFaithfulness(string Network, FaithfulnessReport Report);

/// <summary>One point of a plot series: k (percent of the length) and the mean drop.</summary>
/// <param name="KPercent">k as a percentage of each text's length.</param>
/// <param name="MeanDrop">Mean drop of the predicted class's probability.</param>
public sealed record PlotPoint(double KPercent, double MeanDrop);

/// <summary>A line of the faithfulness plot: one strategy under one model.</summary>
/// <param name="Name">Legend text, e.g. "top attention" or "uniform twin: random".</param>
/// <param name="Strategy">The erasure strategy.</param>
/// <param name="Uniform">Whether the points come from the uniform-weights twin.</param>
/// <param name="Points">k → mean drop, by increasing k.</param>
public sealed record PlotSeries(string Name, ErasureStrategy Strategy, bool Uniform, IReadOnlyList<PlotPoint> Points);

/// <summary>The same model with uniform weights at inference (mean pooling, the same parameters).</summary>
public sealed class UniformBaselineResult
{
    /// <summary>The twin's accuracy on the evaluated texts.</summary>
    public double Accuracy { get; init; }

    /// <summary>Fraction of texts where the twin predicts the same class as the model.</summary>
    public double Agreement { get; init; }

    /// <summary>Under the twin: drops when erasing the tokens the model attends to most (TopAttention) and random tokens, per k.</summary>
    public IReadOnlyList<ErasureResult> Erasures { get; init; } = Array.Empty<ErasureResult>();
}

/// <summary>How much the weights of the same text vary across models trained with different seeds.</summary>
public sealed class SeedSpreadResult
{
    /// <summary>Number of models.</summary>
    public int Models { get; init; }

    /// <summary>Number of texts compared.</summary>
    public int Texts { get; init; }

    /// <summary>Mean Jensen-Shannon divergence (nats, at most ln 2 ≈ 0.693) between two models' weights of one text, over all pairs and texts.</summary>
    public double MeanJensenShannon { get; init; }

    /// <summary>Standard deviation of those divergences.</summary>
    public double StdJensenShannon { get; init; }

    /// <summary>For scale: the mean divergence of a model's weights from uniform weights.</summary>
    public double MeanJensenShannonToUniform { get; init; }

    /// <summary>Each model's accuracy on the texts.</summary>
    public IReadOnlyList<double> Accuracies { get; init; } = Array.Empty<double>();

    /// <summary>Fraction of texts on which all models predict the same class.</summary>
    public double PredictionAgreement { get; init; }
}

/// <summary>Mean per-text Kendall tau-b between the attention weights and other token importances.</summary>
public sealed class ImportanceCorrelation
{
    /// <summary>Number of texts.</summary>
    public int Texts { get; init; }

    /// <summary>Attention vs leave-one-out drop.</summary>
    public double AttentionVsLeaveOneOut { get; init; }

    /// <summary>Attention vs gradient × input (signed: positive = evidence for the predicted class).</summary>
    public double AttentionVsGradientTimesInput { get; init; }

    /// <summary>Attention vs |gradient × input|.</summary>
    public double AttentionVsAbsGradientTimesInput { get; init; }

    /// <summary>Leave-one-out vs gradient × input: how much the two reference importances agree with each other.</summary>
    public double LeaveOneOutVsGradientTimesInput { get; init; }

    /// <summary>Taus left out of the means because a series was constant (for example a one-token text).</summary>
    public int UndefinedTaus { get; init; }
}

/// <summary>Per-token importance of one text.</summary>
/// <param name="Ids">The token ids scored.</param>
/// <param name="LabelIndex">The predicted class.</param>
/// <param name="Probability">Its probability.</param>
/// <param name="Attention">Attention weight per token (mean over heads).</param>
/// <param name="LeaveOneOut">Drop of the predicted class's probability when only that token is erased.</param>
/// <param name="GradientTimesInput">Gradient of the predicted class's logit with respect to the token's input vector, dotted with it.</param>
public sealed record TokenImportance(int[] Ids, int LabelIndex, float Probability, float[] Attention, float[] LeaveOneOut, float[] GradientTimesInput);

/// <summary>
/// The result of <see cref="FaithfulnessEvaluator.Evaluate"/>: erasure drops per k and strategy, a verdict per k, the
/// same test per head for multi-head models, and the baselines. <see cref="ToMarkdown"/> prints tables,
/// <see cref="ToJson"/> serialises it, <see cref="Series"/> feeds a plot.
/// </summary>
public sealed class FaithfulnessReport
{
    /// <summary>The model's pooling.</summary>
    public PoolingKind Pooling { get; init; }

    /// <summary>Weight rows per text (heads).</summary>
    public int Heads { get; init; }

    /// <summary>How tokens were erased.</summary>
    public EraseMode EraseMode { get; init; }

    /// <summary>Texts evaluated.</summary>
    public int Texts { get; init; }

    /// <summary>Texts left out because they had fewer than two tokens.</summary>
    public int SkippedTexts { get; init; }

    /// <summary>Mean length of the evaluated texts, in tokens.</summary>
    public double MeanTokens { get; init; }

    /// <summary>Random draws per text and k.</summary>
    public int RandomDraws { get; init; }

    /// <summary>The top/random ratio a verdict needs.</summary>
    public double TargetRatio { get; init; }

    /// <summary>The model's accuracy on the evaluated texts.</summary>
    public double Accuracy { get; init; }

    /// <summary>One row per k and strategy.</summary>
    public IReadOnlyList<ErasureResult> Erasures { get; init; } = Array.Empty<ErasureResult>();

    /// <summary>One verdict per k.</summary>
    public IReadOnlyList<FaithfulnessVerdict> Verdicts { get; init; } = Array.Empty<FaithfulnessVerdict>();

    /// <summary>
    /// Multi-head models: the erasure test of each head's own top-k tokens against the k random tokens, by head and
    /// then k; empty for single-head, max and mean pooling.
    /// </summary>
    public IReadOnlyList<HeadErasureResult> HeadErasures { get; init; } = Array.Empty<HeadErasureResult>();

    /// <summary>
    /// For a model of two networks, when <see cref="FaithfulnessOptions.EachNetwork"/> asked for it: the same erasure
    /// tests on each network alone (no baselines); empty otherwise.
    /// </summary>
    public IReadOnlyList<NetworkFaithfulness> Networks { get; init; } = Array.Empty<NetworkFaithfulness>();

    /// <summary>The uniform-weights baseline, when computed.</summary>
    public UniformBaselineResult? Uniform { get; init; }

    /// <summary>The seed-spread baseline, when seed models were given.</summary>
    public SeedSpreadResult? SeedSpread { get; init; }

    /// <summary>Rank correlations with leave-one-out and gradient × input, when computed.</summary>
    public ImportanceCorrelation? Importance { get; init; }

    /// <summary>The ERASER comparison of explainers (comprehensiveness and sufficiency AOPC, rank correlations), when <see cref="FaithfulnessOptions.Eraser"/> asked for it.</summary>
    public ExplainerComparisonReport? Eraser { get; init; }

    /// <summary>Wall time of the evaluation in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Whether every k's verdict holds.</summary>
    public bool AllHold => Verdicts.Count > 0 && Verdicts.All(v => v.Holds);

    /// <summary>Whether every head's erasure test holds at every k; false when there are none (a single-head model).</summary>
    public bool EveryHeadHolds => HeadErasures.Count > 0 && HeadErasures.All(h => h.Holds);

    /// <summary>The plot's lines (k in percent → mean drop): each strategy under the model, then the uniform twin's.</summary>
    public IReadOnlyList<PlotSeries> Series
    {
        get
        {
            var series = new List<PlotSeries>();
            foreach (var strategy in Enum.GetValues<ErasureStrategy>())
                series.Add(SeriesOf(Erasures, strategy, false, StrategyName(strategy)));
            if (Uniform is not null)
                foreach (var strategy in new[] { ErasureStrategy.TopAttention, ErasureStrategy.Random })
                    series.Add(SeriesOf(Uniform.Erasures, strategy, true, "uniform twin: " + StrategyName(strategy)));
            return series.Where(s => s.Points.Count > 0).ToArray();
        }
    }

    /// <summary>The short name of a strategy: "top attention", "random" or "bottom attention".</summary>
    public static string StrategyName(ErasureStrategy strategy) => strategy switch
    {
        ErasureStrategy.TopAttention => "top attention",
        ErasureStrategy.Random => "random",
        _ => "bottom attention",
    };

    /// <summary>The report as JSON (camelCase, indented).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    public static FaithfulnessReport FromJson(string json) =>
        JsonSerializer.Deserialize<FaithfulnessReport>(json, JsonOptions) ?? throw new InvalidDataException("The faithfulness report JSON is empty.");

    /// <inheritdoc/>
    public override string ToString() => ToMarkdown();

    /// <summary>The report as Markdown tables.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        string heads = Heads == 1 ? "1 head" : $"{Heads} heads";
        s.AppendLine(string.Create(c, $"### Faithfulness: {Pooling} pooling ({heads}), erase = {EraseMode}, {Texts} texts (mean {MeanTokens:0.0} tokens{(SkippedTexts > 0 ? $", {SkippedTexts} skipped" : "")}), {RandomDraws} random draws"));
        s.AppendLine();
        s.Append(string.Create(c, $"Model accuracy {Accuracy:0.000}"));
        if (Uniform is not null) s.Append(string.Create(c, $"; uniform-weights twin accuracy {Uniform.Accuracy:0.000} (agrees with the model on {Uniform.Agreement:P1})"));
        s.AppendLine(".");
        s.AppendLine();
        s.AppendLine($"| k | tokens | top-attention drop | flips | random drop | flips | bottom-attention drop | flips | top / random | ≥ {TargetRatio.ToString("0.#", c)}× |");
        s.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
        foreach (var verdict in Verdicts)
        {
            var top = Row(Erasures, verdict.KFraction, ErasureStrategy.TopAttention);
            var random = Row(Erasures, verdict.KFraction, ErasureStrategy.Random);
            var bottom = Row(Erasures, verdict.KFraction, ErasureStrategy.BottomAttention);
            s.AppendLine(string.Create(c,
                $"| {verdict.KFraction:P0} | {top?.MeanTokensErased:0.0} | {top?.MeanDrop:0.0000} | {top?.FlipRate:0.000} | {random?.MeanDrop:0.0000} | {random?.FlipRate:0.000} | {bottom?.MeanDrop:0.0000} | {bottom?.FlipRate:0.000} | {Ratio(verdict.Ratio)} | {(verdict.Holds ? "yes" : "no")} |"));
        }
        if (HeadErasures.Count > 0) AppendHeads(s, c);
        if (Networks.Count > 0) AppendNetworks(s, c);
        if (Uniform is not null)
        {
            s.AppendLine();
            s.AppendLine("Uniform-weights twin (mean pooling, same parameters), drops of its own prediction:");
            s.AppendLine();
            s.AppendLine("| k | top-attention drop | flips | random drop | flips | top / random |");
            s.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var verdict in Verdicts)
            {
                var top = Row(Uniform.Erasures, verdict.KFraction, ErasureStrategy.TopAttention);
                var random = Row(Uniform.Erasures, verdict.KFraction, ErasureStrategy.Random);
                double? ratio = random is { MeanDrop: > 0 } && top is not null ? top.MeanDrop / random.MeanDrop : null;
                s.AppendLine(string.Create(c, $"| {verdict.KFraction:P0} | {top?.MeanDrop:0.0000} | {top?.FlipRate:0.000} | {random?.MeanDrop:0.0000} | {random?.FlipRate:0.000} | {Ratio(ratio)} |"));
            }
        }
        if (Importance is { } imp)
        {
            s.AppendLine();
            s.AppendLine(string.Create(c, $"Rank correlation (Kendall tau-b, mean over {imp.Texts} texts{(imp.UndefinedTaus > 0 ? $", {imp.UndefinedTaus} undefined left out" : "")}):"));
            s.AppendLine();
            s.AppendLine("| attention vs leave-one-out | attention vs grad × input | attention vs \\|grad × input\\| | leave-one-out vs grad × input |");
            s.AppendLine("|---:|---:|---:|---:|");
            s.AppendLine(string.Create(c, $"| {imp.AttentionVsLeaveOneOut:0.000} | {imp.AttentionVsGradientTimesInput:0.000} | {imp.AttentionVsAbsGradientTimesInput:0.000} | {imp.LeaveOneOutVsGradientTimesInput:0.000} |"));
        }
        if (SeedSpread is { } spread)
        {
            s.AppendLine();
            s.AppendLine(string.Create(c, $"Seed spread ({spread.Models} models, {spread.Texts} texts): mean Jensen-Shannon divergence between two seeds' weights {spread.MeanJensenShannon:0.0000} ± {spread.StdJensenShannon:0.0000} nats (from uniform weights: {spread.MeanJensenShannonToUniform:0.0000}; max ln 2 = 0.693); accuracies {string.Join(", ", spread.Accuracies.Select(a => a.ToString("0.000", c)))}; all seeds agree on {spread.PredictionAgreement:P1} of predictions."));
        }
        s.AppendLine();
        s.AppendLine(AllHold
            ? string.Create(c, $"Verdict: erasing the top-k attended tokens drops the probability at least {TargetRatio:0.#}× more than erasing k random tokens at every k.")
            : string.Create(c, $"Verdict: the {TargetRatio:0.#}× goal is not met at k = {string.Join(", ", Verdicts.Where(v => !v.Holds).Select(v => v.KFraction.ToString("P0", c)))}."));
        s.AppendLine(string.Create(c, $"({Seconds:0.0} s)"));
        if (Eraser is not null)
        {
            s.AppendLine();
            s.Append(Eraser.ToMarkdown());
        }
        return s.ToString();
    }

    private void AppendHeads(StringBuilder s, CultureInfo c)
    {
        var ks = HeadErasures.Select(h => h.KFraction).Distinct().OrderBy(k => k).ToArray();
        string target = TargetRatio.ToString("0.#", c);
        s.AppendLine();
        s.AppendLine("Per head: top-k by each head's weights vs k random tokens (mean drop / top ÷ random):");
        s.AppendLine();
        s.AppendLine("| head | " + string.Join(" | ", ks.Select(k => string.Create(c, $"k = {k:P0} | ≥ {target}×"))) + " |");
        s.AppendLine("|---:|" + string.Concat(ks.Select(_ => "---:|:---:|")));
        foreach (var head in HeadErasures.GroupBy(h => h.Head).OrderBy(g => g.Key))
        {
            var cells = ks.Select(k => head.FirstOrDefault(h => h.KFraction == k) is { } r
                ? string.Create(c, $"{r.TopDrop:0.0000} / {Ratio(r.Ratio)} | {(r.Holds ? "yes" : "no")}")
                : "| ");
            s.AppendLine($"| {head.Key + 1} | " + string.Join(" | ", cells) + " |");
        }
        s.AppendLine();
        var failing = HeadErasures.Where(h => !h.Holds).GroupBy(h => h.Head).OrderBy(g => g.Key)
            .Select(g => $"head {g.Key + 1} at k = {string.Join(", ", g.Select(h => h.KFraction.ToString("P0", c)))}").ToArray();
        s.AppendLine(failing.Length == 0
            ? $"Every head holds at every k: each head's top-k tokens drop the probability at least {target}× more than k random tokens."
            : $"Not every head holds the {target}× goal: {string.Join("; ", failing)}.");
    }

    // Each network alone: one row for its mean weights and one per head, top ÷ random at each k.
    private void AppendNetworks(StringBuilder s, CultureInfo c)
    {
        var ks = Verdicts.Select(v => v.KFraction).ToArray();
        s.AppendLine();
        s.AppendLine("Each network alone, with its own prediction and weights (top ÷ random):");
        s.AppendLine();
        s.AppendLine("| network | accuracy | weights | " + string.Join(" | ", ks.Select(k => string.Create(c, $"k = {k:P0}"))) + " |");
        s.AppendLine("|---|---:|---|" + string.Concat(ks.Select(_ => "---:|")));
        foreach (var (name, report) in Networks)
        {
            // Mean pooling's weights are uniform: its "top" tokens would be the text's first ones, so it gets no ratios.
            bool uniform = report.Pooling == PoolingKind.Mean;
            string Cells(Func<double, double?> ratioAt) => string.Join(" | ", ks.Select(k => Ratio(uniform ? null : ratioAt(k))));
            string weights = uniform ? "uniform (mean pooling)" : report.Heads > 1 ? "mean of heads" : "attention";
            s.AppendLine(string.Create(c, $"| {name} | {report.Accuracy:0.000} | {weights} | ")
                + Cells(k => report.Verdicts.FirstOrDefault(v => v.KFraction == k)?.Ratio) + " |");
            foreach (var head in report.HeadErasures.GroupBy(h => h.Head).OrderBy(g => g.Key))
                s.AppendLine($"| | | head {head.Key + 1} | " + Cells(k => head.FirstOrDefault(h => h.KFraction == k)?.Ratio) + " |");
        }
    }

    private static string Ratio(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a";

    private static ErasureResult? Row(IEnumerable<ErasureResult> rows, double k, ErasureStrategy strategy) =>
        rows.FirstOrDefault(r => r.KFraction == k && r.Strategy == strategy);

    private static PlotSeries SeriesOf(IEnumerable<ErasureResult> rows, ErasureStrategy strategy, bool uniform, string name) =>
        new(name, strategy, uniform, rows.Where(r => r.Strategy == strategy).OrderBy(r => r.KFraction)
            .Select(r => new PlotPoint(r.KFraction * 100, r.MeanDrop)).ToArray());

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
