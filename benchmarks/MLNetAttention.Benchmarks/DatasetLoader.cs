using MLNetAttention.Data;

namespace MLNetAttention.Benchmarks;

internal static class DatasetLoader
{
    /// <summary>The full split of a catalog dataset (fetched once into the cache), or a bundled sample for "sample:NAME".</summary>
    public static (List<TextExample> Train, List<TextExample> Test) Load(string name)
    {
        if (name.StartsWith("sample:", StringComparison.Ordinal))
        {
            string sample = name["sample:".Length..];
            return (BundledSamples.ReadTexts(sample + ".train").ToList(), BundledSamples.ReadTexts(sample + ".test").ToList());
        }
        var splits = DatasetCatalog.Fetch(name, log: Console.Error);
        return (splits.ReadTrain().ToList(), splits.ReadTest().ToList());
    }

    public static string ProfileName(string name) => name.StartsWith("sample:", StringComparison.Ordinal) ? name["sample:".Length..] : name;
}
