namespace MLNetAttention.Data;

/// <summary>
/// Small deterministic samples of the <see cref="DatasetCatalog"/> corpora embedded in the library (JSON Lines),
/// for demos and tests that must run offline. Names are "&lt;dataset&gt;.train" and "&lt;dataset&gt;.test", for
/// example "imdb.train"; see data/README.md for sizes and how they are regenerated.
/// </summary>
public static class BundledSamples
{
    private const string Prefix = "MLNetAttention.Samples.";
    private const string Extension = ".jsonl";

    /// <summary>The sample names, sorted (for example "couplet-match.test", "couplet-match.train", "imdb.test", ...).</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(BundledSamples).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(Extension, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^Extension.Length])
        .OrderBy(n => n, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Opens a sample's JSONL bytes (UTF-8). The caller disposes the stream.</summary>
    /// <param name="name">A name from <see cref="Names"/>, with or without the ".jsonl" extension.</param>
    /// <returns>A read-only stream.</returns>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid ones).</exception>
    public static Stream Open(string name)
    {
        string resource = ResourceName(name);
        return typeof(BundledSamples).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing.");
    }

    /// <summary>Streams a classification sample ("poetry-dynasty.train", "imdb.test", "spam.train", ...).</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The examples.</returns>
    public static IEnumerable<TextExample> ReadTexts(string name)
    {
        string resource = ResourceName(name);
        return DataReaders.ReadJsonLines(() => Open(name), resource);
    }

    /// <summary>Streams a matching sample ("couplet-match.train", "couplet-match.test").</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The pairs.</returns>
    public static IEnumerable<PairExample> ReadPairs(string name)
    {
        string resource = ResourceName(name);
        return DataReaders.ReadJsonLinesPairs(() => Open(name), resource);
    }

    private static string ResourceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name.EndsWith(Extension, StringComparison.OrdinalIgnoreCase) ? name[..^Extension.Length] : name;
        if (!Names.Contains(bare, StringComparer.Ordinal))
            throw new ArgumentException($"Unknown bundled sample '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
        return Prefix + bare + Extension;
    }
}
