using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Visualization;

/// <summary>The dataset-level aggregate of attention weights, on hand-built predictions with exactly representable weights.</summary>
[TestClass]
public sealed class DatasetAttentionTests
{
    private static readonly string[] Labels = ["a", "b"];

    /// <summary>A prediction of <paramref name="label"/> whose tokens are found in <paramref name="text"/> left to right.</summary>
    private static ClassPrediction Prediction(string text, string label, params (string Token, float Weight)[] tokens) =>
        Prediction(text, label, tokens.Select(t => (t.Token, new[] { t.Weight })).ToArray());

    private static ClassPrediction Prediction(string text, string label, params (string Token, float[] Weights)[] tokens)
    {
        var weights = new List<TokenWeight>();
        int position = 0;
        foreach (var (token, perHead) in tokens)
        {
            int offset = text.IndexOf(token, position, StringComparison.Ordinal);
            Assert.IsGreaterThanOrEqualTo(0, offset, $"'{token}' is not in '{text}' after {position}");
            weights.Add(new TokenWeight(token, 2, offset, token.Length, perHead));
            position = offset + token.Length;
        }
        int index = Array.IndexOf(Labels, label);
        var probabilities = Labels.Select((_, i) => i == index ? 0.75f : 0.25f / (Labels.Length - 1)).ToArray();
        return new ClassPrediction
        {
            Text = text, Label = label, LabelIndex = index, Labels = Labels, Probabilities = probabilities, Tokens = weights,
            Heads = tokens.Length == 0 ? 1 : tokens[0].Weights.Length, TruncatedTokens = 0,
        };
    }

    // Class a: "x y x" (x .5, y .25, x .25) and "x z" (.5, .5); class b: "y z" (.75, .25).
    private static DatasetAttention ThreeTexts(DatasetAttentionOptions? options = null, bool withTruth = false)
    {
        var aggregate = new DatasetAttention(options);
        aggregate.Add(Prediction("x y x", "a", ("x", 0.5f), ("y", 0.25f), ("x", 0.25f)), withTruth ? "a" : null);
        aggregate.Add(Prediction("x z", "a", ("x", 0.5f), ("z", 0.5f)), withTruth ? "b" : null);
        aggregate.Add(Prediction("y z", "b", ("y", 0.75f), ("z", 0.25f)), withTruth ? "c" : null);
        return aggregate;
    }

    private static string[] Names(IEnumerable<TokenAttention> list) => list.Select(t => t.Token).ToArray();

    [TestMethod]
    public void TotalsCountsMeansAndTextsAreExactPerPredictedClass()
    {
        var summary = ThreeTexts().Summarize(ClassGrouping.Predicted, top: 10, minCount: 1);
        Assert.AreEqual(3, summary.Texts);
        Assert.AreEqual(0, summary.LabelledTexts);
        Assert.AreEqual(1, summary.Heads);
        Assert.IsFalse(summary.Approximate);
        CollectionAssert.AreEqual(Labels, summary.Classes.Select(c => c.Label).ToArray());

        var a = summary.Classes[0];
        Assert.AreEqual(2, a.Texts);
        Assert.AreEqual(5, a.Tokens);
        Assert.AreEqual(2.0, a.Mass, "each text's weights sum to 1");
        Assert.AreEqual(3, a.DistinctTokens);
        CollectionAssert.AreEqual(new[] { "x", "z", "y" }, Names(a.TokensByTotal));
        var x = a.TokensByTotal[0];
        Assert.AreEqual(3, x.Count);
        Assert.AreEqual(2, x.Texts, "x occurs twice in the first text");
        Assert.AreEqual(1.25, x.Total);
        Assert.AreEqual(1.25 / 3, x.Mean, 1e-12);
        CollectionAssert.AreEqual(new[] { 1.25 }, x.HeadTotals.ToArray());
        Assert.IsFalse(x.IsBigram);
        Assert.AreEqual(0.5, a.TokensByTotal[1].Total);
        Assert.AreEqual(0.25, a.TokensByTotal[2].Total);
        CollectionAssert.AreEqual(new[] { "z", "x", "y" }, Names(a.TokensByMean));
        Assert.IsEmpty(a.Heads, "single-head models have no per-head lists");

        var b = summary.Classes[1];
        Assert.AreEqual(1, b.Texts);
        CollectionAssert.AreEqual(new[] { "y", "z" }, Names(b.TokensByTotal));
        Assert.AreEqual(0.75, b.TokensByTotal[0].Total);
        Assert.AreEqual(summary.Texts, summary.Classes.Sum(c => c.Texts));
        Assert.AreEqual(3.0, summary.Classes.Sum(c => c.TokensByTotal.Sum(t => t.Total)), 1e-12, "with every token listed, the totals add up to the texts");
    }

