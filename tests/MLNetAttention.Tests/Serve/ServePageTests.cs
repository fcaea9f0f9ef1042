using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Visualization;

namespace MLNetAttention.Tests.Serve;

/// <summary>
/// The page at / in headless Chromium: given <c>?text=</c> it scores at once, and the DOM Chromium dumps holds one
/// coloured span per token with its weight and the predicted label, as the model in process has them.
/// </summary>
[TestClass]
public sealed partial class ServePageTests
{
    // Attribute values never hold a double quote in the serialised DOM; they may hold < and > (a token's title).
    [GeneratedRegex("<span class=\"t\" data-index=\"(\\d+)\" data-weight=\"([^\"]+)\"(?:\\s+[\\w-]+=\"[^\"]*\")*?\\s+style=\"background: rgb[^\"]*\"(?:\\s+[\\w-]+=\"[^\"]*\")*>([^<]*)</span>")]
    private static partial Regex TokenSpan();

    [GeneratedRegex("id=\"label\">([^<]*)<")]
    private static partial Regex Label();

    /// <summary>The DOM of <paramref name="url"/> after its scripts ran, or Inconclusive without Chromium.</summary>
    private static string DumpDom(string url) =>
        Chromium.DumpUrl(Chromium.Find() ?? throw new AssertInconclusiveException("Chromium is not installed (scripts/setup.sh installs it)."),
            url, virtualTimeBudgetMs: 10_000);

    // How a serialised DOM writes a text node.
    private static string Escaped(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static void AssertTokensAsInProcess(string dom, ClassPrediction expected, string what)
    {
        StringAssert.Contains(dom, "<body data-state=\"scored\">", what);
        Assert.AreEqual(expected.Label, Label().Match(dom).Groups[1].Value, what);
        var spans = TokenSpan().Matches(dom);
        Assert.HasCount(expected.Tokens.Count, spans, $"{what}: one coloured span per token");
        for (int i = 0; i < spans.Count; i++)
        {
            var token = expected.Tokens[i];
            Assert.AreEqual(i, int.Parse(spans[i].Groups[1].Value, CultureInfo.InvariantCulture));
            Assert.AreEqual(token.Weight, double.Parse(spans[i].Groups[2].Value, CultureInfo.InvariantCulture), 1e-6, $"{what}: token {i}");
            Assert.AreEqual(Escaped(expected.Text.Substring(token.Offset, token.Length)), spans[i].Groups[3].Value, $"{what}: token {i}");
        }
    }

    [TestMethod]
    public void ThePageGivenATextScoresItAndColoursEachTokenByItsWeight()
    {
        string model = ServeModels.Classifier;
        using var onnx = AttentionOnnxModel.Load(Path.Combine(model, "model.onnx"));
        using var server = ServeProcess.Start(model);
        string poem = ServeModels.Poems(1)[0];
        string dom = DumpDom(new Uri(server.BaseAddress, "/?text=" + Uri.EscapeDataString(poem)).AbsoluteUri);
        AssertTokensAsInProcess(dom, onnx.Predict(poem), "poem");
        StringAssert.Contains(dom, "data-label=\"tang\"", "one row per label's probability");
        StringAssert.Contains(dom, "data-label=\"song\"");

        // Text goes in as text: markup typed into the box is shown, never parsed.
        string markup = "床前<b>明月</b>光<img src=x onerror=alert(1)>";
        dom = DumpDom(new Uri(server.BaseAddress, "/?text=" + Uri.EscapeDataString(markup)).AbsoluteUri);
        AssertTokensAsInProcess(dom, onnx.Predict(markup), "markup");
        Assert.IsFalse(dom.Contains("<b>明", StringComparison.Ordinal) || dom.Contains("<img src=\"x\"", StringComparison.Ordinal), "no markup from the text became HTML");
    }

    [TestMethod]
    public void AMultiHeadModelGetsAHeadByTokenHeatmapAndAMatcherItsAlignment()
    {
        string multiHead = ServeModels.MultiHead;
        using (var onnx = AttentionOnnxModel.Load(multiHead))
        using (var server = ServeProcess.Start(multiHead))
        {
            string text = "床前明月光，疑是地上霜。";
            var expected = onnx.Predict(text);
            Assert.IsGreaterThan(1, expected.Heads);
            string dom = DumpDom(new Uri(server.BaseAddress, "/?text=" + Uri.EscapeDataString(text)).AbsoluteUri);
            AssertTokensAsInProcess(dom, expected, "multi-head");
            string heatmap = Regex.Match(dom, "<table class=\"grid\" id=\"heads\">.*?</table>", RegexOptions.Singleline).Value;
            Assert.AreEqual(expected.Heads * expected.Tokens.Count, Regex.Matches(heatmap, "<td ").Count, "one cell per head and token");
            Assert.AreEqual(expected.Heads, Regex.Matches(heatmap, "<th class=\"row\"").Count);
        }

        string matcher = ServeModels.CrossMatcher;
        using (var server = ServeProcess.Start(matcher))
        {
            string dom = DumpDom(new Uri(server.BaseAddress, "/?text1=" + Uri.EscapeDataString("床前明月光") + "&text2=" + Uri.EscapeDataString("疑是地上霜")).AbsoluteUri);
            StringAssert.Contains(dom, "<body data-state=\"scored\">");
            Assert.AreEqual(10, TokenSpan().Matches(dom).Count, "both sentences' tokens are coloured");
            var label = Label().Match(dom).Groups[1].Value;
            Assert.IsTrue(label is "match" or "no match", label);
            string alignment = Regex.Match(dom, "<table class=\"grid\" id=\"alignment\">.*?</table>", RegexOptions.Singleline).Value;
            Assert.AreEqual(25, Regex.Matches(alignment, "<td ").Count, "5 × 5 alignment cells");
        }
    }
}
