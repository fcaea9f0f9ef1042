using System.IO.Compression;
using System.Text;

namespace MLNetAttention.Data;

/// <summary>
/// Small deterministic samples of the <see cref="DatasetCatalog"/> corpora embedded in the library, for demos and
/// tests that must run offline. Names are "&lt;dataset&gt;.train" and "&lt;dataset&gt;.test", for example
/// "imdb.train"; see data/README.md for sizes and how they are regenerated. Most are stored as JSON Lines; the
/// couplet training sample stores only its couplets, Brotli-compressed, and makes its pairs when read.
/// </summary>
public static class BundledSamples
{
    private const string Prefix = "MLNetAttention.Samples.";
    private const string Extension = ".jsonl";

    /// <summary>The file extension of a sample stored as Brotli-compressed "line 1 TAB line 2" couplets.</summary>
    public const string CoupletExtension = ".tsv.br";

    private static readonly string[] Extensions = [Extension, CoupletExtension];

    /// <summary>The sample names, sorted (for example "couplet-match.test", "couplet-match.train", "imdb.test", ...).</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(BundledSamples).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && Extensions.Any(e => n.EndsWith(e, StringComparison.Ordinal)))
        .Select(n => n[Prefix.Length..^Extensions.First(e => n.EndsWith(e, StringComparison.Ordinal)).Length])
        .OrderBy(n => n, StringComparer.Ordinal)
        .ToArray();

    /// <summary>Opens a sample as JSON Lines (UTF-8). The caller disposes the stream.</summary>
    /// <param name="name">A name from <see cref="Names"/>, with or without the ".jsonl" extension.</param>
    /// <returns>A read-only stream.</returns>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid ones).</exception>
    public static Stream Open(string name)
    {
        string resource = ResourceName(name);
        if (!resource.EndsWith(CoupletExtension, StringComparison.Ordinal)) return OpenResource(resource);
        var buffer = new MemoryStream();
        Jsonl.Write(buffer, CoupletPairs(resource));
        buffer.Position = 0;
        return buffer;
    }

    /// <summary>The bytes a sample takes in the library (compressed where it is stored compressed).</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    public static long StoredSize(string name)
    {
        using var stream = OpenResource(ResourceName(name));
        return stream.Length;
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
        return resource.EndsWith(CoupletExtension, StringComparison.Ordinal)
            ? CoupletPairs(resource)
            : DataReaders.ReadJsonLinesPairs(() => Open(name), resource);
    }

    private static List<PairExample> CoupletPairs(string resource)
    {
        var couplets = new List<(string, string)>();
        using (var reader = new StreamReader(new BrotliStream(OpenResource(resource), CompressionMode.Decompress), Encoding.UTF8))
        {
            int lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                int tab = line.IndexOf('\t');
                if (tab <= 0 || tab == line.Length - 1)
                    throw new InvalidDataException($"{resource}:{lineNumber}: expected 'line 1<TAB>line 2'.");
                couplets.Add((line[..tab], line[(tab + 1)..]));
            }
        }
        return Corpora.CoupletPairs(couplets);
    }

    private static Stream OpenResource(string resource) =>
        typeof(BundledSamples).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing.");

    private static string ResourceName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string bare = name.EndsWith(Extension, StringComparison.OrdinalIgnoreCase) ? name[..^Extension.Length] : name;
        if (!Names.Contains(bare, StringComparer.Ordinal))
            throw new ArgumentException($"Unknown bundled sample '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
        var assembly = typeof(BundledSamples).Assembly;
        string stored = Prefix + bare + CoupletExtension;
        return assembly.GetManifestResourceInfo(stored) is not null ? stored : Prefix + bare + Extension;
    }
}
