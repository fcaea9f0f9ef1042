// Compiled by MSBuild's RoslynCodeTaskFactory (see TorchSharpNativeFix.targets); not part of the library.
// Makes TorchSharp's native library load on systems whose libstdc++ predates GCC 13.
#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

public class MlnaPatchTorchSharpNative : Microsoft.Build.Utilities.Task
{
    const string LibraryName = "libLibTorchSharp.so";
    const string ShimName = "libios_base_shim.so";
    const string MissingVersion = "GLIBCXX_3.4.32";
    const string MarkerSymbol = "_ZSt21ios_base_library_initv";
    const ushort VersionFlagWeak = 0x2;
    const uint SectionTypeVerneed = 0x6ffffffe;

    public string SearchDirectory { get; set; } = "";
    public string WorkDirectory { get; set; } = "";
    public string ShimSource { get; set; } = "";

    public override bool Execute()
    {
        if (!Directory.Exists(SearchDirectory)) return true;
        var targets = Directory.GetFiles(SearchDirectory, LibraryName, SearchOption.AllDirectories);
        if (targets.Length == 0) return true;

        string? systemLibrary = FindSystemLibStdCxx();
        if (systemLibrary != null && FileContains(File.ReadAllBytes(systemLibrary), MissingVersion))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                "MLNetAttention: " + systemLibrary + " provides " + MissingVersion + "; TorchSharp needs no patch.");
            return true;
        }

        try
        {
            Directory.CreateDirectory(WorkDirectory);
            string shim = BuildShim();
            foreach (string target in targets)
            {
                string directory = Path.GetDirectoryName(target)!;
                byte[] current = File.ReadAllBytes(target);
                if (!IsPatched(current))
                {
                    string patched = PatchedCopyOf(target, current);
                    ReplaceAtomically(patched, target);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                        "MLNetAttention: patched " + target + " to load without " + MissingVersion + ".");
                }
                string shimTarget = Path.Combine(directory, ShimName);
                if (!File.Exists(shimTarget) || new FileInfo(shimTarget).Length != new FileInfo(shim).Length)
                    ReplaceAtomically(shim, shimTarget);
            }
        }
        catch (PatchException e)
        {
            Log.LogError(null, "MLNA0001", null, null, 0, 0, 0, 0,
                "TorchSharp's " + LibraryName + " needs " + MissingVersion + ", which this system's libstdc++ ("
                + (systemLibrary ?? "not found") + ") lacks, and it could not be patched: " + e.Message
                + " Install the tools with 'sudo apt-get install -y patchelf g++' (or run scripts/setup.sh),"
                + " or set MLNetAttentionSkipTorchSharpFix=true to build without the fix.");
        }
        return !Log.HasLoggedErrors;
    }

    sealed class PatchException : Exception
    {
        public PatchException(string message) : base(message) { }
    }

    static string? FindSystemLibStdCxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib64/libstdc++.so.6",
        };
        return candidates.FirstOrDefault(File.Exists);
    }

    static bool FileContains(byte[] data, string text)
    {
        // The task compiles against netstandard2.0: no span search, so a plain scan.
        byte[] needle = Encoding.ASCII.GetBytes(text + "\0");
        for (int i = Array.IndexOf(data, needle[0]); i >= 0 && i <= data.Length - needle.Length;
             i = Array.IndexOf(data, needle[0], i + 1))
        {
            int j = 1;
            while (j < needle.Length && data[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    static bool IsPatched(byte[] elf) => FileContains(elf, ShimName) && MarkWeak(elf, dryRun: true);

    string BuildShim()
    {
        string shim = Path.Combine(WorkDirectory, ShimName);
        if (File.Exists(shim) && File.GetLastWriteTimeUtc(shim) >= File.GetLastWriteTimeUtc(ShimSource)) return shim;
        string temporary = shim + ".tmp";
        Run("g++", "-shared -fPIC -O2 -o \"" + temporary + "\" \"" + ShimSource + "\"");
        MoveOver(temporary, shim);
        return shim;
    }

    // One patched copy per distinct original (keyed by content hash), so rebuilds only copy.
    string PatchedCopyOf(string original, byte[] originalBytes)
    {
        string hash;
        using (var sha = System.Security.Cryptography.SHA256.Create())
            hash = BitConverter.ToString(sha.ComputeHash(originalBytes)).Replace("-", "").Substring(0, 16);
        string patched = Path.Combine(WorkDirectory, hash, LibraryName);
        if (File.Exists(patched)) return patched;

        Directory.CreateDirectory(Path.GetDirectoryName(patched)!);
        string temporary = patched + ".tmp";
        File.Copy(original, temporary, overwrite: true);
        Run("patchelf", "--clear-symbol-version " + MarkerSymbol + " --add-needed " + ShimName + " \"" + temporary + "\"");
        byte[] elf = File.ReadAllBytes(temporary);
        if (!MarkWeak(elf, dryRun: false))
            throw new PatchException("no " + MissingVersion + " entry was found in .gnu.version_r of " + original + ".");
        File.WriteAllBytes(temporary, elf);
        MoveOver(temporary, patched);
        return patched;
    }

    static void ReplaceAtomically(string source, string destination)
    {
        string temporary = destination + ".mlna-tmp";
        File.Copy(source, temporary, overwrite: true);
        MoveOver(temporary, destination);
    }

    // rename(2) replaces the destination atomically; netstandard2.0's File.Move cannot overwrite.
    static void MoveOver(string source, string destination)
    {
        if (File.Exists(destination)) File.Replace(source, destination, null);
        else File.Move(source, destination);
    }

    static void Run(string tool, string arguments)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new PatchException("'" + tool + "' could not be started.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new PatchException("'" + tool + "' was not found on PATH.");
        }
        string errors = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new PatchException("'" + tool + " " + arguments + "' failed with exit code " + process.ExitCode + ": " + errors.Trim());
    }

    // Sets VER_FLG_WEAK on the GLIBCXX_3.4.32 auxiliary entry of .gnu.version_r (ELF64, little endian).
    // With dryRun, only reports whether the flag is already set.
    static bool MarkWeak(byte[] elf, bool dryRun)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
            throw new PatchException("the file is not a 64-bit little-endian ELF library.");
        long sectionTable = BitConverter.ToInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < sectionCount; i++)
        {
            long header = sectionTable + (long)i * sectionSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != SectionTypeVerneed) continue;
            long offset = BitConverter.ToInt64(elf, (int)header + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
            long strings = BitConverter.ToInt64(elf, (int)(sectionTable + (long)link * sectionSize) + 0x18);

            long need = offset;
            while (true)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    long nameOffset = strings + BitConverter.ToUInt32(elf, (int)aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, (int)nameOffset);
                    string name = Encoding.ASCII.GetString(elf, (int)nameOffset, end - (int)nameOffset);
                    if (name == MissingVersion)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if (dryRun) return (flags & VersionFlagWeak) != 0;
                        flags |= VersionFlagWeak;
                        BitConverter.GetBytes(flags).CopyTo(elf, (int)aux + 4);
                        return true;
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return false;
    }
}
