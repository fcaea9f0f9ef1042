namespace MLNetAttention.Text;

/// <summary>
/// What happens to a text with more tokens than <see cref="AttentionTokenizerOptions.MaxLength"/>.
/// </summary>
public enum LongTextHandling
{
    /// <summary>Keep the first <see cref="AttentionTokenizerOptions.MaxLength"/> tokens and drop the rest ("post" truncation).</summary>
    Truncate,

    /// <summary>
    /// Split the text into windows of <see cref="AttentionTokenizerOptions.MaxLength"/> tokens that start
    /// <see cref="AttentionTokenizerOptions.WindowStride"/> tokens apart, so no token is lost.
    /// </summary>
    Window,
}
