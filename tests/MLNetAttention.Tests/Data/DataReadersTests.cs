using System.Text;
using MLNetAttention.Data;

namespace MLNetAttention.Tests.Data;

[TestClass]
public sealed class DataReadersTests
{
    private static readonly ReaderOptions Lenient = new() { Lenient = true };

    [TestMethod]
    public void LabelReviewCsv_ReadsQuotedFieldsWithCommasQuotesAndNewlines()
    {
        using var dir = new TempDir();
        string path = dir.Write("weibo.csv",
            "label,review\n" +
            "1,\"好，很好\"\n" +
            "0,\"他说\"\"不\"\"\n第二行\"\n" +
            "1,plain text\r\n");
        var rows = DataReaders.ReadLabelReviewCsv(path).ToList();
        Assert.HasCount(3, rows);
        Assert.AreEqual(new TextExample("好，很好", "1"), rows[0]);
        Assert.AreEqual(new TextExample("他说\"不\"\n第二行", "0"), rows[1]);
        Assert.AreEqual(new TextExample("plain text", "1"), rows[2]);
    }

    [TestMethod]
    public void LabelReviewCsv_ErrorAfterMultiLineRecordNamesTheRightLine()
    {
        using var dir = new TempDir();
        string path = dir.Write("h.csv", "label,review\n1,\"a\nb\nc\"\nx,bad label\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadLabelReviewCsv(path).ToList());
        Assert.AreEqual(5, e.LineNumber);
        Assert.AreEqual(SkipReason.InvalidLabel, e.Reason);
        StringAssert.StartsWith(e.Message, path + ":5: ");
        StringAssert.Contains(e.Message, "'x'");
    }

    [TestMethod]
    public void LabelReviewCsv_RemovesWeiboEmojiTagsOnlyWhenAsked()
    {
        using var dir = new TempDir();
        string path = dir.Write("w.csv", "label,review\n1,今天真开心[哈哈][good]！[ 不是标签 ]\n0,[怒]\n");
        Assert.AreEqual("今天真开心[哈哈][good]！[ 不是标签 ]", DataReaders.ReadLabelReviewCsv(path, Lenient).First().Text);

        var report = new ReadReport();
        var rows = DataReaders.ReadLabelReviewCsv(path, new ReaderOptions { Lenient = true, RemoveWeiboEmojiTags = true }, report).ToList();
        Assert.HasCount(1, rows);
        Assert.AreEqual("今天真开心！[ 不是标签 ]", rows[0].Text);
        Assert.AreEqual(1, report.RowsSkipped);
        Assert.AreEqual(1, report.SkippedByReason[SkipReason.EmptyText]);
        StringAssert.Contains(report.FirstSkipped[0].Message, "after removing Weibo emoji tags");
    }

    [TestMethod]
    public void LabelReviewCsv_UnclosedQuoteIsReportedAtRecordStart()
    {
        using var dir = new TempDir();
        string path = dir.Write("u.csv", "label,review\n1,ok\n0,\"never closed\n1,more\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadLabelReviewCsv(path).ToList());
        Assert.AreEqual(3, e.LineNumber);
        Assert.AreEqual(SkipReason.Malformed, e.Reason);
    }

    [TestMethod]
    public void Lcqmc_ReadsPairsAndSkipsHeader()
    {
        using var dir = new TempDir();
        string path = dir.Write("lcqmc.tsv", "text_a\ttext_b\tlabel\n喜欢打篮球的男生喜欢什么样的女生\t爱打篮球的男生喜欢什么样的女生\t1\n我手机丢了\t我想换个手机\t0\n");
        var rows = DataReaders.ReadLcqmc(path).ToList();
        Assert.HasCount(2, rows);
        Assert.AreEqual(new PairExample("我手机丢了", "我想换个手机", "0"), rows[1]);
    }

    [TestMethod]
    [DataRow("a\tb\t2\n", SkipReason.InvalidLabel, "'2'")]
    [DataRow("a\t\t1\n", SkipReason.EmptyText, "text2")]
    [DataRow(" \tb\t1\n", SkipReason.EmptyText, "text1")]
    [DataRow("a\tb\n", SkipReason.WrongColumnCount, "3 tab-separated columns")]
    [DataRow("a\tb\t1\tx\n", SkipReason.WrongColumnCount, "found 4")]
    public void Lcqmc_BadRowNamesFileAndLine(string badLine, SkipReason reason, string mentioned)
    {
        using var dir = new TempDir();
        string path = dir.Write("lcqmc.txt", "x\ty\t1\n" + badLine + "p\tq\t0\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadLcqmc(path).ToList());
        Assert.AreEqual(path, e.FilePath);
        Assert.AreEqual(2, e.LineNumber);
        Assert.AreEqual(reason, e.Reason);
        StringAssert.StartsWith(e.Message, path + ":2: ");
        StringAssert.Contains(e.Message, mentioned);

        var report = new ReadReport();
        var rows = DataReaders.ReadLcqmc(path, Lenient, report).ToList();
        Assert.HasCount(2, rows);
        Assert.AreEqual(2, report.RowsRead);
        Assert.AreEqual(1, report.RowsSkipped);
        Assert.AreEqual(1, report.SkippedByReason[reason]);
        Assert.AreEqual(2, report.FirstSkipped[0].LineNumber);
    }

    [TestMethod]
    public void JsonLines_ReadsTextsAndPairs()
    {
        using var dir = new TempDir();
        string p1 = dir.Write("a.jsonl", "{\"text\":\"好\",\"label\":\"pos\"}\n\n{\"label\":1,\"text\":\"x\\ny\",\"extra\":[1]}\n");
        var report = new ReadReport();
        var rows = DataReaders.ReadJsonLines(p1, report: report).ToList();
        CollectionAssert.AreEqual(new[] { new TextExample("好", "pos"), new TextExample("x\ny", "1") }, rows);
        Assert.AreEqual(1, report.BlankLines);

        string p2 = dir.Write("b.jsonl", "{\"q1\":\"a\",\"q2\":\"b\",\"y\":\"1\"}\n");
        var pairs = DataReaders.ReadJsonLinesPairs(p2, "q1", "q2", "y").ToList();
        Assert.AreEqual(new PairExample("a", "b", "1"), pairs.Single());
        Assert.AreEqual(new PairExample("a", "b", "1"), DataReaders.ReadPairsAuto(dir.Write("c.jsonl", "{\"text1\":\"a\",\"text2\":\"b\",\"label\":1}\n")).Single());
    }

    [TestMethod]
    public void JsonLines_BadRowsNameFileLineAndFields()
    {
        using var dir = new TempDir();
        string path = dir.Write("bad.jsonl",
            "{\"text\":\"ok\",\"label\":\"a\"}\n" +
            "{\"txt\":\"oops\",\"label\":\"a\"}\n" +
            "{not json}\n" +
            "{\"text\":\"\",\"label\":\"a\"}\n" +
            "{\"text\":\"t\",\"label\":null}\n" +
            "[1,2]\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadJsonLines(path).ToList());
        Assert.AreEqual(2, e.LineNumber);
        StringAssert.Contains(e.Message, "missing field 'text'");
        StringAssert.Contains(e.Message, "'txt', 'label'");

        var report = new ReadReport();
        Assert.HasCount(1, DataReaders.ReadJsonLines(path, options: Lenient, report: report).ToList());
        Assert.AreEqual(5, report.RowsSkipped);
        Assert.AreEqual(2, report.SkippedByReason[SkipReason.Malformed]);
        Assert.AreEqual(1, report.SkippedByReason[SkipReason.MissingColumn]);
        Assert.AreEqual(1, report.SkippedByReason[SkipReason.EmptyText]);
        Assert.AreEqual(1, report.SkippedByReason[SkipReason.InvalidLabel]);
        CollectionAssert.AreEqual(new[] { 2, 3, 4, 5, 6 }, report.FirstSkipped.Select(s => s.LineNumber).ToArray());
        StringAssert.Contains(report.ToString(), "skipped 5 rows (");
        StringAssert.Contains(report.ToString(), "first: " + path + ":2");
    }

    [TestMethod]
    public void Delimited_NamedColumnsCsvAndTsv()
    {
        using var dir = new TempDir();
        string csv = dir.Write("d.csv", "id,Sentence,Label\n1,\"a, b\",x\n2,c,y\n");
        var rows = DataReaders.ReadDelimited(csv, "sentence", "label").ToList();
        CollectionAssert.AreEqual(new[] { new TextExample("a, b", "x"), new TextExample("c", "y") }, rows);

        string tsv = dir.Write("d.tsv", "label\ttext\nneg\tbad \"movie\n");
        Assert.AreEqual(new TextExample("bad \"movie", "neg"), DataReaders.ReadDelimited(tsv).Single());
        Assert.AreEqual(new TextExample("bad \"movie", "neg"), DataReaders.ReadAuto(tsv).Single());

        string pairs = dir.Write("p.csv", "text1,text2,label\nx,y,1\n");
        Assert.AreEqual(new PairExample("x", "y", "1"), DataReaders.ReadDelimitedPairs(pairs).Single());
    }

    [TestMethod]
    public void Delimited_MissingColumnListsTheColumnsFound()
    {
        using var dir = new TempDir();
        string csv = dir.Write("d.csv", "label,review\n1,x\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadDelimited(csv, "text", "label", options: Lenient).ToList());
        Assert.AreEqual(1, e.LineNumber);
        StringAssert.Contains(e.Message, "missing column 'text'");
        StringAssert.Contains(e.Message, "'label', 'review'");
        // ReadAuto knows the review column.
        Assert.AreEqual(new TextExample("x", "1"), DataReaders.ReadAuto(csv).Single());
    }

    [TestMethod]
    public void Delimited_WrongColumnCountIsAnError()
    {
        using var dir = new TempDir();
        string csv = dir.Write("d.csv", "text,label\na,b\nc,d,e\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadDelimited(csv).ToList());
        Assert.AreEqual(3, e.LineNumber);
        Assert.AreEqual(SkipReason.WrongColumnCount, e.Reason);
    }

    [TestMethod]
    public void TitleLabel_ReadsAndValidates()
    {
        using var dir = new TempDir();
        string path = dir.Write("t.txt", "\uFEFF马晓旭意外受伤\t体育\r\n\r\n股市大涨\t财经\r\n没有标签\r\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadTitleLabel(path).ToList());
        Assert.AreEqual(4, e.LineNumber);
        var report = new ReadReport();
        var rows = DataReaders.ReadAuto(path, Lenient, report).ToList();
        CollectionAssert.AreEqual(new[] { new TextExample("马晓旭意外受伤", "体育"), new TextExample("股市大涨", "财经") }, rows);
        Assert.AreEqual(1, report.BlankLines);
        Assert.AreEqual(1, report.SkippedByReason[SkipReason.WrongColumnCount]);
    }

    [TestMethod]
    public void ThucNews_TitleOnlyAndTruncatedFullText()
    {
        using var dir = new TempDir();
        dir.Write("THUCNews/体育/0.txt", "马晓旭意外受伤\n\n　　新浪体育讯　正文第一段。\n第二段很长很长很长。\n");
        dir.Write("THUCNews/财经/1.txt", "股市大涨\n正文\n");
        dir.Write("THUCNews/财经/notes.md", "ignored\n");
        string root = Path.Combine(dir.Path, "THUCNews");
        var titles = DataReaders.ReadThucNews(root).ToList();
        CollectionAssert.AreEqual(new[] { new TextExample("马晓旭意外受伤", "体育"), new TextExample("股市大涨", "财经") }, titles);

        var full = DataReaders.ReadThucNews(root, titleOnly: false, new ReaderOptions { MaxTextLength = 20 }).ToList();
        Assert.AreEqual("马晓旭意外受伤\n新浪体育讯　正文第一段。", full[0].Text[..20]);
        Assert.IsLessThanOrEqualTo(20, full[0].Text.Length);
        Assert.AreEqual("股市大涨\n正文", full[1].Text);
        Assert.AreEqual(2, DataReaders.ReadAuto(root).Count());
    }

    [TestMethod]
    public void ThucNews_EmptyTitleIsReported()
    {
        using var dir = new TempDir();
        string file = dir.Write("T/科技/3.txt", "\n正文\n");
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadThucNews(Path.Combine(dir.Path, "T")).ToList());
        Assert.AreEqual(file, e.FilePath);
        Assert.AreEqual(1, e.LineNumber);
    }

    [TestMethod]
    public void MissingFile_NamesItAndSuggestsDataFetch()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "train.jsonl");
        // Thrown eagerly, before enumeration.
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => DataReaders.ReadJsonLines(path));
        Assert.AreEqual(path, e.FileName);
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "data fetch");
        Assert.ThrowsExactly<FileNotFoundException>(() => DataReaders.ReadLabelReviewCsv(path));
        Assert.ThrowsExactly<FileNotFoundException>(() => DataReaders.ReadLcqmc(path));
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => DataReaders.ReadThucNews(path));
    }

    [TestMethod]
    public void InvalidUtf8_IsReportedOnItsLine()
    {
        using var dir = new TempDir();
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes("label,review\n1,好\n0,"));
        bytes.AddRange(new byte[] { 0xC3, 0x28, 0xFF }); // invalid sequences
        bytes.AddRange(Encoding.UTF8.GetBytes("\n1,fine\n"));
        string path = dir.WriteBytes("bad.csv", bytes.ToArray());

        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadLabelReviewCsv(path).ToList());
        Assert.AreEqual(3, e.LineNumber);
        Assert.AreEqual(SkipReason.InvalidUtf8, e.Reason);
        StringAssert.StartsWith(e.Message, path + ":3: invalid UTF-8 byte 0xC3");