    [TestMethod]
    public void BigramsAddBothWeightsOfAdjacentTokens()
    {
        var a = ThreeTexts().Summarize(ClassGrouping.Predicted, top: 10, minCount: 1).Classes[0];
        Assert.AreEqual(3, a.DistinctBigrams);
        CollectionAssert.AreEqual(new[] { "x z", "x y", "y x" }, Names(a.BigramsByTotal));
        CollectionAssert.AreEqual(new[] { 1.0, 0.75, 0.5 }, a.BigramsByTotal.Select(t => t.Total).ToArray());
        var xy = a.BigramsByTotal[1];
        Assert.IsTrue(xy.IsBigram);
        CollectionAssert.AreEqual(new[] { "x", "y" }, xy.Parts.ToArray());
        Assert.AreEqual(1, xy.Count);
        // The example spans both tokens and what lies between them.
        var example = xy.Examples.Single();
        Assert.AreEqual("x y", example.Text.Substring(example.Offset, example.Length));
        Assert.AreEqual(0.75f, example.Weight);

        var none = new DatasetAttention(new DatasetAttentionOptions { Bigrams = false });
        none.Add(Prediction("x y", "a", ("x", 0.5f), ("y", 0.5f)));
        var summary = none.Summarize(minCount: 1);
        Assert.AreEqual(0, summary.Classes[0].DistinctBigrams);
        Assert.IsEmpty(summary.Classes[0].BigramsByTotal);
    }

    [TestMethod]
    public void BigramsAreWrittenAsInTheTextWithASpaceOnlyWhereOneWas()
    {
        var aggregate = new DatasetAttention();
        aggregate.Add(Prediction("明月光", "a", ("明", 0.5f), ("月", 0.25f), ("光", 0.25f)));
        aggregate.Add(Prediction("it's fine", "a", ("it", 0.25f), ("'", 0.25f), ("s", 0.25f), ("fine", 0.25f)));
        var bigrams = aggregate.Summarize(minCount: 1).Classes[0].BigramsByTotal;
        CollectionAssert.AreEquivalent(new[] { "明月", "月光", "it'", "'s", "s fine" }, Names(bigrams));
        CollectionAssert.AreEqual(new[] { "s", "fine" }, bigrams.Single(b => b.Token == "s fine").Parts.ToArray());
    }

    [TestMethod]
    public void MinCountFiltersBothListsAndTopCutsThem()
    {
        var aggregate = ThreeTexts();
        var a = aggregate.Summarize(ClassGrouping.Predicted, top: 10, minCount: 2).Classes[0];
        CollectionAssert.AreEqual(new[] { "x" }, Names(a.TokensByTotal), "y and z occur once in class a");
        CollectionAssert.AreEqual(new[] { "x" }, Names(a.TokensByMean));
        Assert.IsEmpty(a.BigramsByTotal);
        Assert.AreEqual(3, a.DistinctTokens, "the filter is applied when listing, not when counting");

        var top1 = aggregate.Summarize(ClassGrouping.Predicted, top: 1, minCount: 1).Classes[0];
        CollectionAssert.AreEqual(new[] { "x" }, Names(top1.TokensByTotal));
        CollectionAssert.AreEqual(new[] { "z" }, Names(top1.TokensByMean));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => aggregate.Summarize(top: 0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => aggregate.Summarize(minCount: 0));
    }

