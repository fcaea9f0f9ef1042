namespace MLNetAttention;

/// <summary>A model directory or file that cannot be loaded: the message says which file, what is wrong and how to fix it.</summary>
public sealed class ModelLoadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string path, string message, Exception? inner = null) : base($"{path}: {message}", inner) => Path = path;

    /// <summary>The file or directory that could not be loaded.</summary>
    public string Path { get; }
}
