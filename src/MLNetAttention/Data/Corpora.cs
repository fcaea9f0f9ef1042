using System.Text;
using System.Text.RegularExpressions;

namespace MLNetAttention.Data;

/// <summary>A train/test split with the counts that explain how it was built.</summary>
internal sealed class Split<T>
{
    public List<T> Train { get; } = new();
    public List<T> Test { get; } = new();
    public List<KeyValuePair<string, int>> Stats { get; } = new();
    public void Stat(string key, int value) => Stats.Add(new(key, value));
    public int GetStat(string key) => Stats.First(s => s.Key == key).Value;
}

/// <summary>One selected poem: raw body (paragraphs joined), cleaned body, and dynasty label.</summary>
internal sealed record PoemText(string Raw, string Clean, string Label);

/// <summary>
/// The deterministic split builders behind <see cref="DatasetCatalog"/>. They take plain in-memory inputs so the
/// tests can run them on small synthetic corpora without the network.
/// </summary>
internal static partial class Corpora
{
    public const ulong Seed = 20240601;

    // ---------------------------------------------------------------- generic helpers

    /// <summary>Keeps the first row of each distinct text; a text seen with two labels is dropped entirely.</summary>
    public static List<TextExample> Dedupe(IEnumerable<TextExample> rows, out int duplicatesDropped, out int conflictingDropped)
    {
        var order = new List<string>();
        var labels = new Dictionary<string, (string Label, int Count, bool Conflict)>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            if (labels.TryGetValue(r.Text, out var v))
                labels[r.Text] = (v.Label, v.Count + 1, v.Conflict || v.Label != r.Label);
            else { labels[r.Text] = (r.Label, 1, false); order.Add(r.Text); }
        }
        duplicatesDropped = 0; conflictingDropped = 0;
        var result = new List<TextExample>(order.Count);
        foreach (string t in order)
        {
            var v = labels[t];
            if (v.Conflict) { conflictingDropped += v.Count; continue; }
            duplicatesDropped += v.Count - 1;
            result.Add(new TextExample(t, v.Label));
        }
        return result;
    }

    /// <summary>Per label (ordinal order): shuffle, put round(n * testFraction) in test; then shuffle each side.</summary>
    public static void Stratified<T>(IReadOnlyList<T> rows, Func<T, string> label, double testFraction, SplitMix64 rng, List<T> train, List<T> test)
    {
        foreach (var group in rows.GroupBy(label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.ToList();
            rng.Shuffle(items);
            int nTest = (int)Math.Round(items.Count * testFraction, MidpointRounding.AwayFromZero);
            test.AddRange(items.Take(nTest));
            train.AddRange(items.Skip(nTest));
        }
        rng.Shuffle(train);
        rng.Shuffle(test);
    }

    // ---------------------------------------------------------------- poetry

    [GeneratedRegex("([，。？！；：、])[，。？！；：、]+")]
    private static partial Regex PunctuationRun();

    private const string Stops = "，。？！；：、";
    private const string AllowedPunctuation = "，。";

    /// <summary>
    /// Removes transcription conventions: editorial notes in （…）/(…), 〔…〕 headings and 〖…〗 footnote marks are
    /// deleted (nesting handled); the brackets of [x] (characters supplied by the editors) are dropped, the
    /// character kept; the punctuation is normalised (？！ become 。 and ；：、 become ，, since the two editions
    /// punctuate differently) and the runs left behind collapse to one mark.
    /// </summary>
    public static string CleanPoem(string body)
    {
        var sb = new StringBuilder(body.Length);
        int depth = 0;
        foreach (char c in body)
        {
            if (c is '（' or '(' or '〔' or '〖') { depth++; continue; }
            if (c is '）' or ')' or '〕' or '〗') { if (depth > 0) depth--; continue; }
            if (depth > 0 || c is '[' or ']' or '［' or '］' || char.IsWhiteSpace(c)) continue;
            sb.Append(c switch { '？' or '！' => '。', '；' or '：' or '、' => '，', _ => c });
        }
        string s = PunctuationRun().Replace(sb.ToString(), "$1");
        return s.TrimStart(Stops.ToCharArray());
    }

    private static bool IsIdeograph(string s, int i, out int width)
    {
        width = 1;
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            int cp = char.ConvertToUtf32(c, s[i + 1]);
            return cp is >= 0x20000 and <= 0x3FFFF;
        }
        return c is >= '\u3400' and <= '\u9FFF' or >= '\uF900' and <= '\uFAFF' or '\u3007';
    }

    /// <summary>True when the cleaned text holds only ideographs, ， and 。 (no lacuna marks, no composed-character
    /// descriptions like {艹/尔}, no quotation or title marks left over from commentary, no digits) and at least 8
    /// ideographs.</summary>
    public static bool IsUsablePoem(string clean)
    {
        int ideographs = 0;
        for (int i = 0; i < clean.Length;)
        {
            if (IsIdeograph(clean, i, out int w) && clean[i] != '\u3007') { ideographs++; i += w; continue; }
            if (AllowedPunctuation.IndexOf(clean[i]) < 0) return false;
            i++;
        }
        return ideographs >= 8;
    }

    private static bool IsPureIdeographs(string s)
    {
        if (s.Length == 0) return false;
        for (int i = 0; i < s.Length;)
        {
            if (!IsIdeograph(s, i, out int w)) return false;
            i += w;
        }
        return true;
    }

    /// <summary>
    /// Selects poems for the dynasty task. Bodies are keyed by their cleaned text; unusable bodies are dropped, a
    /// key seen under both labels is dropped entirely, a key repeated under one label is kept once. Each label is
    /// shuffled (fixed seed) and its first perClassTest poems go to test, the next perClassTrain to train.
    /// </summary>
    public static Split<PoemText> BuildPoetry(IEnumerable<(string Label, string Body)> poems, int perClassTrain, int perClassTest, ulong seed = Seed)
    {
        var split = new Split<PoemText>();
        var byKey = new Dictionary<string, (PoemText First, HashSet<string> Labels, int Count)>(StringComparer.Ordinal);
        var order = new List<string>();
        int total = 0, empty = 0, unusable = 0;
        foreach (var (label, body) in poems)
        {
            total++;
            string raw = body.Trim();
            if (raw.Length == 0) { empty++; continue; }
            string clean = CleanPoem(raw);
            if (!IsUsablePoem(clean)) { unusable++; continue; }
            if (byKey.TryGetValue(clean, out var v)) { v.Labels.Add(label); byKey[clean] = (v.First, v.Labels, v.Count + 1); }
            else { byKey[clean] = (new PoemText(raw, clean, label), [label], 1); order.Add(clean); }
        }
        int cross = 0, repeats = 0;
        var perLabel = new SortedDictionary<string, List<PoemText>>(StringComparer.Ordinal);
        foreach (string key in order)
        {
            var v = byKey[key];
            if (v.Labels.Count > 1) { cross++; continue; }
            repeats += v.Count - 1;
            if (!perLabel.TryGetValue(v.First.Label, out var list)) perLabel[v.First.Label] = list = new();
            list.Add(v.First);
        }
        var rng = new SplitMix64(seed);
        int available = perLabel.Count == 0 ? 0 : perLabel.Values.Min(l => l.Count);
        int want = perClassTrain + perClassTest;
        int nTest = want <= available ? perClassTest : (int)Math.Round((double)available * perClassTest / want);
        int nTrain = Math.Min(perClassTrain, available - nTest);
        foreach (var (label, list) in perLabel)
        {
            split.Stat("usable_" + label, list.Count);
            rng.Shuffle(list);
            split.Test.AddRange(list.Take(nTest));
            split.Train.AddRange(list.Skip(nTest).Take(nTrain));
        }
        rng.Shuffle(split.Train);
        rng.Shuffle(split.Test);
        split.Stat("poems", total);
        split.Stat("empty", empty);
        split.Stat("unusable", unusable);
        split.Stat("in_both_dynasties", cross);
        split.Stat("repeats_within_dynasty", repeats);
        split.Stat("train_per_class", nTrain);
        split.Stat("test_per_class", nTest);
        return split;
    }

    /// <summary>The first two lines of a cleaned poem when both are pure ideographs of equal length 4..9.</summary>
    public static bool TryFirstCouplet(string clean, out string line1, out string line2)
    {
        line1 = line2 = "";
        var parts = clean.Split(Stops.ToCharArray(), StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length < 2) return false;
        line1 = parts[0]; line2 = parts[1];
        return line1.Length == line2.Length && line1.Length is >= 4 and <= 9 && IsPureIdeographs(line1) && IsPureIdeographs(line2);
    }

    /// <summary>
    /// Builds couplet matching from cleaned poem bodies. Eligible poems (see <see cref="TryFirstCouplet"/>, one per
    /// distinct first line) are shuffled; the first testPoems go to test, the next trainPoems to train. Every poem
    /// gives a positive (line 1, line 2, "1") and a negative (line 1, line 2 of another poem of the same split with
    /// the same length, "0"), so text1 alone carries no label signal.
    /// </summary>
    /// <param name="cleanBodies">Cleaned poem bodies.</param>
    /// <param name="trainPoems">Poems for the training split.</param>
    /// <param name="testPoems">Poems for the test split.</param>
    /// <param name="seed">The shuffle's seed.</param>
    /// <param name="allTrainPoems">
    /// When true, the training split is rebuilt from every eligible poem outside the test split (negatives drawn by
    /// a second stream, in the same way), while the test split stays exactly what <paramref name="trainPoems"/> gives.
    /// </param>
    public static Split<PairExample> BuildCouplets(IEnumerable<string> cleanBodies, int trainPoems, int testPoems, ulong seed = Seed, bool allTrainPoems = false)
    {
        var split = new Split<PairExample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var poems = new List<(string L1, string L2)>();
        int total = 0;
        foreach (string body in cleanBodies)
        {
            total++;
            if (TryFirstCouplet(body, out var l1, out var l2) && seen.Add(l1)) poems.Add((l1, l2));
        }
        var rng = new SplitMix64(seed ^ 0xC0C0);
        rng.Shuffle(poems);
        int nTest = poems.Count >= trainPoems + testPoems ? testPoems : (int)((long)poems.Count * testPoems / Math.Max(1, trainPoems + testPoems));
        var test = poems.Take(nTest).ToList();
        var train = poems.Skip(nTest).Take(trainPoems).ToList();
        int unmatched = Pairs(train, rng, split.Train) + Pairs(test, rng, split.Test);
        rng.Shuffle(split.Train);
        rng.Shuffle(split.Test);
        if (allTrainPoems)
        {
            // The test pairs above depend on the stream's state after the 20k-style training pairs; keep them and
            // redraw only the training side, from its own stream.
            train = poems.Skip(nTest).ToList();
            split.Train.Clear();
            var trainRng = new SplitMix64(seed ^ 0xF011);
            Pairs(train, trainRng, split.Train);
            unmatched = (train.Count - split.Train.Count / 2) + (test.Count - split.Test.Count / 2);
            trainRng.Shuffle(split.Train);
        }
        split.Stat("bodies", total);
        split.Stat("eligible_poems", poems.Count);
        split.Stat("train_poems", train.Count);
        split.Stat("test_poems", test.Count);
        split.Stat("poems_without_negative", unmatched);
        return split;
    }

    /// <summary>
    /// The pairs couplet-match builds from couplets (line 1, line 2): each gives its positive and a negative with the
    /// line 2 of another couplet of the same length, drawn with a stream seeded by <paramref name="seed"/>; the pairs
    /// are then shuffled. The bundled sample stores only its couplets and makes its pairs with this.
    /// </summary>
    public static List<PairExample> CoupletPairs(IEnumerable<(string Line1, string Line2)> couplets, ulong seed = Seed)
    {
        ArgumentNullException.ThrowIfNull(couplets);
        var rng = new SplitMix64(seed ^ 0x5A3B1E);
        var pairs = new List<PairExample>();
        Pairs(couplets.ToList(), rng, pairs);
        rng.Shuffle(pairs);
        return pairs;
    }

    private static int Pairs(List<(string L1, string L2)> poems, SplitMix64 rng, List<PairExample> output)
    {
        var byLength = poems.Select((p, i) => (p, i)).GroupBy(x => x.p.L2.Length).ToDictionary(g => g.Key, g => g.Select(x => x.i).ToArray());
        int unmatched = 0;
        for (int i = 0; i < poems.Count; i++)
        {
            var (l1, l2) = poems[i];
            var candidates = byLength[l2.Length];
            string? other = null;
            for (int attempt = 0; attempt < 20 && candidates.Length > 1; attempt++)
            {
                int j = candidates[rng.NextInt(candidates.Length)];
                if (j != i && poems[j].L2 != l2) { other = poems[j].L2; break; }
            }
            if (other is null) { unmatched++; continue; } // keep the split balanced: no negative, no positive
            output.Add(new PairExample(l1, l2, "1"));
            output.Add(new PairExample(l1, other, "0"));
        }
        return unmatched;
    }

    // ---------------------------------------------------------------- imdb

    [GeneratedRegex(@"<br\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex BreakTag();

    /// <summary>IMDB: &lt;br /&gt; becomes a newline, duplicate texts are kept once, then a stratified 50/50 split.</summary>
    public static Split<TextExample> BuildImdb(IEnumerable<TextExample> reviews, ulong seed = Seed)
    {
        var split = new Split<TextExample>();
        int total = 0;
        var rows = Dedupe(reviews.Select(r => { total++; return r with { Text = BreakTag().Replace(r.Text, "\n").Trim() }; })
            .Where(r => r.Text.Length > 0), out int dups, out int conflicts);
        Stratified(rows, r => r.Label, 0.5, new SplitMix64(seed ^ 0x1DB), split.Train, split.Test);
        split.Stat("reviews", total);
        split.Stat("duplicates_dropped", dups);
        split.Stat("conflicting_dropped", conflicts);
        return split;
    }

    // ---------------------------------------------------------------- spam

    /// <summary>Drops the RFC 822 header block except the Subject, which becomes the first line.</summary>
    public static string StripHeaders(string mail)
    {
        string m = mail.Replace("\r\n", "\n");
        int sep = m.IndexOf("\n\n", StringComparison.Ordinal);
        string headers = sep < 0 ? m : m[..sep];
        string body = sep < 0 ? "" : m[(sep + 2)..];
        string? subject = null;
        var lines = headers.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("Subject:", StringComparison.OrdinalIgnoreCase)) continue;
            var sb = new StringBuilder(lines[i]["Subject:".Length..].Trim());
            for (int k = i + 1; k < lines.Length && lines[k].Length > 0 && lines[k][0] is ' ' or '\t'; k++)
                sb.Append(' ').Append(lines[k].Trim());
            subject = sb.ToString();
            break;
        }
        body = body.Trim();
        return string.IsNullOrEmpty(subject) ? body : subject + "\n" + body;
    }

    /// <summary>Spam: headers stripped (Subject kept), exact duplicates kept once, stratified 80/20.</summary>
    public static Split<TextExample> BuildSpam(IEnumerable<TextExample> rawMails, ulong seed = Seed)
    {
        var split = new Split<TextExample>();
        int total = 0, empty = 0;
        var stripped = new List<TextExample>();
        foreach (var m in rawMails)
        {
            total++;
            string t = StripHeaders(m.Text);
            if (t.Length == 0) { empty++; continue; }
            stripped.Add(new TextExample(t, m.Label));
        }
        var rows = Dedupe(stripped, out int dups, out int conflicts);
        Stratified(rows, r => r.Label, 0.2, new SplitMix64(seed ^ 0x5BA), split.Train, split.Test);
        split.Stat("mails", total);
        split.Stat("empty", empty);
        split.Stat("duplicates_dropped", dups);
        split.Stat("conflicting_dropped", conflicts);
        return split;
    }
}
