using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Visualization;

[TestClass]
public sealed class AnsiRendererTests
{
    [TestMethod]
    public void BucketsSpanThePaletteFromLowestToHighestWeight()
    {
        var buckets = AnsiRenderer.Buckets(new[] { 0.1f, 0.5f, 0.2f, 0.9f });
        Assert.AreEqual(0, buckets[0]);
        Assert.AreEqual(8, buckets[3]); // 0.99 * 9 floors to 8: the darkest red, never out of range
        Assert.IsTrue(buckets[2] < buckets[1] && buckets[1] < buckets[3]);
    }

    [TestMethod]
    public void EqualWeightsDoNotDivideByZero()
    {
        CollectionAssert.AreEqual(new[] { 0, 0, 0 }, AnsiRenderer.Buckets(new[] { 0.25f, 0.25f, 0.25f }));
        string rendered = AnsiRenderer.Render("a b c", new[] { (0, 1), (2, 1), (4, 1) }, new[] { 1f / 3, 1f / 3, 1f / 3 }, color: true);
        StringAssert.Contains(rendered, "\u001b[38;5;15ma");
        Assert.IsFalse(rendered.Contains("NaN"));
    }

    [TestMethod]
    public void RenderColoursTokensAndKeepsTheTextBetweenThem()
    {
        string text = "床前 明月光";
        var spans = new[] { (0, 1), (1, 1), (3, 1), (4, 1), (5, 1) };
        var weights = new[] { 0.1f, 0.1f, 0.6f, 0.1f, 0.1f };
        string rendered = AnsiRenderer.Render(text, spans, weights, color: true);
        StringAssert.Contains(rendered, "\u001b[38;5;88m明"); // the heaviest token in dark red
        StringAssert.Contains(rendered, "前 \u001b"); // the space is kept, uncoloured
        string plain = System.Text.RegularExpressions.Regex.Replace(rendered, "\u001b\\[[0-9;]*m", "");
        Assert.AreEqual(text, plain);
        Assert.AreEqual(text, AnsiRenderer.Render(text, spans, weights, color: false));
    }
}
