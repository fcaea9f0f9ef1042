using System.Text;

namespace MLNetAttention.Visualization;

/// <summary>
/// The original's terminal view: each token in a foreground colour from white to dark red by its weight,
/// weights min-max normalised per text (times 0.99) and bucketed into 9 ANSI 256-colour codes.
/// </summary>
public static class AnsiRenderer
{
    /// <summary>The original's 9 xterm-256 colour codes, from white (lowest weight) to dark red (highest).</summary>
    public static readonly IReadOnlyList<int> Palette = new[] { 15, 224, 217, 210, 203, 9, 160, 124, 88 };

    private const string Reset = "\u001b[0m";

    /// <summary>
    /// Renders <paramref name="text"/> with the spans (offset, length) coloured by <paramref name="weights"/>;
    /// text between spans (spaces) is copied as is. With <paramref name="color"/> false, the plain text.
    /// </summary>
    public static string Render(string text, IReadOnlyList<(int Offset, int Length)> spans, IReadOnlyList<float> weights, bool color)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (spans.Count != weights.Count)
            throw new ArgumentException($"{spans.Count} spans but {weights.Count} weights.", nameof(weights));
        if (!color) return text;
        var buckets = Buckets(weights);
        var output = new StringBuilder(text.Length * 4);
        int position = 0;
        for (int i = 0; i < spans.Count; i++)
        {
            var (offset, length) = spans[i];
            if (offset < position || offset + length > text.Length)
                throw new ArgumentException($"Span {i} ({offset}, {length}) is out of order or outside the text.", nameof(spans));
            output.Append(text, position, offset - position);
            output.Append("\u001b[38;5;").Append(Palette[buckets[i]]).Append('m').Append(text, offset, length);
            position = offset + length;
        }
        output.Append(Reset).Append(text, position, text.Length - position);
        return output.ToString();
    }

    /// <summary>
    /// The palette index of each weight: (w - min) / (max - min) * 0.99 * 9, floored. Equal weights (the
    /// original divided by zero here and printed NaN) all get the lowest colour.
    /// </summary>
    public static int[] Buckets(IReadOnlyList<float> weights)
    {
        if (weights.Count == 0) return Array.Empty<int>();
        float min = weights.Min(), max = weights.Max();
        float range = max - min;
        var buckets = new int[weights.Count];
        if (!(range > 0) || float.IsNaN(range)) return buckets;
        for (int i = 0; i < weights.Count; i++)
            buckets[i] = Math.Clamp((int)((weights[i] - min) / range * 0.99f * Palette.Count), 0, Palette.Count - 1);
        return buckets;
    }

    /// <summary>
    /// Whether to colour output written to the console: not when NO_COLOR is set (https://no-color.org) or
    /// the output is redirected to a file or pipe.
    /// </summary>
    public static bool ShouldColor(bool outputRedirected) =>
        !outputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
}
