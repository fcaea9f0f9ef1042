namespace MLNetAttention.Data;

public static partial class DatasetCatalog
{
    /// <summary>Text length cap for spam samples (longer mails are cut).</summary>
    internal const int SampleSpamChars = 900;

    /// <summary>Longest poem (cleaned text, in characters) taken into the poetry samples.</summary>
    internal const int SamplePoemChars = 48;

    /// <summary>Couplets in the training sample of couplet-match (each gives a positive and a negative pair): enough for the demo's matcher to learn the task.</summary>
    internal const int SampleCouplets = 100_000;

    /// <summary>Longest review taken into the IMDB samples.</summary>
    internal const int SampleReviewChars = 800;

    /// <summary>
    /// Writes the small samples embedded as <see cref="BundledSamples"/> into <paramref name="outputDirectory"/>
    /// ("&lt;dataset&gt;.train.jsonl" / ".test.jsonl"), fetching the full splits first. Each sample takes the
    /// first rows of its split file in order (the split is already shuffled), the same number per label:
    /// poetry-dynasty and poetry-dynasty-clean 3000/800 (the same poems, cleaned text at most 48 characters),
    /// imdb 400/100 (reviews of at most 800 characters), spam 400/100 (cut to 900 characters),
    /// couplet-match 100,000 couplets (200,000 pairs; from couplet-match-full) / 500 pairs. The output is deterministic; the repository keeps it in data/samples.
    /// </summary>
    /// <param name="outputDirectory">The directory to write to (created if needed).</param>
    /// <param name="cacheDirectory">The dataset cache; null for <see cref="DefaultCacheDirectory"/>.</param>
    /// <param name="log">Optional progress output.</param>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> WriteSamples(string outputDirectory, string? cacheDirectory = null, TextWriter? log = null)
    {
        Directory.CreateDirectory(outputDirectory);
        var written = new List<string>();
        void Write(string name, string split, IEnumerable<TextExample> rows)
        {
            string path = Path.Combine(outputDirectory, $"{name}.{split}.jsonl");
            Jsonl.Write(path, rows);
            written.Add(path);
            log?.WriteLine($"wrote {path} ({new FileInfo(path).Length:N0} bytes)");
        }

        var raw = Fetch("poetry-dynasty", cacheDirectory, log);
        var clean = Fetch("poetry-dynasty-clean", cacheDirectory, log);
        foreach (var (split, perLabel) in new[] { ("train", 1500), ("test", 400) })
        {
            var rawRows = split == "train" ? raw.ReadTrain() : raw.ReadTest();
            var cleanRows = split == "train" ? clean.ReadTrain() : clean.ReadTest();
            var pairs = Take(rawRows.Zip(cleanRows), p => p.Second.Label, p => p.Second.Text.Length <= SamplePoemChars, perLabel);
            Write("poetry-dynasty", split, pairs.Select(p => p.First));
            Write("poetry-dynasty-clean", split, pairs.Select(p => p.Second));
        }

        var imdb = Fetch("imdb", cacheDirectory, log);
        Write("imdb", "train", Take(imdb.ReadTrain(), r => r.Label, r => r.Text.Length <= SampleReviewChars, 200));
        Write("imdb", "test", Take(imdb.ReadTest(), r => r.Label, r => r.Text.Length <= SampleReviewChars, 50));

        var spam = Fetch("spam", cacheDirectory, log);
        static TextExample Cut(TextExample r) => r.Text.Length <= SampleSpamChars ? r : r with { Text = r.Text[..SampleSpamChars] };
        Write("spam", "train", Take(spam.ReadTrain(), r => r.Label, _ => true, 200).Select(Cut));
        Write("spam", "test", Take(spam.ReadTest(), r => r.Label, _ => true, 50).Select(Cut));

        // The couplet training sample stores only couplets (line 1, line 2), Brotli-compressed: three to four times
        // as many poems as pairs in JSONL would fit, and the matcher needs them. Its pairs are made when read
        // (Corpora.CoupletPairs). They come from couplet-match-full's training poems; the test sample is couplet-match's.
        var couplets = Fetch("couplet-match-full", cacheDirectory, log);
        var lines = couplets.ReadTrainPairs().Where(p => p.Label == "1").Take(SampleCouplets).Select(p => p.Text1 + "\t" + p.Text2 + "\n");
        string coupletPath = Path.Combine(outputDirectory, "couplet-match.train" + BundledSamples.CoupletExtension);
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(lines));
        var compressed = new byte[text.Length + 1024];
        if (!System.IO.Compression.BrotliEncoder.TryCompress(text, compressed, out int length, quality: 11, window: 24))
            throw new InvalidOperationException("Brotli could not compress the couplet sample.");
        File.WriteAllBytes(coupletPath, compressed.AsSpan(0, length).ToArray());
        written.Add(coupletPath);
        log?.WriteLine($"wrote {coupletPath} ({length:N0} bytes)");
        string testPath = Path.Combine(outputDirectory, "couplet-match.test.jsonl");
        Jsonl.Write(testPath, Take(couplets.ReadTestPairs(), p => p.Label, _ => true, 250));
        written.Add(testPath);
        log?.WriteLine($"wrote {testPath} ({new FileInfo(testPath).Length:N0} bytes)");
        return written;
    }

    /// <summary>The first rows (in order) that pass the filter, at most perLabel per label.</summary>
    internal static List<T> Take<T>(IEnumerable<T> rows, Func<T, string> label, Func<T, bool> keep, int perLabel)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<T>();
        foreach (var r in rows)
        {
            if (!keep(r)) continue;
            string l = label(r);
            int c = counts.GetValueOrDefault(l);
            if (c >= perLabel) continue;
            counts[l] = c + 1;
            result.Add(r);
        }
        return result;
    }
}
