using System.Globalization;
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
    /// A cross-attention alignment as a compact grid: one row per token of the first sentence, one column per token
    /// of the second (headed by the tokens, or by their indices when a token is too wide for a column), each cell
    /// shaded by its weight min-max normalised over the grid, and each row ending with its best-aligned token and weight.
    /// With <paramref name="color"/>, cells are background colours from <see cref="Palette"/>; without, the shades
    /// " ░▒▓█" (no escape codes).
    /// </summary>
    /// <param name="tokens1">The first sentence's tokens (rows).</param>
    /// <param name="tokens2">The second sentence's tokens (columns).</param>
    /// <param name="alignment">The weights, [tokens1.Count, tokens2.Count].</param>
    /// <param name="color">Use ANSI background colours.</param>
    public static string RenderAlignment(IReadOnlyList<string> tokens1, IReadOnlyList<string> tokens2, float[,] alignment, bool color)
    {
        ArgumentNullException.ThrowIfNull(tokens1);
        ArgumentNullException.ThrowIfNull(tokens2);
        ArgumentNullException.ThrowIfNull(alignment);
        int rows = tokens1.Count, columns = tokens2.Count;
        if (alignment.GetLength(0) != rows || alignment.GetLength(1) != columns)
            throw new ArgumentException($"The alignment is {alignment.GetLength(0)} × {alignment.GetLength(1)} for {rows} × {columns} tokens.", nameof(alignment));
        var names1 = tokens1.Select(t => Clip(t, 12)).ToArray();
        var names2 = tokens2.Select(t => Clip(t, 12)).ToArray();
        // Columns two cells wide (one CJK character); wider tokens give way to their indices (mod 100) in the header.
        bool tokenHeader = names2.All(t => DisplayWidth(t) <= 2);
        int labelWidth = names1.Select(DisplayWidth).DefaultIfEmpty(0).Max();
        var all = new float[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) all[i * columns + j] = float.IsFinite(alignment[i, j]) ? alignment[i, j] : 0;
        var buckets = Buckets(all);
        const string shades = " ░▒▓█";

        var output = new StringBuilder();
        output.Append(' ', labelWidth + 1);
        for (int j = 0; j < columns; j++)
        {
            string head = tokenHeader ? names2[j] : (j % 100).ToString(CultureInfo.InvariantCulture);
            output.Append(head).Append(' ', Math.Max(0, 2 - DisplayWidth(head)));
        }
        if (!tokenHeader)
            output.Append("  (columns: tokens of text 2 by index)");
        for (int i = 0; i < rows; i++)
        {
            output.AppendLine();
            output.Append(names1[i]).Append(' ', labelWidth - DisplayWidth(names1[i]) + 1);
            int best = 0;
            for (int j = 0; j < columns; j++)
            {
                int bucket = buckets[i * columns + j];
                if (color) output.Append("\u001b[48;5;").Append(Palette[bucket]).Append("m  ");
                else output.Append(shades[bucket * shades.Length / Palette.Count], 2);
                if (alignment[i, j] > alignment[i, best]) best = j;
            }
            if (color) output.Append(Reset);
            output.Append(CultureInfo.InvariantCulture, $" → {names2[best]} {alignment[i, best]:0.00}");
        }
        return output.ToString();
    }

    // Terminal columns a string takes: East Asian wide characters take two.
    private static int DisplayWidth(string text)
    {
        int width = 0;
        foreach (var rune in text.EnumerateRunes()) width += FigureLayout.IsWide(rune.Value) ? 2 : rune.Value < 0x20 ? 0 : 1;
        return width;
    }

    private static string Clip(string token, int max)
    {
        string line = FigureLayout.OneLine(token);
        return line.Length <= max ? line : line[..(char.IsHighSurrogate(line[max - 2]) ? max - 2 : max - 1)] + "…";
    }

    /// <summary>
    /// Whether to colour output written to the console: not when NO_COLOR is set (https://no-color.org) or
    /// the output is redirected to a file or pipe.
    /// </summary>
    public static bool ShouldColor(bool outputRedirected) =>
        !outputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
}
