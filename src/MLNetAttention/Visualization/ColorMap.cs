using System.Globalization;

namespace MLNetAttention.Visualization;

/// <summary>How token weights are turned into colours.</summary>
public enum ColorTheme
{
    /// <summary>Matplotlib's viridis (dark purple = lowest weight, yellow = highest): perceptually uniform and readable in grey and by colour-blind readers.</summary>
    Viridis,

    /// <summary>Matplotlib's magma (black = lowest weight, pale yellow = highest): perceptually uniform.</summary>
    Magma,

    /// <summary>The original's look: 13 discrete steps from white (lowest weight) to dark red (highest).</summary>
    Original,
}

/// <summary>The colour maps of <see cref="ColorTheme"/> and the per-text weight normalisation they are applied to.</summary>
public static class ColorMap
{
    private static readonly string[] ViridisStops =
        ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"];

    private static readonly string[] MagmaStops =
        ["#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf"];

    // The original repository's 13-step red palette (its color.py), from near-white to dark red.
    private static readonly string[] OriginalStops =
        ["#f5f5ff", "#ffe0e0", "#ffb6b6", "#ff8d8d", "#ff6363", "#ff3939", "#ff1010", "#f20000", "#dd0000", "#c80000", "#b40000", "#9f0000", "#8a0000"];

    /// <summary>The theme's colour stops as "#rrggbb", from the lowest weight to the highest.</summary>
    public static IReadOnlyList<string> Stops(ColorTheme theme) => theme switch
    {
        ColorTheme.Viridis => ViridisStops,
        ColorTheme.Magma => MagmaStops,
        ColorTheme.Original => OriginalStops,
        _ => throw new ArgumentOutOfRangeException(nameof(theme), theme, "Unknown colour theme."),
    };

    /// <summary>
    /// The colour of a normalised weight <paramref name="t"/> in [0, 1] as "#rrggbb": interpolated between stops for
    /// the perceptual maps, bucketed like the original (floor(t * 0.99 * 13)) for <see cref="ColorTheme.Original"/>.
    /// NaN is treated as 0.
    /// </summary>
    public static string Hex(ColorTheme theme, double t)
    {
        var (r, g, b) = Rgb(theme, t);
        return string.Create(CultureInfo.InvariantCulture, $"#{r:x2}{g:x2}{b:x2}");
    }

    /// <summary>The colour of a normalised weight <paramref name="t"/> in [0, 1] as red, green and blue bytes.</summary>
    public static (byte R, byte G, byte B) Rgb(ColorTheme theme, double t)
    {
        var stops = Stops(theme);
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        if (theme == ColorTheme.Original)
            return Parse(stops[Math.Clamp((int)(t * 0.99 * stops.Count), 0, stops.Count - 1)]);
        double position = t * (stops.Count - 1);
        int low = Math.Min((int)position, stops.Count - 2);
        double f = position - low;
        var (r0, g0, b0) = Parse(stops[low]);
        var (r1, g1, b1) = Parse(stops[low + 1]);
        return (Mix(r0, r1, f), Mix(g0, g1, f), Mix(b0, b1, f));
    }

    /// <summary>Black or white, whichever reads better on <paramref name="background"/> ("#rrggbb").</summary>
    public static string TextColorOn(string background)
    {
        var (r, g, b) = Parse(background);
        double luminance = 0.2126 * Linear(r) + 0.7152 * Linear(g) + 0.0722 * Linear(b);
        return luminance > 0.18 ? "#000000" : "#ffffff";
    }

    /// <summary>
    /// Min-max normalises <paramref name="weights"/> to [0, 1] for colouring. Equal weights (or a single token) all
    /// map to 0 rather than dividing by zero; NaN weights map to 0.
    /// </summary>
    public static double[] Normalize(IReadOnlyList<float> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var result = new double[weights.Count];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (float w in weights)
        {
            if (float.IsNaN(w)) continue;
            min = Math.Min(min, w);
            max = Math.Max(max, w);
        }
        double range = max - min;
        if (!(range > 0) || double.IsInfinity(range)) return result;
        for (int i = 0; i < result.Length; i++)
            result[i] = float.IsNaN(weights[i]) ? 0 : Math.Clamp((weights[i] - min) / range, 0, 1);
        return result;
    }

    internal static (byte R, byte G, byte B) Parse(string hex) => (
        byte.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    private static byte Mix(byte a, byte b, double f) => (byte)Math.Round(a + (b - a) * f);

    private static double Linear(byte c)
    {
        double s = c / 255.0;
        return s <= 0.04045 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
    }
}
