namespace MLNetAttention;

/// <summary>What kept a model from loading, so that a caller (such as a command line) can add its own advice.</summary>
public enum ModelLoadProblem
{
    /// <summary>The file or directory is there but damaged, truncated, or its parts do not belong together.</summary>
    Damaged,
    /// <summary>The model directory does not exist.</summary>
    Missing,
    /// <summary>The file or directory is not an MLNetAttention model at all.</summary>
    NotAModel,
    /// <summary>It is an MLNetAttention model of the other kind (a matcher where a classifier was expected, or the reverse).</summary>
    WrongKind,
    /// <summary>A newer MLNetAttention wrote it.</summary>
    NewerVersion,
}

/// <summary>A model directory or file that cannot be loaded: the message says which file, what is wrong and how to fix it.</summary>
public sealed class ModelLoadException : IOException
{
    /// <summary>Creates the exception for a damaged model.</summary>
    public ModelLoadException(string path, string message, Exception? inner = null) : this(path, message, ModelLoadProblem.Damaged, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string path, string message, ModelLoadProblem problem, Exception? inner = null) : base($"{path}: {message}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file or directory that could not be loaded.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public ModelLoadProblem Problem { get; }
}
