using MLNetAttention.Data;

namespace MLNetAttention.Tests.Data;

[TestClass]
public sealed class SplitTests
{
    [TestMethod]
    public void SplitMix64_MatchesTheReferenceSequence()
    {
        // Reference values of Vigna's splitmix64.c for seed 0: fixed by the algorithm, not by .NET.
        var rng = new SplitMix64(0);
        Assert.AreEqual(0xE220A8397B1DCDAFUL, rng.Next());
        Assert.AreEqual(0x6E789E6AA1B965F4UL, rng.Next());
        Assert.AreEqual(0x06C45D188009454FUL, rng.Next());
        var a = new SplitMix64(42);
        var b = new SplitMix64(42);
        for (int i = 0; i < 100; i++) Assert.AreEqual(a.NextInt(7), b.NextInt(7));
    }

    [TestMethod]
    public void CleanPoem_RemovesTranscriptionConventions()
    {
        Assert.AreEqual("君任從之多所更。", Corpora.CleanPoem("君任（一作「往」）從之多所更。"));
        Assert.AreEqual("歲晏樂園林，維摩契道心。", Corpora.CleanPoem("歲[晏]樂園林，維摩契道心。"));
        Assert.AreEqual("方此謝塵纓。", Corpora.CleanPoem("方此謝塵纓。（見《安陽縣金石錄》。）（詩下原題（內）七字。）。"));
        Assert.AreEqual("蒐講上儀，式修毖祀。", Corpora.CleanPoem("〔圜鍾爲宮三奏〕蒐講上儀，式修毖祀。"));
        Assert.AreEqual("身中有道更求誰。誰。", Corpora.CleanPoem("身中有道更求誰？誰！"));
        Assert.IsFalse(Corpora.IsUsablePoem(Corpora.CleanPoem("聞道長溪尉，相留一館閑。□□□□□，尚隔幾重山。")));
        Assert.IsFalse(Corpora.IsUsablePoem(Corpora.CleanPoem("疲{艹/尔}竟何人，灑涕巴東峽。")));
        Assert.IsFalse(Corpora.IsUsablePoem("短句。"));
        Assert.IsTrue(Corpora.IsUsablePoem("秦川雄帝宅，函谷壯皇居。"));
    }

    private static List<(string, string)> SyntheticPoems()
    {
        var poems = new List<(string, string)>();
        // 60 Tang and 90 Song distinct bodies, a body under both dynasties, a repeat within Tang, a note-only difference.
        for (int i = 0; i < 60; i++) poems.Add(("tang", Body("唐", i)));
        for (int i = 0; i < 90; i++) poems.Add(("song", Body("宋", i)));
        poems.Add(("tang", "兩朝共有之詩句，兩朝共有之詩句。"));
        poems.Add(("song", "兩朝共有之詩句，兩朝共有之詩句。"));
        poems.Add(("tang", Body("唐", 0)));
        poems.Add(("song", Body("宋", 1) + "（一作某）"));
        poems.Add(("tang", "□□□□□，尚隔幾重山。"));
        poems.Add(("song", ""));
        return poems;
    }

    private static string Body(string prefix, int i)
    {
        string d = string.Concat(i.ToString("D3").Select(c => "零一二三四五六七八九"[c - '0']));
        return $"{prefix}{d}春風入，{prefix}{d}秋月明。";
    }

    [TestMethod]
    public void BuildPoetry_IsBalancedDisjointDeduplicatedAndDeterministic()
    {
        var split = Corpora.BuildPoetry(SyntheticPoems(), perClassTrain: 40, perClassTest: 10, seed: 7);
        Assert.AreEqual(1, split.GetStat("in_both_dynasties"));
        Assert.AreEqual(2, split.GetStat("repeats_within_dynasty"));
        Assert.AreEqual(1, split.GetStat("unusable"));
        Assert.AreEqual(1, split.GetStat("empty"));
        Assert.HasCount(80, split.Train);
        Assert.HasCount(20, split.Test);
        Assert.AreEqual(40, split.Train.Count(p => p.Label == "tang"));
        Assert.AreEqual(10, split.Test.Count(p => p.Label == "song"));
        Assert.IsFalse(split.Train.Concat(split.Test).Any(p => p.Clean.Contains("兩朝")));
        Assert.IsEmpty(split.Train.Select(p => p.Clean).Intersect(split.Test.Select(p => p.Clean)));
        Assert.AreEqual(100, split.Train.Concat(split.Test).Select(p => p.Clean).Distinct().Count());

        var again = Corpora.BuildPoetry(SyntheticPoems(), 40, 10, seed: 7);
        CollectionAssert.AreEqual(split.Train, again.Train);
        CollectionAssert.AreEqual(split.Test, again.Test);
        var other = Corpora.BuildPoetry(SyntheticPoems(), 40, 10, seed: 8);
        CollectionAssert.AreNotEqual(split.Train, other.Train);
    }

    [TestMethod]
    public void BuildPoetry_ScalesDownWhenAClassIsSmall()
    {
        var split = Corpora.BuildPoetry(SyntheticPoems(), perClassTrain: 400, perClassTest: 100, seed: 1);
        // 60 usable Tang poems: 12 test and 48 train per class.
        Assert.AreEqual(12, split.GetStat("test_per_class"));
        Assert.AreEqual(48, split.GetStat("train_per_class"));
        Assert.HasCount(96, split.Train);
    }

