using SkiaSharp;

namespace MLNetAttention.Visualization;

/// <summary>
/// The <see cref="SvgFigure"/> views rasterised with SkiaSharp at <see cref="FigureOptions.Scale"/> pixels per unit
/// (2 by default, for high-DPI screens and slides). CJK text is drawn with an installed CJK font (fonts-noto-cjk);
/// without one, text with CJK characters throws <see cref="FontNotFoundException"/> instead of drawing empty boxes.
/// </summary>
public static class PngFigure
{
    private const long MaxPixels = 120_000_000;

    /// <summary>The PNG bytes of one example.</summary>
    /// <param name="text">The example.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static byte[] Render(WeightedText text, FigureOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Render(new[] { text }, options);
    }

    /// <summary>The PNG bytes of several examples in a grid of <see cref="FigureOptions.Columns"/> columns.</summary>
    /// <param name="texts">The examples (at least one).</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static byte[] Render(IReadOnlyList<WeightedText> texts, FigureOptions? options = null)
    {
        var o = Check(options);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) throw new ArgumentException("No examples to draw.", nameof(texts));
        var fonts = FontSet.Shared;
        return Rasterize(FigureLayout.Frame(FigureLayout.Grid(texts, o, fonts.Measure), o, fonts.Measure), o.Scale, fonts);
    }

    /// <summary>
    /// The PNG bytes of a matched pair: both texts' weight rows, one above the other, and the alignment heatmap when the
    /// pair has an <see cref="WeightedPair.Alignment"/> and <see cref="FigureOptions.ShowHeatmap"/> is on.
    /// </summary>
    /// <param name="pair">The pair.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static byte[] Render(WeightedPair pair, FigureOptions? options = null)
    {
        var o = Check(options);
        ArgumentNullException.ThrowIfNull(pair);
        var fonts = FontSet.Shared;
        return Rasterize(FigureLayout.Frame(FigureLayout.Pair(pair, o, fonts.Measure), o, fonts.Measure), o.Scale, fonts);
    }

    /// <summary>Writes <see cref="Render(WeightedText, FigureOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .png file.</param>
    /// <param name="text">The example.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, WeightedText text, FigureOptions? options = null) => WriteBytes(path, Render(text, options));

    /// <summary>Writes <see cref="Render(IReadOnlyList{WeightedText}, FigureOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .png file.</param>
    /// <param name="texts">The examples.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, IReadOnlyList<WeightedText> texts, FigureOptions? options = null) => WriteBytes(path, Render(texts, options));

    /// <summary>Writes <see cref="Render(WeightedPair, FigureOptions?)"/> to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .png file.</param>
    /// <param name="pair">The pair.</param>
    /// <param name="options">Options; null for the defaults.</param>
    public static void Write(string path, WeightedPair pair, FigureOptions? options = null) => WriteBytes(path, Render(pair, options));

    private static void WriteBytes(string path, byte[] png) => AtomicFile.Write(path, stream => stream.Write(png));

    private static FigureOptions Check(FigureOptions? options)
    {
        var o = options ?? new FigureOptions();
        o.Validate();
        return o;
    }

    internal static byte[] Rasterize(Scene scene, float scale, FontSet fonts)
    {
        int width = Math.Max(1, (int)Math.Ceiling(scene.Width * scale)), height = Math.Max(1, (int)Math.Ceiling(scene.Height * scale));
        if ((long)width * height > MaxPixels)
            throw new ArgumentException($"The figure would be {width} × {height} pixels; draw fewer examples per image or lower the scale.");
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not create a {width} × {height} surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        canvas.Scale(scale);
        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = true };
        using var stroke = new SKPaint { Style = SKPaintStyle.Stroke, IsAntialias = true, StrokeJoin = SKStrokeJoin.Round };
        foreach (var shape in scene.Shapes)
        {
            switch (shape)
            {
                case RectShape r:
                    var rect = SKRect.Create(r.X, r.Y, r.Width, r.Height);
                    if (r.Fill != "none")
                    {
                        fill.Color = Color(r.Fill);
                        // Rectangles are not antialiased so adjacent slices and cells meet without seams.
                        fill.IsAntialias = false;
                        canvas.DrawRect(rect, fill);
                        fill.IsAntialias = true;
                    }
                    if (r.Stroke is not null)
                    {
                        stroke.Color = Color(r.Stroke);
                        stroke.StrokeWidth = 1;
                        canvas.DrawRect(rect, stroke);
                    }
                    break;
                case TextShape t:
                    fill.Color = Color(t.Fill);
                    if (t.Rotation != 0)
                    {
                        canvas.Save();
                        canvas.RotateDegrees(t.Rotation, t.X, t.Y);
                    }
                    fonts.Draw(canvas, t.Text, t.X, t.Y, t.Size, t.Bold, t.Anchor, fill);
                    if (t.Rotation != 0) canvas.Restore();
                    break;
                case LineShape l:
                    stroke.Color = Color(l.Stroke);
                    stroke.StrokeWidth = l.Width;
                    canvas.DrawLine(l.X1, l.Y1, l.X2, l.Y2, stroke);
                    break;
                case PolylineShape p when p.Points.Count > 1:
                    stroke.Color = Color(p.Stroke);
                    stroke.StrokeWidth = p.Width;
                    using (var path = new SKPath())
                    {
                        path.MoveTo(p.Points[0].X, p.Points[0].Y);
                        for (int i = 1; i < p.Points.Count; i++) path.LineTo(p.Points[i].X, p.Points[i].Y);
                        canvas.DrawPath(path, stroke);
                    }
                    break;
            }
        }
        canvas.Flush();
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static SKColor Color(string hex)
    {
        var (r, g, b) = ColorMap.Parse(hex);
        return new SKColor(r, g, b);
    }
}
