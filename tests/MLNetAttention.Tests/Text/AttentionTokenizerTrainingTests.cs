using MLNetAttention.Text;

namespace MLNetAttention.Tests.Text;

[TestClass]
public sealed class AttentionTokenizerTrainingTests
{
    private static readonly AttentionTokenizerOptions CharOnce = new() { Mode = TokenizationMode.Char, MinFrequency = 1 };

    [TestMethod]
    public void IdsAreOrderedByFrequencyThenFirstOccurrence()
    {
        // Counts: b 3, a 2, c 2, d 1, e 1; c ties with a but appears later, e ties with d but appears later.
        string[] corpus = ["d b a", "c b", "e a b c"];

        AttentionTokenizer tokenizer = AttentionTokenizer.Train(corpus, CharOnce);

        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "b", "a", "c", "d", "e" }, tokenizer.Vocabulary.ToArray());
        Assert.AreEqual(7, tokenizer.VocabularySize);
        Assert.AreEqual("b", tokenizer.IdToToken(2));
        Assert.IsTrue(tokenizer.TryGetId("e", out int id));
        Assert.AreEqual(6, id);
    }

    [TestMethod]
    public void TrainingIsDeterministic()
    {
        AttentionTokenizer first = AttentionTokenizer.Train(TestTexts.Sentences, CharOnce with { Mode = TokenizationMode.Mixed });
        AttentionTokenizer second = AttentionTokenizer.Train(TestTexts.Sentences, CharOnce with { Mode = TokenizationMode.Mixed });

        CollectionAssert.AreEqual(first.Vocabulary.ToArray(), second.Vocabulary.ToArray());
    }

    [TestMethod]
    public void RareTokensBecomeUnknown()
    {
        string[] corpus = ["aab", "abc", "aa"];

        AttentionTokenizer tokenizer = AttentionTokenizer.Train(corpus, CharOnce with { MinFrequency = 2 });

        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "a", "b" }, tokenizer.Vocabulary.ToArray());
        CollectionAssert.AreEqual(new[] { 3, 1, 2, 1 }, tokenizer.EncodeToIds("bcaz").ToArray());
        Assert.IsFalse(tokenizer.TryGetId("c", out _));
    }

    [TestMethod]
    public void DefaultOptionsMatchTheOriginal()
    {
        var options = new AttentionTokenizerOptions();

        Assert.AreEqual(TokenizationMode.Char, options.Mode);
        Assert.AreEqual(16, options.MinFrequency);
        Assert.AreEqual(0, options.MaxLength);
        Assert.AreEqual(LongTextHandling.Truncate, options.LongTextHandling);
        Assert.AreEqual(0, options.WindowStride);
    }

    [TestMethod]
    public void MixedModeLowercasesWordsInTheVocabulary()
    {
        AttentionTokenizer tokenizer = AttentionTokenizer.Train(["Good GOOD good", "good movie"], CharOnce with { Mode = TokenizationMode.Mixed });

        CollectionAssert.AreEqual(new[] { "<pad>", "<unk>", "good", "movie" }, tokenizer.Vocabulary.ToArray());
    }

    [TestMethod]
    public void MinFrequencyBelowOneIsRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => AttentionTokenizer.Train(["abc"], CharOnce with { MinFrequency = 0 }));

        Assert.AreEqual("options", error.ParamName);
        Assert.Contains("MinFrequency", error.Message);
    }

    [TestMethod]
    public void StrideLongerThanMaxLengthIsRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(
            () => AttentionTokenizer.Train(["abc"], CharOnce with { MaxLength = 4, WindowStride = 5 }));

        Assert.Contains("WindowStride", error.Message);
    }

    [TestMethod]
    public void EmptyCorpusIsRejected()
    {
        var empty = Assert.ThrowsExactly<ArgumentException>(() => AttentionTokenizer.Train([], CharOnce));
        var blank = Assert.ThrowsExactly<ArgumentException>(() => AttentionTokenizer.Train(["", "  \t\n"], CharOnce));

        Assert.AreEqual("corpus", empty.ParamName);
        Assert.Contains("The corpus has no tokens", empty.Message);
        Assert.Contains("The corpus has no tokens", blank.Message);
    }

    [TestMethod]
    public void CorpusWithoutFrequentTokensIsRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => AttentionTokenizer.Train(["abc"], CharOnce with { MinFrequency = 5 }));

        Assert.Contains("MinFrequency = 5", error.Message);
    }

    [TestMethod]
    public void NullTextInCorpusIsRejected()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => AttentionTokenizer.Train(["abc", null!], CharOnce));

        Assert.AreEqual("corpus", error.ParamName);
        Assert.Contains("Text 1", error.Message);
    }

    [TestMethod]
    public void CorpusIsReadOnce()
    {
        int enumerations = 0;
        IEnumerable<string> Corpus()
        {
            enumerations++;
            yield return "abc";
            yield return "abd";
        }

        AttentionTokenizer.Train(Corpus(), CharOnce);

        Assert.AreEqual(1, enumerations);
    }

    [TestMethod]
    public void WithOptionsKeepsTheVocabularyButNotAnotherMode()
    {
        AttentionTokenizer tokenizer = AttentionTokenizer.Train(["abc"], CharOnce);

        AttentionTokenizer limited = tokenizer.WithOptions(tokenizer.Options with { MaxLength = 2 });

        Assert.AreEqual(2, limited.Options.MaxLength);
        CollectionAssert.AreEqual(tokenizer.Vocabulary.ToArray(), limited.Vocabulary.ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => tokenizer.WithOptions(tokenizer.Options with { Mode = TokenizationMode.Mixed }));
    }
}
