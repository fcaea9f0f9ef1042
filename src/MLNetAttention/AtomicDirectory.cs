using System.Runtime.InteropServices;

namespace MLNetAttention;

/// <summary>
/// Replaces a directory as a whole, so that a crash or a kill at any moment leaves either the old directory or the new
/// one: the new content is written into a staging directory beside the target, then swapped in with one rename (on
/// Linux an atomic exchange, renameat2 with RENAME_EXCHANGE, when the target already exists).
/// </summary>
internal static class AtomicDirectory
{
    /// <summary>
    /// Writes the new content of <paramref name="target"/> through <paramref name="write"/> (given an empty staging directory)
    /// and swaps it in. <paramref name="owned"/> names the entries an existing target may hold: a directory holding anything
    /// else is refused, so a mistyped path never replaces unrelated files.
    /// </summary>
    /// <exception cref="IOException">The target holds files that are not the model's, or cannot be written.</exception>
    public static void Replace(string target, IReadOnlyCollection<string> owned, Action<string> write)
    {
        string fullPath = CheckTarget(target, owned);
        string parent = Path.GetDirectoryName(fullPath)!;
        RemoveAbandonedStaging(parent, Path.GetFileName(fullPath));
        string staging = Path.Combine(parent, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.staging");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
        if (!Directory.Exists(fullPath))
        {
            Directory.Move(staging, fullPath);
            return;
        }
        if (OperatingSystem.IsLinux() && TryExchange(staging, fullPath))
        {
            TryDelete(staging);   // now the old content
            return;
        }
        // Elsewhere two renames: a crash between them leaves the old content, complete, under the .old name beside the target.
        string old = Path.Combine(parent, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.old");
        Directory.Move(fullPath, old);
        Directory.Move(staging, fullPath);
        TryDelete(old);
    }

    /// <summary>
    /// Fails now, before any long work, where <see cref="Replace"/> would fail later: a file in the way, unrelated files in
    /// the directory, or a parent directory that cannot be created or written. Returns the full path of the target.
    /// </summary>
    /// <exception cref="IOException">The target cannot be replaced; the message says why and what to do.</exception>
    public static string CheckTarget(string target, IReadOnlyCollection<string> owned)
    {
        string fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        if (File.Exists(fullPath))
            throw new IOException($"{target}: a file is in the way; a model is saved as a directory. Choose another path.");
        if (Directory.Exists(fullPath))
        {
            var foreign = Directory.EnumerateFileSystemEntries(fullPath).Select(Path.GetFileName)
                .Where(name => !owned.Contains(name!) && !name!.StartsWith('.')).Take(3).ToList();
            if (foreign.Count > 0)
                throw new IOException($"{target}: the directory holds files that are not part of a model ({string.Join(", ", foreign)}), " +
                    "and saving replaces the whole directory. Choose an empty directory, a new path or an existing model directory.");
        }
        string parent = Path.GetDirectoryName(fullPath)!;
        try
        {
            Directory.CreateDirectory(parent);
            // The staging directory goes beside the target: that is where writing must work.
            string probe = Path.Combine(parent, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.probe");
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{target}: cannot write beside this path ({e.Message}). Choose a writable location.", e);
        }
        return fullPath;
    }

    // A process killed mid-save leaves its hidden staging directory beside the target; the next save removes those
    // whose process is gone.
    private static void RemoveAbandonedStaging(string parent, string name)
    {
        foreach (string leftover in Directory.EnumerateDirectories(parent, $".{name}.*.staging"))
        {
            string[] parts = Path.GetFileName(leftover)[(name.Length + 2)..].Split('.');
            if (parts.Length == 3 && int.TryParse(parts[0], out int processId) && !IsRunning(processId))
                TryDelete(leftover);
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool TryExchange(string a, string b)
    {
        try
        {
            return RenameAt2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;   // a C library without renameat2
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Leftover staging content is hidden (a dot name) and harmless; the swap itself succeeded or never happened.
        }
    }

    private const int AtCurrentDirectory = -100;
    private const uint RenameExchange = 2;

    [DllImport("libc", EntryPoint = "renameat2", SetLastError = true)]
    private static extern int RenameAt2(int oldDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath,
        int newDirectory, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath, uint flags);
}
