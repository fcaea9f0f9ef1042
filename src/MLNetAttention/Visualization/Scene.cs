namespace MLNetAttention.Visualization;

/// <summary>Horizontal text alignment around the x coordinate.</summary>
internal enum Anchor { Start, Middle, End }

internal abstract record Shape
{
    public abstract Shape Offset(float dx, float dy);
}

internal sealed record RectShape(float X, float Y, float Width, float Height, string Fill, string? Stroke = null, string? Title = null, string? Class = null) : Shape
{
    public override Shape Offset(float dx, float dy) => this with { X = X + dx, Y = Y + dy };
}

/// <summary>
/// Text whose baseline starts (or centres, or ends) at (X, Y), turned by <paramref name="Rotation"/> degrees clockwise
/// around that point (-90: reading upwards).
/// </summary>
internal sealed record TextShape(float X, float Y, string Text, float Size, string Fill, Anchor Anchor = Anchor.Start, bool Bold = false, float Rotation = 0) : Shape
{
    public override Shape Offset(float dx, float dy) => this with { X = X + dx, Y = Y + dy };
}

internal sealed record LineShape(float X1, float Y1, float X2, float Y2, string Stroke, float Width = 1) : Shape
{
    public override Shape Offset(float dx, float dy) => this with { X1 = X1 + dx, Y1 = Y1 + dy, X2 = X2 + dx, Y2 = Y2 + dy };
}

internal sealed record PolylineShape(IReadOnlyList<(float X, float Y)> Points, string Stroke, float Width, string? Title = null) : Shape
{
    public override Shape Offset(float dx, float dy) => this with { Points = Points.Select(p => (p.X + dx, p.Y + dy)).ToArray() };
}

/// <summary>A figure as a list of shapes, drawn the same way into SVG and PNG.</summary>
internal sealed class Scene
{
    public float Width { get; set; }
    public float Height { get; set; }
    public List<Shape> Shapes { get; } = new();

    public void Add(Shape shape) => Shapes.Add(shape);

    /// <summary>Copies <paramref name="other"/>'s shapes here, shifted, and grows this scene to hold them.</summary>
    public void Place(Scene other, float dx, float dy)
    {
        foreach (var shape in other.Shapes) Shapes.Add(shape.Offset(dx, dy));
        Width = Math.Max(Width, dx + other.Width);
        Height = Math.Max(Height, dy + other.Height);
    }
}

/// <summary>Measures the advance width of a string at a font size.</summary>
internal delegate float TextMeasure(string text, float size, bool bold);
