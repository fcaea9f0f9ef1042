using MLNetAttention.Data;

namespace MLNetAttention.Training;

/// <summary>Precision, recall and F1 of one class.</summary>
/// <param name="Label">The class name.</param>
/// <param name="Precision">Correct predictions of the class over all predictions of it (0 when never predicted).</param>
/// <param name="Recall">Correct predictions of the class over its true examples.</param>
/// <param name="F1">Harmonic mean of precision and recall.</param>
/// <param name="Support">Number of true examples of the class.</param>
public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy, macro-F1, per-class scores and the confusion matrix of a classifier on labelled data.</summary>
public sealed class ClassificationMetrics
{
    /// <summary>Fraction of examples predicted correctly.</summary>
    public double Accuracy { get; init; }

    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; init; }

    /// <summary>Mean cross-entropy loss, when it was computed.</summary>
    public double? Loss { get; init; }

    /// <summary>Number of examples.</summary>
    public int Count { get; init; }

    /// <summary>Per-class precision, recall and F1, in label order.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; init; } = Array.Empty<ClassMetrics>();

    /// <summary>Confusion[true][predicted] counts, in label order.</summary>
    public int[][] Confusion { get; init; } = Array.Empty<int[]>();

    /// <summary>
    /// Computes the metrics of <paramref name="predicted"/> class indices (into <paramref name="labels"/>) against the
    /// labels of <paramref name="examples"/>, as a scorer that gives predictions (an exported ONNX model) is evaluated.
    /// </summary>
    /// <exception cref="ArgumentException">An example's label is not among <paramref name="labels"/> (the message names them).</exception>
    public static ClassificationMetrics Compute(IReadOnlyList<TextExample> examples, IReadOnlyList<int> predicted, IReadOnlyList<string> labels)
    {
        ThrowOnUnknownLabels(examples, labels, "test");
        var index = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        return Compute(examples.Select(e => index[e.Label]).ToArray(), predicted, labels);
    }

    /// <summary>Throws, naming them, when examples of <paramref name="setName"/> carry labels outside <paramref name="labels"/>.</summary>
    internal static void ThrowOnUnknownLabels(IEnumerable<TextExample> rows, IReadOnlyList<string> labels, string setName)
    {
        var known = labels.ToHashSet(StringComparer.Ordinal);
        var unknown = rows.Select(r => r.Label).Where(l => !known.Contains(l)).Distinct(StringComparer.Ordinal).Take(10).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"The {setName} set has labels never seen in training: {string.Join(", ", unknown.Select(l => $"'{l}'"))}. The model knows {string.Join(", ", labels.Select(l => $"'{l}'"))}.");
    }

    /// <summary>Computes the metrics from true and predicted class indices.</summary>
    public static ClassificationMetrics Compute(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<string> labels, double? loss = null)
    {
        if (truth.Count != predicted.Count)
            throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions.", nameof(predicted));
        int classes = labels.Count;
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        for (int i = 0; i < truth.Count; i++) confusion[truth[i]][predicted[i]]++;

        var perClass = new List<ClassMetrics>();
        for (int c = 0; c < classes; c++)
        {
            int correct = confusion[c][c];
            int support = confusion[c].Sum();
            int predictedAs = confusion.Sum(row => row[c]);
            double precision = predictedAs == 0 ? 0 : (double)correct / predictedAs;
            double recall = support == 0 ? 0 : (double)correct / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(labels[c], precision, recall, f1, support));
        }
        int total = truth.Count;
        return new ClassificationMetrics
        {
            Accuracy = total == 0 ? 0 : (double)Enumerable.Range(0, classes).Sum(c => confusion[c][c]) / total,
            MacroF1 = perClass.Count == 0 ? 0 : perClass.Average(m => m.F1),
            Loss = loss,
            Count = total,
            PerClass = perClass,
            Confusion = confusion,
        };
    }
}