    [TestMethod]
    public void TiesGoToMoreOccurrencesThenToTheTokenInOrdinalOrder()
    {
        var aggregate = new DatasetAttention();
        aggregate.Add(Prediction("q p r r", "a", ("q", 0.5f), ("p", 0.5f), ("r", 0), ("r", 0)));
        aggregate.Add(Prediction("s", "a", ("s", 1)));
        var a = aggregate.Summarize(minCount: 1).Classes[0];
        CollectionAssert.AreEqual(new[] { "s", "p", "q", "r" }, Names(a.TokensByTotal));
        CollectionAssert.AreEqual(new[] { "s", "p", "q", "r" }, Names(a.TokensByMean));
        aggregate.Add(Prediction("q", "a", ("q", 0)));
        a = aggregate.Summarize(minCount: 1).Classes[0];
        CollectionAssert.AreEqual(new[] { "s", "q", "p", "r" }, Names(a.TokensByTotal), "equal totals: q has two occurrences, p one");
    }

    [TestMethod]
    public void TrueLabelsGroupTextsByTheirGoldClassIncludingLabelsTheModelLacks()
    {
        var aggregate = ThreeTexts(withTruth: true);
        Assert.AreEqual(3, aggregate.LabelledTexts);
        var summary = aggregate.Summarize(ClassGrouping.True, top: 10, minCount: 1);
        Assert.AreEqual(ClassGrouping.True, summary.By);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, summary.Classes.Select(c => c.Label).ToArray(), "the model's labels, then the unknown true label");
        CollectionAssert.AreEqual(new[] { "x", "y" }, Names(summary.Classes[0].TokensByTotal));
        CollectionAssert.AreEqual(new[] { 0.75, 0.25 }, summary.Classes[0].TokensByTotal.Select(t => t.Total).ToArray());
        CollectionAssert.AreEqual(new[] { "x", "z" }, Names(summary.Classes[1].TokensByTotal), "the second text is predicted a but truly b");
        Assert.AreEqual(1, summary.Classes[2].Texts);
        var example = summary.Classes[1].TokensByTotal[0].Examples.Single();
        Assert.AreEqual("a", example.PredictedLabel);
        Assert.AreEqual("b", example.TrueLabel);
        Assert.AreEqual(0.75f, example.Probability);

