using System.Globalization;
using Microsoft.ML.Tokenizers;
using MLNetAttention.Text;

namespace MLNetAttention.Tests.Text;

[TestClass]
public sealed class AttentionTokenizerEncodingTests
{
    private static AttentionTokenizer Train(TokenizationMode mode, params string[] corpus) =>
        AttentionTokenizer.Train(corpus, new AttentionTokenizerOptions { Mode = mode, MinFrequency = 1 });

    private static (string Value, int Start, int Length)[] Tokens(Tokenizer tokenizer, string text) =>
        tokenizer.EncodeToTokens(text, out _)
            .Select(token => (token.Value, token.Offset.Start.Value, token.Offset.End.Value - token.Offset.Start.Value))
            .ToArray();

    [TestMethod]
    public void CharModeSplitsChineseIntoCharactersAndPunctuationAndSkipsSpaces()
    {
        const string text = "床前明月光， 疑是 地上霜。";
        AttentionTokenizer tokenizer = Train(TokenizationMode.Char, text);

        var tokens = Tokens(tokenizer, text);

        CollectionAssert.AreEqual(
            new[] { "床", "前", "明", "月", "光", "，", "疑", "是", "地", "上", "霜", "。" },
            tokens.Select(t => t.Value).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 12, 13 }, tokens.Select(t => t.Start).ToArray());
        Assert.IsTrue(tokens.All(t => t.Length == 1));
    }

    [TestMethod]
    public void CharModeKeepsCase()
    {
        AttentionTokenizer tokenizer = Train(TokenizationMode.Char, "Aa");

        CollectionAssert.AreEqual(new[] { "A", "a" }, Tokens(tokenizer, "Aa").Select(t => t.Value).ToArray());
        Assert.AreEqual(4, tokenizer.VocabularySize);
    }

    [TestMethod]
    public void MixedModeLowercasesWordsAndKeepsOffsetsIntoTheOriginal()
    {
        const string text = "Hello, 世界! ABC123 def";
        AttentionTokenizer tokenizer = Train(TokenizationMode.Mixed, text);

        var tokens = Tokens(tokenizer, text);

        var expected = new[]
        {
            ("hello", 0, 5), (",", 5, 1), ("世", 7, 1), ("界", 8, 1), ("!", 9, 1), ("abc123", 11, 6), ("def", 18, 3),
        };
        CollectionAssert.AreEqual(expected, tokens);
        Assert.AreEqual("ABC123", text[11..17]);
        CollectionAssert.AreEqual(new[] { "hello", ",", "世", "界", "!", "abc123", "def" }, tokenizer.Vocabulary.Skip(2).ToArray());
    }

    [TestMethod]
    public void MixedModeKeepsCombiningMarksAndOtherAlphabetsInTheWord()
    {
        const string text = "Cafe\u0301 ПРИВЕТ мир";
        AttentionTokenizer tokenizer = Train(TokenizationMode.Mixed, text);

        var tokens = Tokens(tokenizer, text);

        CollectionAssert.AreEqual(new[] { ("cafe\u0301", 0, 5), ("привет", 6, 6), ("мир", 13, 3) }, tokens);
    }

    [TestMethod]
    public void SurrogatePairIsOneTokenOfLengthTwo()
    {
        const string text = "a😀b 𠀋";   // 😀 and the extension-B ideograph 𠀋 are both surrogate pairs.
        foreach (TokenizationMode mode in Enum.GetValues<TokenizationMode>())
        {
            AttentionTokenizer tokenizer = Train(mode, text);

            var tokens = Tokens(tokenizer, text);

            CollectionAssert.AreEqual(new[] { ("a", 0, 1), ("😀", 1, 2), ("b", 3, 1), ("𠀋", 5, 2) }, tokens, mode.ToString());
        }
    }

    [TestMethod]
    public void EmojiSequencesAreOneToken()
    {
        const string family = "👨\u200D👩\u200D👧";
        const string thumbs = "👍🏽";
        const string heart = "❤\uFE0F";
        string text = $"ok{heart}{thumbs} {family}!";
        AttentionTokenizer tokenizer = Train(TokenizationMode.Mixed, text);

        var tokens = Tokens(tokenizer, text);

        CollectionAssert.AreEqual(
            new[] { ("ok", 0, 2), (heart, 2, 2), (thumbs, 4, 4), (family, 9, 8), ("!", 17, 1) },
            tokens);
    }

    [TestMethod]
    public void MixedWordsStopAtEmoji()
    {
        AttentionTokenizer tokenizer = Train(TokenizationMode.Mixed, "good😀Movie");

        CollectionAssert.AreEqual(new[] { ("good", 0, 4), ("😀", 4, 2), ("movie", 6, 5) }, Tokens(tokenizer, "good😀Movie"));
    }

    [TestMethod]
    public void OffsetsReproduceTheOriginalTextInBothModes()
    {
        foreach (TokenizationMode mode in Enum.GetValues<TokenizationMode>())
        {
            // Trained on half of the sentences so that the others contain unknown tokens too.
            AttentionTokenizer tokenizer = Train(mode, TestTexts.Sentences[..3]);
            foreach (string text in TestTexts.Sentences)
            {
                IReadOnlyList<EncodedToken> tokens = tokenizer.EncodeToTokens(text, out string? normalized);
                Assert.IsNull(normalized);

                int previousEnd = 0;
                foreach (EncodedToken token in tokens)
                {
                    (int start, int length) = token.Offset.GetOffsetAndLength(text.Length);
                    string original = text.Substring(start, length);
                    Assert.IsGreaterThanOrEqualTo(previousEnd, start, $"{mode}: tokens overlap in \"{text}\"");
                    Assert.IsTrue(string.IsNullOrWhiteSpace(text[previousEnd..start]), $"{mode}: text skipped before \"{original}\"");
                    Assert.IsFalse(original.Any(char.IsWhiteSpace), $"{mode}: whitespace in token \"{original}\"");
                    string expectedValue = token.Id == AttentionTokenizer.UnknownId
                        ? AttentionTokenizer.UnknownToken
                        : mode == TokenizationMode.Mixed ? original.ToLowerInvariant() : original;
                    Assert.AreEqual(expectedValue, token.Value, $"{mode}: value of \"{original}\" at {start}");
                    Assert.AreEqual(tokenizer.IdToToken(token.Id), token.Value);
                    previousEnd = start + length;
                }
                Assert.IsTrue(string.IsNullOrWhiteSpace(text[previousEnd..]), $"{mode}: text lost at the end of \"{text}\"");
            }
        }
    }

    [TestMethod]
    public void CharModeTokensAreTheTextElementsOfTheText()
    {
        AttentionTokenizer tokenizer = Train(TokenizationMode.Char, TestTexts.Sentences);
        foreach (string text in TestTexts.Sentences)
        {
            var elements = new List<(int, int)>();
            TextElementEnumerator enumerator = StringInfo.GetTextElementEnumerator(text);
            while (enumerator.MoveNext())
            {
                if (!string.IsNullOrWhiteSpace(enumerator.GetTextElement()))
                    elements.Add((enumerator.ElementIndex, enumerator.GetTextElement().Length));
            }

            CollectionAssert.AreEqual(elements, Tokens(tokenizer, text).Select(t => (t.Start, t.Length)).ToList(), text);
        }
    }

    [TestMethod]
    public void BaseClassApiWorks()
    {
        Tokenizer tokenizer = Train(TokenizationMode.Char, "床前明月光", "明月");
        const string text = "明月 光 床";

        IReadOnlyList<int> ids = tokenizer.EncodeToIds(text);

        CollectionAssert.AreEqual(new[] { 2, 3, 6, 4 }, ids.ToArray());
        Assert.AreEqual(4, tokenizer.CountTokens(text));
        Assert.AreEqual(4, tokenizer.CountTokens(text.AsSpan()));
        Assert.AreEqual("明月光床", tokenizer.Decode(ids));
        CollectionAssert.AreEqual(new[] { 2, 3 }, tokenizer.EncodeToIds(text, 2, out _, out int consumed).ToArray());
        Assert.AreEqual(2, consumed);
        Assert.AreEqual(4, tokenizer.GetIndexByTokenCount(text, 3, out _, out int count));
        Assert.AreEqual(3, count);
    }

    [TestMethod]
    public void DecodeSkipsPaddingAndSpacesMixedWords()
    {
        AttentionTokenizer tokenizer = Train(TokenizationMode.Mixed, "Hello world, 世界!");

        int[] ids = [.. tokenizer.EncodeToIds("hello WORLD, 世界! unseen"), AttentionTokenizer.PaddingId];

        Assert.AreEqual("hello world,世界!<unk>", tokenizer.Decode(ids));
        Assert.ThrowsExactly<InvalidOperationException>(() => tokenizer.Decode([tokenizer.VocabularySize]));
    }

    [TestMethod]
    public void DecodeIntoSpanReportsTooSmallDestination()
    {
        AttentionTokenizer tokenizer = Train(TokenizationMode.Mixed, "hello world");
        int[] ids = [2, 3];

        Span<char> small = stackalloc char[8];
        var tooSmall = tokenizer.Decode(ids, small, out int consumedSmall, out int writtenSmall);
        Span<char> large = stackalloc char[16];
        var done = tokenizer.Decode(ids, large, out int consumed, out int written);

        Assert.AreEqual(System.Buffers.OperationStatus.DestinationTooSmall, tooSmall);
        Assert.AreEqual(1, consumedSmall);
        Assert.AreEqual(5, writtenSmall);
        Assert.AreEqual(System.Buffers.OperationStatus.Done, done);
        Assert.AreEqual(2, consumed);
        Assert.AreEqual("hello world", large[..written].ToString());
    }
}