    [TestMethod]
    public void BuildCouplets_PairsAreBalancedSameLengthAndSplitByPoem()
    {
        var bodies = Enumerable.Range(0, 300).Select(i => Body(i % 2 == 0 ? "甲" : "乙乙", i)).ToList();
        bodies.Add("一二三四五，一二三四。"); // unequal lines: not eligible
        var split = Corpora.BuildCouplets(bodies, trainPoems: 200, testPoems: 50, seed: 3);
        Assert.AreEqual(300, split.GetStat("eligible_poems"));
        Assert.HasCount(400, split.Train);
        Assert.HasCount(100, split.Test);
        Assert.AreEqual(200, split.Train.Count(p => p.Label == "1"));
        Assert.AreEqual(50, split.Test.Count(p => p.Label == "0"));
        Assert.IsTrue(split.Train.Concat(split.Test).All(p => p.Text1.Length == p.Text2.Length));
        foreach (var neg in split.Train.Where(p => p.Label == "0"))
            Assert.IsFalse(split.Train.Any(p => p.Label == "1" && p.Text1 == neg.Text1 && p.Text2 == neg.Text2));
        Assert.IsEmpty(split.Train.Select(p => p.Text1).Intersect(split.Test.Select(p => p.Text1)));
        Assert.IsEmpty(split.Train.Select(p => p.Text2).Intersect(split.Test.Select(p => p.Text2)));
        CollectionAssert.AreEqual(split.Test, Corpora.BuildCouplets(bodies, 200, 50, seed: 3).Test);
    }

    [TestMethod]
    public void BuildImdb_DropsDuplicatesAndSplitsHalfPerLabel()
    {
        var reviews = Enumerable.Range(0, 100).Select(i => new TextExample($"review {i}<br /><br />end", i < 40 ? "neg" : "pos")).ToList();
        reviews.Add(new TextExample("review 3<br /><br />end", "neg"));
        reviews.Add(new TextExample("review 5<br/><br/>end", "neg"));
        var split = Corpora.BuildImdb(reviews, seed: 11);
        Assert.AreEqual(2, split.GetStat("duplicates_dropped"));
        Assert.HasCount(50, split.Train);
        Assert.HasCount(50, split.Test);
        Assert.AreEqual(20, split.Test.Count(r => r.Label == "neg"));
        Assert.IsEmpty(split.Train.Select(r => r.Text).Intersect(split.Test.Select(r => r.Text)));
        Assert.IsTrue(split.Train.All(r => r.Text.Contains("\n\n") && !r.Text.Contains("<br")));
        CollectionAssert.AreEqual(split.Train, Corpora.BuildImdb(reviews, seed: 11).Train);
    }

    [TestMethod]
    public void StripHeaders_KeepsOnlyTheSubjectThenTheBody()
    {
        string mail = "From x@y  Thu Aug 22 13:17:22 2002\r\nReturn-Path: <x@y>\r\nSubject: Life Insurance -\r\n\tWhy Pay More?\r\nDate: Wed\r\n\r\nBody line 1\r\n\r\nBody: line 2\r\n";
        Assert.AreEqual("Life Insurance - Why Pay More?\nBody line 1\n\nBody: line 2", Corpora.StripHeaders(mail));
        Assert.AreEqual("just body", Corpora.StripHeaders("From: a\nTo: b\n\njust body\n"));
    }

    [TestMethod]
    public void BuildSpam_DeduplicatesAfterStrippingAndSplitsStratified()
    {
        var mails = new List<TextExample>();
        for (int i = 0; i < 50; i++) mails.Add(new TextExample($"Received: {i}\nSubject: Offer {i % 25}\n\nBuy now", "spam"));
        for (int i = 0; i < 100; i++) mails.Add(new TextExample($"Received: {i}\nSubject: Meeting {i}\n\nSee you", "ham"));
        var split = Corpora.BuildSpam(mails, seed: 5);
        Assert.AreEqual(25, split.GetStat("duplicates_dropped"));
        Assert.AreEqual(5, split.Test.Count(r => r.Label == "spam"));
        Assert.AreEqual(20, split.Test.Count(r => r.Label == "ham"));
        Assert.HasCount(100, split.Train);
        Assert.IsTrue(split.Train.All(r => r.Text.StartsWith("Offer", StringComparison.Ordinal) || r.Text.StartsWith("Meeting", StringComparison.Ordinal)));
        Assert.IsEmpty(split.Train.Select(r => r.Text).Intersect(split.Test.Select(r => r.Text)));
    }

    [TestMethod]
    public void Dedupe_DropsTextsWithConflictingLabels()
    {
        var rows = Corpora.Dedupe([new("a", "1"), new("a", "1"), new("b", "1"), new("b", "0"), new("c", "0")], out int dups, out int conflicts);
        CollectionAssert.AreEqual(new[] { new TextExample("a", "1"), new TextExample("c", "0") }, rows);
        Assert.AreEqual(1, dups);
        Assert.AreEqual(2, conflicts);
    }
}
