using MLNetAttention.Text;

namespace MLNetAttention.Tests.Text;

[TestClass]
public sealed class AttentionTokenizerLongTextTests
{
    private const string Text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。";   // 24 tokens in Char mode

    private static AttentionTokenizer Train(AttentionTokenizerOptions? options = null) =>
        AttentionTokenizer.Train(TestTexts.Sentences, (options ?? new AttentionTokenizerOptions()) with { MinFrequency = 1 });

    [TestMethod]
    public void TruncationKeepsTheFirstTokensAndCountsTheDropped()
    {
        AttentionTokenizer tokenizer = Train();
        int[] all = [.. tokenizer.EncodeToIds(Text)];

        int[] ids = tokenizer.EncodeToIds(Text, 10, out int dropped);
        int[] whole = tokenizer.EncodeToIds(Text, 100, out int noneDropped);

        Assert.HasCount(24, all);
        CollectionAssert.AreEqual(all[..10], ids);
        Assert.AreEqual(14, dropped);
        CollectionAssert.AreEqual(all, whole);
        Assert.AreEqual(0, noneDropped);
    }

    [TestMethod]
    public void SpanEncodingPadsAfterTheTokens()
    {
        AttentionTokenizer tokenizer = Train();
        int[] all = [.. tokenizer.EncodeToIds(Text)];
        int[] destination = Enumerable.Repeat(-1, 30).ToArray();

        int written = tokenizer.EncodeToIds(Text.AsSpan(), destination, out int dropped);
        int writtenShort = tokenizer.EncodeToIds(Text.AsSpan(), destination.AsSpan(0, 5), out int droppedShort);

        Assert.AreEqual(24, written);
        Assert.AreEqual(0, dropped);
        CollectionAssert.AreEqual(all[..5], destination[..5]);
        CollectionAssert.AreEqual(all[5..], destination[5..24]);
        CollectionAssert.AreEqual(new int[6], destination[24..]);
        Assert.AreEqual(5, writtenShort);
        Assert.AreEqual(19, droppedShort);
    }

    [TestMethod]
    public void TruncateOptionGivesOneWindowWithTheDroppedCount()
    {
        AttentionTokenizer tokenizer = Train(new AttentionTokenizerOptions { MaxLength = 10 });

        IReadOnlyList<TokenWindow> windows = tokenizer.EncodeWindows(Text);

        Assert.HasCount(1, windows);
        Assert.HasCount(10, windows[0].Ids);
        Assert.AreEqual(24, windows[0].TextTokenCount);
        Assert.AreEqual(14, windows[0].DroppedTokenCount);
        Assert.AreEqual(new Range(9, 10), windows[0].Offsets[9]);
    }

    [TestMethod]
    public void WindowsWithStrideEqualToMaxLengthCoverEveryTokenOnce()
    {
        AttentionTokenizer tokenizer = Train(new AttentionTokenizerOptions { MaxLength = 10, LongTextHandling = LongTextHandling.Window });
        var expected = tokenizer.EncodeToTokens(Text, out _);

        IReadOnlyList<TokenWindow> windows = tokenizer.EncodeWindows(Text);

        CollectionAssert.AreEqual(new[] { 10, 10, 4 }, windows.Select(w => w.Ids.Length).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 10, 20 }, windows.Select(w => w.FirstTokenIndex).ToArray());
        CollectionAssert.AreEqual(expected.Select(t => t.Id).ToArray(), windows.SelectMany(w => w.Ids).ToArray());
        CollectionAssert.AreEqual(expected.Select(t => t.Offset).ToArray(), windows.SelectMany(w => w.Offsets).ToArray());
        Assert.IsTrue(windows.All(w => w.DroppedTokenCount == 0 && w.TextTokenCount == 24));
    }

    [TestMethod]
    public void OverlappingWindowsCoverEveryTokenAndEndAtTheLastOne()
    {
        AttentionTokenizer tokenizer = Train();
        int[] all = [.. tokenizer.EncodeToIds(Text)];

        IReadOnlyList<TokenWindow> windows = tokenizer.EncodeWindows(Text, maxLength: 10, stride: 7);

        CollectionAssert.AreEqual(new[] { 0, 7, 14 }, windows.Select(w => w.FirstTokenIndex).ToArray());
        foreach (TokenWindow window in windows)
            CollectionAssert.AreEqual(all[window.FirstTokenIndex..(window.FirstTokenIndex + window.Ids.Length)], window.Ids);
        Assert.AreEqual(24, windows[^1].FirstTokenIndex + windows[^1].Ids.Length);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => tokenizer.EncodeWindows(Text, maxLength: 10, stride: 11));
    }

    [TestMethod]
    public void ShortAndEmptyTextsGiveOneWindow()
    {
        AttentionTokenizer tokenizer = Train(new AttentionTokenizerOptions { MaxLength = 10, LongTextHandling = LongTextHandling.Window });

        IReadOnlyList<TokenWindow> shortText = tokenizer.EncodeWindows("明月");
        IReadOnlyList<TokenWindow> empty = tokenizer.EncodeWindows("  ");

        Assert.HasCount(1, shortText);
        Assert.HasCount(2, shortText[0].Ids);
        Assert.HasCount(1, empty);
        Assert.IsEmpty(empty[0].Ids);
    }

    [TestMethod]
    public void ChooseMaxLengthReportsTheLongestOrThePercentile()
    {
        AttentionTokenizer tokenizer = Train();
        string[] texts = Enumerable.Range(1, 20).Select(n => new string('月', n)).Reverse().ToArray();

        MaxLengthChoice longest = tokenizer.ChooseMaxLength(texts);
        MaxLengthChoice p95 = tokenizer.ChooseMaxLength(texts, 95);
        MaxLengthChoice median = tokenizer.ChooseMaxLength(texts, 50);

        Assert.AreEqual(20, longest.MaxLength);
        Assert.AreEqual(0, longest.TruncatedTextCount);
        Assert.AreEqual(19, p95.MaxLength);
        Assert.AreEqual(1, p95.TruncatedTextCount);
        Assert.AreEqual(10, median.MaxLength);
        Assert.AreEqual(10.5, median.MeanTokenCount, 1e-9);
        Assert.AreEqual(20, median.LongestTokenCount);
        Assert.AreEqual(20, median.TextCount);
        Assert.AreEqual("max length 19 (95th percentile; longest 20)", p95.ToString());
        Assert.AreEqual("max length 20 (longest text)", longest.ToString());
        Assert.AreEqual("max length 1 (1st percentile; longest 20)", tokenizer.ChooseMaxLength(texts, 1).ToString());
    }

    [TestMethod]
    public void ChooseMaxLengthRejectsBadArguments()
    {
        AttentionTokenizer tokenizer = Train();

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => tokenizer.ChooseMaxLength(["a"], 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => tokenizer.ChooseMaxLength(["a"], 100.5));
        Assert.ThrowsExactly<ArgumentException>(() => tokenizer.ChooseMaxLength([]));
    }
}
