using MLNetAttention.Visualization;

namespace MLNetAttention.Tests.Visualization;

/// <summary>Small synthetic weighted texts for the visualisation tests (no model needed).</summary>
internal static class VisualizationSamples
{
    public const string Poem = "床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。";

    /// <summary>A two-head CJK poem, one token per character, with weights that differ by head.</summary>
    public static WeightedText TwoHeadPoem(string? truth = "tang", string predicted = "tang")
    {
        var spans = Enumerable.Range(0, Poem.Length).Select(i => (i, 1)).ToArray();
        var first = Softmax(spans.Select((_, i) => (float)Math.Sin(i * 0.7) * 2).ToArray());
        var second = Softmax(spans.Select((_, i) => i == 3 || i == 15 ? 3f : 0f).ToArray());
        return new WeightedText(Poem, spans, new[] { first, second }) { TrueLabel = truth, PredictedLabel = predicted, Probability = 0.83f };
    }

    /// <summary>A single-head English text split on spaces, with a rising weight per token.</summary>
    public static WeightedText English(string text, string? truth = "pos", string predicted = "neg", float[]? weights = null)
    {
        var spans = new List<(int, int)>();
        for (int i = 0; i < text.Length;)
        {
            if (text[i] == ' ') { i++; continue; }
            int start = i;
            while (i < text.Length && text[i] != ' ') i++;
            spans.Add((start, i - start));
        }
        weights ??= Softmax(spans.Select((_, i) => i * 0.4f).ToArray());
        return new WeightedText(text, spans, weights) { TrueLabel = truth, PredictedLabel = predicted, Probability = 0.61f };
    }

    public static float[] Softmax(float[] scores)
    {
        float max = scores.Max();
        var e = scores.Select(s => MathF.Exp(s - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    public static string TempDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlna-viz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }
}