        var report = new ReadReport();
        var rows = DataReaders.ReadLabelReviewCsv(path, Lenient, report).ToList();
        Assert.HasCount(2, rows);
        Assert.AreEqual($"read 2 rows; skipped 1 rows (1 invalid UTF-8); first: {path}:3", report.ToString());
    }

    [TestMethod]
    public void LongLine_IsAnErrorOrACountedSkip()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "long.jsonl");
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            w.WriteLine("{\"text\":\"short\",\"label\":\"a\"}");
            w.Write("{\"text\":\"");
            w.Write(new string('x', 1_100_000));
            w.WriteLine("\",\"label\":\"a\"}");
            w.WriteLine("{\"text\":\"after\",\"label\":\"b\"}");
        }
        var e = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadJsonLines(path).ToList());
        Assert.AreEqual(2, e.LineNumber);
        Assert.AreEqual(SkipReason.LineTooLong, e.Reason);
        StringAssert.Contains(e.Message, "MaxLineLength");

        var report = new ReadReport();
        var rows = DataReaders.ReadJsonLines(path, options: Lenient, report: report).ToList();
        CollectionAssert.AreEqual(new[] { "short", "after" }, rows.Select(r => r.Text).ToArray());
        Assert.AreEqual(1, report.SkippedByReason[SkipReason.LineTooLong]);

        // A larger limit accepts it.
        Assert.HasCount(3, DataReaders.ReadJsonLines(path, options: new ReaderOptions { MaxLineLength = 2_000_000 }).ToList());
    }

    [TestMethod]
    public void LongLine_CjkIsCountedInCharactersNotBytes()
    {
        using var dir = new TempDir();
        string path = dir.Write("c.tsv", new string('好', 50) + "\t1\n");
        // 50 characters are 150 bytes: a 60-character limit accepts the line.
        Assert.AreEqual(50, DataReaders.ReadTitleLabel(path, new ReaderOptions { MaxLineLength = 60 }).Single().Text.Length);
        Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadTitleLabel(path, new ReaderOptions { MaxLineLength = 40 }).ToList());
    }

    [TestMethod]
    public void Readers_StreamRowsBeforeReadingTheWholeFile()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "big.jsonl");
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            w.WriteLine("{\"text\":\"first\",\"label\":\"a\"}");
            for (int i = 0; i < 200_000; i++) w.WriteLine("this line is not JSON at all and would throw");
        }
        // The strict reader would throw on line 2; taking the first row must not get there.
        Assert.AreEqual("first", DataReaders.ReadJsonLines(path).First().Text);

        string csv = Path.Combine(dir.Path, "big.csv");
        using (var w = new StreamWriter(csv, false, new UTF8Encoding(false)))
        {
            w.WriteLine("label,review");
            w.WriteLine("1,first");
            for (int i = 0; i < 200_000; i++) w.WriteLine("not-a-label,x");
        }
        Assert.AreEqual("first", DataReaders.ReadLabelReviewCsv(csv).First().Text);
    }

    [TestMethod]
    public void DataFormatException_MessageHasFileLineProblemAndFix()
    {
        var e = new DataFormatException("f.csv", 12, SkipReason.EmptyText, "the text is empty", "Fill it in");
        Assert.AreEqual("f.csv:12: the text is empty. Fill it in", e.Message);
        Assert.IsInstanceOfType<FormatException>(e);
        Assert.AreEqual("f.csv: bad. Fix", new DataFormatException("f.csv", 0, SkipReason.Malformed, "bad", "Fix").Message);
    }
}
