namespace MLNetAttention.Data;

/// <summary>What a dataset's rows are.</summary>
public enum DatasetKind
{
    /// <summary>Single texts with a class label (<see cref="TextExample"/>; JSONL fields text, label).</summary>
    Classify,
    /// <summary>Text pairs with a 0/1 match label (<see cref="PairExample"/>; JSONL fields text1, text2, label).</summary>
    Match,
}

/// <summary>A prepared train/test split on disk, as returned by <see cref="DatasetCatalog.Fetch"/>.</summary>
public sealed class DatasetSplits
{
    /// <summary>The catalog name (for example "imdb").</summary>
    public required string Name { get; init; }

    /// <summary>Path of the training JSONL file.</summary>
    public required string TrainPath { get; init; }

    /// <summary>Path of the test JSONL file.</summary>
    public required string TestPath { get; init; }

    /// <summary>Classification or matching.</summary>
    public required DatasetKind Kind { get; init; }

    /// <summary>The label values, in ordinal order (for example "neg", "pos").</summary>
    public required IReadOnlyList<string> LabelNames { get; init; }

    /// <summary>Rows in the training file.</summary>
    public required int TrainCount { get; init; }

    /// <summary>Rows in the test file.</summary>
    public required int TestCount { get; init; }

    /// <summary>Training rows per label.</summary>
    public required IReadOnlyDictionary<string, int> TrainLabelCounts { get; init; }

    /// <summary>Test rows per label.</summary>
    public required IReadOnlyDictionary<string, int> TestLabelCounts { get; init; }

    /// <summary>One paragraph: the source package, how the rows were cleaned, deduplicated and split, with counts.</summary>
    public required string Description { get; init; }

    /// <summary>Streams the training rows of a <see cref="DatasetKind.Classify"/> dataset.</summary>
    /// <returns>The rows.</returns>
    public IEnumerable<TextExample> ReadTrain() => Texts(TrainPath);

    /// <summary>Streams the test rows of a <see cref="DatasetKind.Classify"/> dataset.</summary>
    /// <returns>The rows.</returns>
    public IEnumerable<TextExample> ReadTest() => Texts(TestPath);

    /// <summary>Streams the training pairs of a <see cref="DatasetKind.Match"/> dataset.</summary>
    /// <returns>The pairs.</returns>
    public IEnumerable<PairExample> ReadTrainPairs() => Pairs(TrainPath);

    /// <summary>Streams the test pairs of a <see cref="DatasetKind.Match"/> dataset.</summary>
    /// <returns>The pairs.</returns>
    public IEnumerable<PairExample> ReadTestPairs() => Pairs(TestPath);

    private IEnumerable<TextExample> Texts(string path) => Kind == DatasetKind.Classify
        ? DataReaders.ReadJsonLines(path)
        : throw new InvalidOperationException($"{Name} is a matching dataset: use ReadTrainPairs/ReadTestPairs.");

    private IEnumerable<PairExample> Pairs(string path) => Kind == DatasetKind.Match
        ? DataReaders.ReadJsonLinesPairs(path)
        : throw new InvalidOperationException($"{Name} is a classification dataset: use ReadTrain/ReadTest.");

    /// <summary>The name, counts and description.</summary>
    /// <returns>A short multi-line summary.</returns>
    public override string ToString() =>
        $"{Name} ({Kind}): train {TrainCount} [{string.Join(", ", TrainLabelCounts.Select(kv => $"{kv.Key}={kv.Value}"))}], " +
        $"test {TestCount} [{string.Join(", ", TestLabelCounts.Select(kv => $"{kv.Key}={kv.Value}"))}]\n{Description}";
}
