using System.Globalization;

namespace MLNetAttention.Cli;

/// <summary>The size of a model on disk, as fastText users compare models: the whole directory, and its largest files.</summary>
internal static class ModelSize
{
    /// <summary>Bytes of a model directory (every file in it, checkpoints excluded) or of one .onnx file.</summary>
    public static long Bytes(string model) => File.Exists(model)
        ? new FileInfo(model).Length
        : Files(model).Sum(f => f.Length);

    /// <summary>e.g. "size 4.6 MB (model.onnx 2.3 MB, weights.bin 2.3 MB, vocab.json 0.1 MB, model.json 0.0 MB)".</summary>
    public static string Describe(string model)
    {
        var c = CultureInfo.InvariantCulture;
        if (File.Exists(model)) return string.Create(c, $"size {Megabytes(new FileInfo(model).Length)} MB");
        var files = Files(model).OrderByDescending(f => f.Length).ToArray();
        return string.Create(c, $"size {Megabytes(files.Sum(f => f.Length))} MB ({string.Join(", ", files.Select(f => $"{f.Name} {Megabytes(f.Length)} MB"))})");
    }

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    // A checkpoint belongs to training, not to the model a user ships.
    private static IEnumerable<FileInfo> Files(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.TopDirectoryOnly);
}
