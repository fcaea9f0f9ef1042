using System.Diagnostics;

namespace MLNetAttention.Tests.Visualization;

/// <summary>Headless Chromium screenshots of HTML files, for tests that look at a report the way a person would.</summary>
internal static class Chromium
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    public static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string name in Names)
            foreach (string directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string candidate = Path.Combine(directory, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The page's DOM after its scripts ran, as Chromium serialises it.</summary>
    public static string DumpDom(string chromium, string html) => DumpUrl(chromium, new Uri(html).AbsoluteUri);

    /// <summary>
    /// The DOM of <paramref name="url"/> (a file or a server's page) after its scripts ran. With a virtual time budget,
    /// the page's timers run at once while its fetches are still awaited.
    /// </summary>
    public static string DumpUrl(string chromium, string url, int? virtualTimeBudgetMs = null)
    {
        string profile = Path.Combine(Path.GetTempPath(), "mlna-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--force-color-profile=srgb", "--force-device-scale-factor=1",
                     $"--user-data-dir={profile}", "--dump-dom",
                 })
            start.ArgumentList.Add(argument);
        if (virtualTimeBudgetMs is { } budget) start.ArgumentList.Add($"--virtual-time-budget={budget}");
        start.ArgumentList.Add(url);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("Chromium did not dump the page in 120 s.");
            }
            if (output.Result.Length == 0) Assert.Fail($"Chromium dumped nothing (exit code {process.ExitCode}): {error.Result}");
            return output.Result;
        }
        finally
        {
            try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Screenshots <paramref name="html"/> into <paramref name="png"/> at the given window size.</summary>
    public static void Screenshot(string chromium, string html, string png, int width = 1200, int height = 900)
    {
        string profile = Path.Combine(Path.GetTempPath(), "mlna-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-color-profile=srgb",
                     $"--user-data-dir={profile}", $"--screenshot={png}", $"--window-size={width},{height}", new Uri(html).AbsoluteUri,
                 })
            start.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(120_000))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("Chromium did not finish the screenshot in 120 s.");
            }
            if (!File.Exists(png)) Assert.Fail($"Chromium wrote no screenshot (exit code {process.ExitCode}): {error.Result}");
        }
        finally
        {
            try { Directory.Delete(profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