        var predicted = aggregate.Summarize(ClassGrouping.Predicted, top: 10, minCount: 1);
        Assert.AreEqual(2, predicted.Classes[0].Texts, "the predicted grouping is kept alongside");
        Assert.ThrowsExactly<InvalidOperationException>(() => ThreeTexts().Summarize(ClassGrouping.True));
    }

    [TestMethod]
    public void MultiHeadModelsGetTotalsAndRankingsPerHead()
    {
        var aggregate = new DatasetAttention();
        // Head 1 looks at x, head 2 at y; the mean weight is the average of the heads.
        aggregate.Add(Prediction("x y", "a", ("x", new[] { 0.75f, 0.25f }), ("y", new[] { 0.25f, 0.75f })));
        aggregate.Add(Prediction("x y z", "a", ("x", new[] { 0.5f, 0f }), ("y", new[] { 0.25f, 0.5f }), ("z", new[] { 0.25f, 0.5f })));
        var summary = aggregate.Summarize(minCount: 1);
        Assert.AreEqual(2, summary.Heads);
        var a = summary.Classes[0];
        Assert.AreEqual(2.0, a.Mass);
        var x = a.TokensByTotal.Single(t => t.Token == "x");
        CollectionAssert.AreEqual(new[] { 1.25, 0.25 }, x.HeadTotals.ToArray());
        Assert.AreEqual(0.75, x.Total, "the mean over heads");
        Assert.AreEqual(0.625, x.HeadMean(0));
        Assert.AreEqual(0.125, x.HeadMean(1));
        Assert.HasCount(2, a.Heads);
        Assert.AreEqual(0, a.Heads[0].Head);
        CollectionAssert.AreEqual(new[] { "x", "y", "z" }, Names(a.Heads[0].TokensByTotal));
        CollectionAssert.AreEqual(new[] { "y", "z", "x" }, Names(a.Heads[1].TokensByTotal));
        CollectionAssert.AreEqual(new[] { "x", "y", "z" }, Names(a.Heads[0].TokensByMean), "y and z tie on the mean; y occurs twice");
        CollectionAssert.AreEqual(new[] { "x y", "y z" }, Names(a.Heads[1].BigramsByTotal));
        var yz = a.Heads[1].BigramsByTotal.Single(t => t.Token == "y z");
        CollectionAssert.AreEqual(new[] { 0.5, 1.0 }, yz.HeadTotals.ToArray());

        Assert.ThrowsExactly<ArgumentException>(() => aggregate.Add(Prediction("x", "a", ("x", 1f))), "a single-head prediction after two-head ones");
    }

    [TestMethod]
    public void ExamplesAreABoundedSampleOfDistinctTextsWithTheTokenLocated()
    {
        var aggregate = new DatasetAttention(new DatasetAttentionOptions { ExamplesPerEntry = 3, Seed = 7 });
        for (int i = 0; i < 50; i++)
            aggregate.Add(Prediction($"t{i} w w", "a", ($"t{i}", 0.5f), ("w", 0.25f), ("w", 0.25f)));
        var w = aggregate.Summarize(minCount: 1).Classes[0].TokensByTotal[0];
        Assert.AreEqual("w", w.Token);
        Assert.AreEqual(100, w.Count);
        Assert.AreEqual(50, w.Texts);
        Assert.HasCount(3, w.Examples);
        CollectionAssert.AllItemsAreUnique(w.Examples.Select(e => e.TextIndex).ToArray(), "one example per text");
        CollectionAssert.AreEqual(w.Examples.Select(e => e.TextIndex).Order().ToArray(), w.Examples.Select(e => e.TextIndex).ToArray(), "in stream order");
        Assert.IsTrue(w.Examples.Any(e => e.TextIndex >= 3), "a reservoir, not the first three texts");
        foreach (var e in w.Examples)
        {
            Assert.AreEqual("w", e.Text.Substring(e.Offset, e.Length));
            Assert.AreEqual($"t{e.TextIndex} w w", e.Text, "short texts are kept whole");
            Assert.IsFalse(e.CutBefore || e.CutAfter);
        }

        // The same stream and seed keep the same examples.
        var again = new DatasetAttention(new DatasetAttentionOptions { ExamplesPerEntry = 3, Seed = 7 });
        for (int i = 0; i < 50; i++)
            again.Add(Prediction($"t{i} w w", "a", ($"t{i}", 0.5f), ("w", 0.25f), ("w", 0.25f)));
        CollectionAssert.AreEqual(w.Examples.Select(e => e.TextIndex).ToArray(),
            again.Summarize(minCount: 1).Classes[0].TokensByTotal[0].Examples.Select(e => e.TextIndex).ToArray());

        var none = new DatasetAttention(new DatasetAttentionOptions { ExamplesPerEntry = 0 });
        none.Add(Prediction("x", "a", ("x", 1f)));
        Assert.IsEmpty(none.Summarize(minCount: 1).Classes[0].TokensByTotal[0].Examples);
    }

    [TestMethod]
    public void ExamplesOfLongTextsAreExcerptsAroundTheToken()
    {
        string text = string.Join(' ', Enumerable.Range(0, 40).Select(i => $"word{i}"));
        int offset = text.IndexOf("word20", StringComparison.Ordinal);
        var aggregate = new DatasetAttention(new DatasetAttentionOptions { ExampleContext = 20 });
        aggregate.Add(Prediction(text, "a", ("word20", 1f)));
        var e = aggregate.Summarize(minCount: 1).Classes[0].TokensByTotal[0].Examples.Single();
        Assert.IsTrue(e.CutBefore && e.CutAfter);
        Assert.IsLessThanOrEqualTo(20 * 2 + "word20".Length, e.Text.Length);
        Assert.AreEqual("word20", e.Text.Substring(e.Offset, e.Length));
        Assert.AreEqual(offset, e.Start + e.Offset, "Start places the excerpt in the text");
        Assert.AreEqual(text.Substring(e.Start, e.Text.Length), e.Text);
        Assert.IsFalse(e.Text.StartsWith(' ') || e.Text.EndsWith(' '), "cut at spaces, words whole: " + e.Text);
        StringAssert.StartsWith(e.Text, "word");
    }

    [TestMethod]
    public void TablesStayBoundedAndSayWhenTheyPruned()
    {
        var aggregate = new DatasetAttention(new DatasetAttentionOptions { MaxEntries = 16 });
        for (int i = 0; i < 500; i++)
            aggregate.Add(Prediction($"common rare{i}", "a", ("common", 0.5f), ($"rare{i}", 0.5f)));
        var summary = aggregate.Summarize(minCount: 1);
        var a = summary.Classes[0];
        Assert.IsLessThanOrEqualTo(16, a.DistinctTokens + a.DistinctBigrams, "the cap holds over all tables together");
        Assert.IsGreaterThan(0, a.PrunedTokens);
        Assert.IsGreaterThan(0, a.PrunedBigrams);
        Assert.AreEqual(1, a.LargestPrunedCount);
        Assert.IsTrue(summary.Approximate);
        Assert.AreEqual("common", a.TokensByTotal[0].Token);
        Assert.AreEqual(500, a.TokensByTotal[0].Count, "a frequent token is never dropped");
        Assert.AreEqual(250.0, a.TokensByTotal[0].Total);
        Assert.AreEqual(500.0, a.Mass, "class figures stay exact");
        StringAssert.Contains(DatasetAttentionReport.FormatTable(summary), "dropped to bound memory");

        Assert.IsFalse(ThreeTexts().Summarize().Approximate);
    }

    [TestMethod]
    public void StreamingManyTextsKeepsEveryTableUnderTheCap()
    {
        var random = new Random(3);
        var aggregate = new DatasetAttention(new DatasetAttentionOptions { MaxEntries = 1000 });
        for (int i = 0; i < 3000; i++)
        {
            var tokens = Enumerable.Range(0, 30).Select(_ => ($"w{random.Next(20_000)}", 1f / 30)).ToArray();
            aggregate.Add(Prediction(string.Join(' ', tokens.Select(t => t.Item1)), i % 3 == 0 ? "b" : "a", tokens), i % 2 == 0 ? "a" : "b");
        }
        var classes = new[] { ClassGrouping.Predicted, ClassGrouping.True }.SelectMany(by => aggregate.Summarize(by).Classes).ToList();
        Assert.HasCount(4, classes);
        Assert.IsLessThanOrEqualTo(1000, classes.Sum(c => c.DistinctTokens + c.DistinctBigrams), "all tables of both groupings together");
        Assert.IsGreaterThan(0, classes.Sum(c => c.PrunedBigrams));
        foreach (var c in classes) Assert.AreEqual(c.Texts, c.Mass, 1e-3);
    }

    [TestMethod]
    public void PredictionsOfAnotherModelAreRefused()
    {
        var aggregate = ThreeTexts();
        var other = new ClassPrediction
        {
            Text = "x", Label = "c", LabelIndex = 0, Labels = ["c", "d"], Probabilities = [1f, 0f],
            Tokens = [new TokenWeight("x", 2, 0, 1, [1f])], Heads = 1, TruncatedTokens = 0,
        };
        Assert.ThrowsExactly<ArgumentException>(() => aggregate.Add(other));
        Assert.AreEqual(3, aggregate.Texts, "nothing was added");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new DatasetAttention(new DatasetAttentionOptions { MaxEntries = 1 }));
    }

    [TestMethod]
    public void TableListsTotalsMeansAndCountsPerClassWithCjkAligned()
    {
        var aggregate = new DatasetAttention();
        aggregate.Add(Prediction("明月光", "a", ("明", 0.5f), ("月", 0.25f), ("光", 0.25f)));
        aggregate.Add(Prediction("月 moon", "a", ("月", 0.5f), ("moon", 0.5f)));
        string table = DatasetAttentionReport.FormatTable(aggregate.Summarize(minCount: 1));
        var lines = table.Split('\n');
        StringAssert.StartsWith(lines[0], "a (predicted) · 2 texts · 5 tokens, 4 distinct · total weight 2.000");
        StringAssert.Contains(table, "tokens by total (count ≥ 1)");
        StringAssert.Contains(table, "bigrams by mean (count ≥ 1)");
        var monthRow = lines.First(l => l.Contains(" 月 ", StringComparison.Ordinal));
        StringAssert.Contains(monthRow, "0.750  0.3750      2");
        StringAssert.Contains(table, "b (predicted) · 0 texts");
        // The separators of one block line up in terminal columns, CJK characters counting two.
        var block = lines.Skip(1).TakeWhile(l => l.Length > 0).ToList();
        var columns = block.Select(l => DatasetAttentionReport.DisplayWidth(l[..l.IndexOf('│')])).Distinct().ToList();
        Assert.HasCount(1, columns, string.Join("\n", block));
    }

    [TestMethod]
    public void JsonHasEveryClassWithItsListsAndExamples()
    {
        var summary = ThreeTexts(withTruth: true).Summarize(ClassGrouping.Predicted, top: 10, minCount: 1);
        using var json = JsonDocument.Parse(DatasetAttentionReport.ToJson(summary, new DatasetAttentionReportOptions { Title = "t", Description = "d" }));
        var root = json.RootElement;
        Assert.AreEqual("predicted", root.GetProperty("by").GetString());
        Assert.AreEqual(3, root.GetProperty("texts").GetInt32());
        Assert.AreEqual("d", root.GetProperty("description").GetString());
        var a = root.GetProperty("classes")[0];
        Assert.AreEqual("a", a.GetProperty("label").GetString());
        Assert.AreEqual(2.0, a.GetProperty("mass").GetDouble());
        var x = a.GetProperty("tokensByTotal")[0];
        Assert.AreEqual("x", x.GetProperty("token").GetString());
        Assert.AreEqual(1.25, x.GetProperty("total").GetDouble());
        Assert.AreEqual(3, x.GetProperty("count").GetInt32());
        Assert.IsFalse(x.TryGetProperty("headTotals", out _), "single head: no per-head figures");
        var example = x.GetProperty("examples")[0];
        Assert.AreEqual("x y x", example.GetProperty("text").GetString());
        Assert.AreEqual("a", example.GetProperty("truth").GetString());
        var bigram = a.GetProperty("bigramsByTotal")[0];
        Assert.AreEqual(2, bigram.GetProperty("parts").GetArrayLength());
    }

    [TestMethod]
    public void HtmlIsOfflineEscapedSortableAndHighlightsTheTokenInItsExamples()
    {
        var aggregate = new DatasetAttention();
        aggregate.Add(Prediction("<script>alert(1)</script> & more", "a", ("<script>alert(1)</script>", 0.75f), ("more", 0.25f)), "<b>gold</b>");
        aggregate.Add(Prediction("plain more", "b", ("plain", 0.5f), ("more", 0.5f)), "b");
        var summary = aggregate.Summarize(minCount: 1);
        string html = DatasetAttentionReport.ToHtml(summary, new DatasetAttentionReportOptions { Title = "<i>title</i>" });
        Assert.AreEqual(1, Regex.Matches(html, "<script", RegexOptions.IgnoreCase).Count, "only the page's own script");
        Assert.IsFalse(html.Contains("<b>gold"), "the true label was not escaped");
        Assert.IsFalse(html.Contains("<i>title"), "the title was not escaped");
        StringAssert.Contains(html, "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark> &amp; more");
        StringAssert.Contains(html, "<mark>more</mark>");
        StringAssert.Contains(html, "table class=\"sortable\"");
        StringAssert.Contains(html, "<th data-type=\"num\" class=\"sorted desc\">total</th>");
        StringAssert.Contains(html, "id=\"class-2\"");
        Assert.IsFalse(Regex.IsMatch(html, @"(src|href)=""(https?:)?//"), "nothing is fetched");
        Assert.IsFalse(Regex.IsMatch(html, @"\bNaN\b"));
    }

    [TestMethod]
    public void SvgAndPngChartsDrawABarPerTopToken()
    {
        var aggregate = new DatasetAttention();
        aggregate.Add(Prediction("明月光", "a", ("明", 0.5f), ("月", 0.25f), ("光", 0.25f)));
        aggregate.Add(Prediction("月下", "b", ("月", 0.5f), ("下", 0.5f)));
        var summary = aggregate.Summarize(minCount: 1);
        string svg = DatasetAttentionReport.ToSvg(summary, new DatasetAttentionReportOptions { Title = "poems & <dynasties>" });
        var document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.HasCount(5, document.Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "bar"), "three bars for a, two for b");
        StringAssert.Contains(svg, ">明</text>");
        StringAssert.Contains(svg, "poems &amp; &lt;dynasties&gt;");
        if (FontSet.FindCjkTypeface() is null) Assert.Inconclusive("no CJK font installed for the PNG");
        byte[] png = DatasetAttentionReport.ToPng(summary);
        CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png.Take(4).ToArray());
    }
}
