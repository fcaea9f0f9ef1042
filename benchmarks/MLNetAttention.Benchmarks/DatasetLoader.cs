using MLNetAttention.Data;

namespace MLNetAttention.Benchmarks;

internal static class DatasetLoader
{
    /// <summary>The full split of a catalog dataset (fetched once into the cache), or a bundled sample for "sample:NAME".</summary>
    public static (List<TextExample> Train, List<TextExample> Test) Load(string name)
    {
        var source = DataSources.Resolve(name, new ReaderOptions(), new ReadReport(), log: Console.Error);
        return (source.Train().ToList(), (source.Test ?? throw new ArgumentException($"'{name}' has no test split: name a dataset or sample:NAME.")).Invoke().ToList());
    }

    public static string ProfileName(string name) => name.StartsWith(DataSources.SamplePrefix, StringComparison.Ordinal) ? name[DataSources.SamplePrefix.Length..] : name;
}
