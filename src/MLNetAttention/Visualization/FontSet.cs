using System.Globalization;
using System.Text;
using SkiaSharp;

namespace MLNetAttention.Visualization;

/// <summary>
/// The typefaces the PNG figures draw with: a CJK-capable sans-serif when one is installed (it covers Latin too),
/// otherwise the default typeface, with per-character fallback through the font manager. A CJK character no font
/// can draw is an error (<see cref="FontNotFoundException"/>), never a tofu box.
/// </summary>
internal sealed class FontSet
{
    private static readonly string[] CjkFamilies =
        ["Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Source Han Sans SC", "Source Han Sans CN",
         "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN", "Noto Serif CJK SC"];
    private static readonly string[] LatinFamilies = ["Noto Sans", "DejaVu Sans", "Liberation Sans", "Arial"];
    private static readonly string[] FontDirectories = ["/usr/share/fonts", "/usr/local/share/fonts", "/System/Library/Fonts", "/Library/Fonts", @"C:\Windows\Fonts"];
    private const int Probe = '漢';

    private static readonly Lazy<SKTypeface?> CjkRegular = new(() => FindCjk(SKFontStyle.Normal));
    private static readonly Lazy<SKTypeface?> CjkBold = new(() => FindCjk(SKFontStyle.Bold));
    private static readonly Lazy<SKTypeface> LatinRegular = new(() => FindLatin(SKFontStyle.Normal));
    private static readonly Lazy<SKTypeface> LatinBold = new(() => FindLatin(SKFontStyle.Bold));
    private static readonly Dictionary<(int, bool), SKTypeface?> Fallbacks = new();

    /// <summary>The CJK-capable typeface the figures use, or null when none is installed.</summary>
    public static SKTypeface? FindCjkTypeface() => CjkRegular.Value;

    public static FontSet Shared { get; } = new();

    private static SKTypeface Primary(bool bold) =>
        (bold ? CjkBold.Value ?? CjkRegular.Value : CjkRegular.Value) ?? (bold ? LatinBold.Value : LatinRegular.Value);

    /// <summary>The text split into runs that one typeface each can draw.</summary>
    public List<(string Text, SKTypeface Face)> Runs(string text, bool bold)
    {
        var runs = new List<(string, SKTypeface)>();
        var current = new StringBuilder();
        SKTypeface? face = null;
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Format or UnicodeCategory.Control) continue;
            var (drawn, typeface) = Resolve(rune, bold);
            if (face is not null && typeface != face)
            {
                runs.Add((current.ToString(), face));
                current.Clear();
            }
            face = typeface;
            current.Append(drawn);
        }
        if (face is not null && current.Length > 0) runs.Add((current.ToString(), face));
        return runs;
    }

    public float Measure(string text, float size, bool bold)
    {
        float width = 0;
        foreach (var (run, face) in Runs(text, bold))
        {
            using var font = Font(face, size);
            width += Width(font, run);
        }
        return width;
    }

    public void Draw(SKCanvas canvas, string text, float x, float y, float size, bool bold, Anchor anchor, SKPaint paint)
    {
        var runs = Runs(text, bold);
        var fonts = runs.Select(r => Font(r.Face, size)).ToList();
        try
        {
            float width = 0;
            for (int i = 0; i < runs.Count; i++) width += Width(fonts[i], runs[i].Text);
            x -= anchor switch { Anchor.Middle => width / 2, Anchor.End => width, _ => 0 };
            for (int i = 0; i < runs.Count; i++)
            {
                canvas.DrawText(runs[i].Text, x, y, fonts[i], paint);
                x += Width(fonts[i], runs[i].Text);
            }
        }
        finally
        {
            foreach (var font in fonts) font.Dispose();
        }
    }

    private static float Width(SKFont font, string text)
    {
        if (text.Length == 0) return 0;
        var glyphs = new ushort[text.Length];
        int count = font.CountGlyphs(text);
        if (count > glyphs.Length) glyphs = new ushort[count];
        font.GetGlyphs(text, glyphs);
        return font.MeasureText(glyphs.AsSpan(0, count));
    }

    private static SKFont Font(SKTypeface face, float size) =>
        new(face, size) { Edging = SKFontEdging.Antialias, Subpixel = true, Hinting = SKFontHinting.Slight };

    private static (string Drawn, SKTypeface Face) Resolve(Rune rune, bool bold)
    {
        var primary = Primary(bold);
        if (Rune.IsWhiteSpace(rune)) return (" ", primary);
        if (primary.ContainsGlyph(rune.Value)) return (rune.ToString(), primary);
        SKTypeface? fallback;
        lock (Fallbacks)
        {
            if (!Fallbacks.TryGetValue((rune.Value, bold), out fallback))
            {
                fallback = SKFontManager.Default.MatchCharacter(null, bold ? SKFontStyle.Bold : SKFontStyle.Normal, null, rune.Value);
                if (fallback is not null && !fallback.ContainsGlyph(rune.Value)) fallback = null;
                Fallbacks[(rune.Value, bold)] = fallback;
            }
        }
        if (fallback is not null) return (rune.ToString(), fallback);
        if (FigureLayout.IsWide(rune.Value))
            throw new FontNotFoundException(string.Create(CultureInfo.InvariantCulture,
                $"{FontNotFoundException.CjkMessage} The text has '{rune}' (U+{rune.Value:X4})."));
        // An emoji or rare symbol no installed font has: a visible replacement rather than an empty box.
        return (primary.ContainsGlyph('\uFFFD') ? "\uFFFD" : "?", primary);
    }

    private static SKTypeface? FindCjk(SKFontStyle style)
    {
        foreach (string family in CjkFamilies)
        {
            var face = SKTypeface.FromFamilyName(family, style);
            if (face is not null && string.Equals(face.FamilyName, family, StringComparison.OrdinalIgnoreCase) && face.ContainsGlyph(Probe))
                return face;
        }
        var matched = SKFontManager.Default.MatchCharacter(null, style, null, Probe);
        if (matched is not null && matched.ContainsGlyph(Probe)) return matched;
        // Font managers that do not scan the system (SkiaSharp's no-dependency Linux build) still open files.
        foreach (string directory in FontDirectories.Where(Directory.Exists))
        {
            IEnumerable<string> files;
            try
            {
                files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                    .Where(f => f.Contains("CJK", StringComparison.OrdinalIgnoreCase) && !f.Contains("Serif", StringComparison.OrdinalIgnoreCase)
                        && (f.Contains(style.Weight >= (int)SKFontStyleWeight.Bold ? "Bold" : "Regular", StringComparison.OrdinalIgnoreCase)))
                    .Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (string file in files)
            {
                // Noto Sans CJK collections hold JP, KR, SC, TC, HK; index 2 is Simplified Chinese.
                var face = SKTypeface.FromFile(file, 2) ?? SKTypeface.FromFile(file, 0);
                if (face is not null && face.ContainsGlyph(Probe)) return face;
            }
        }
        return null;
    }

    private static SKTypeface FindLatin(SKFontStyle style)
    {
        foreach (string family in LatinFamilies)
        {
            var face = SKTypeface.FromFamilyName(family, style);
            if (face is not null && string.Equals(face.FamilyName, family, StringComparison.OrdinalIgnoreCase)) return face;
        }
        return SKTypeface.FromFamilyName(null, style) ?? SKTypeface.Default;
    }
}
