namespace MLNetAttention.Visualization;

/// <summary>No installed font can draw some of the text (typically Chinese, Japanese or Korean characters).</summary>
public sealed class FontNotFoundException : Exception
{
    /// <summary>The message for text with CJK characters and no CJK font.</summary>
    public const string CjkMessage = "No font with CJK glyphs was found; install fonts-noto-cjk (Debian/Ubuntu: sudo apt-get install fonts-noto-cjk).";

    /// <summary>Creates the exception with the default CJK message.</summary>
    public FontNotFoundException() : base(CjkMessage)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is missing and how to install it.</param>
    public FontNotFoundException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is missing and how to install it.</param>
    /// <param name="inner">The cause.</param>
    public FontNotFoundException(string message, Exception inner) : base(message, inner)
    {
    }
}
