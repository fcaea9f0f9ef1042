using System.Diagnostics;
using System.Text.Json;
using MLNetAttention.Tests.Cli;

namespace MLNetAttention.Tests.Serve;

/// <summary>
/// A CI-sized run of the benchmarks' <c>serve-load</c> (scripts/bench-serve.sh runs it for 60 s with 32 clients): no
/// request fails and every answer equals in-process scoring. Speed is reported, never asserted.
/// </summary>
[TestClass]
public sealed class ServeLoadTests
{
    private static string Benchmarks()
    {
        // Built by the same solution build, in the same configuration, beside the tool.
        string tool = CliTests.Tool();
        var output = new DirectoryInfo(Path.GetDirectoryName(tool)!);
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "MLNetAttention.sln"))) root = root.Parent;
        Assert.IsNotNull(root);
        string dll = Path.Combine(root.FullName, "benchmarks", "MLNetAttention.Benchmarks", "bin", output.Parent!.Name, output.Name, "MLNetAttention.Benchmarks.dll");
        if (!File.Exists(dll)) Assert.Inconclusive($"{dll} is not built; build the solution first.");
        return dll;
    }

    [TestMethod]
    public void EightClientsForThreeSecondsGetNoErrorAndOnlyAnswersEqualToInProcessScoring()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Benchmarks(), "serve-load", "--model", ServeModels.Classifier, "--tool", CliTests.Tool(),
                     "--clients", "8", "--seconds", "3", "--texts-per-request", "2", "--json" })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("serve-load did not finish: " + output);
        }
        Assert.AreEqual(0, process.ExitCode, output + error.Result);
        using var figures = JsonDocument.Parse(output.Trim().Split('\n').Last(l => l.StartsWith('{')));
        var root = figures.RootElement;
        Assert.AreEqual(0, root.GetProperty("errors").GetInt64(), output);
        Assert.AreEqual(0, root.GetProperty("mismatches").GetInt64(), output);
        long requests = root.GetProperty("requests").GetInt64();
        Assert.IsGreaterThan(0, requests, output);
        Assert.AreEqual(requests, root.GetProperty("checked").GetInt64(), "every answer was checked");
        Assert.AreEqual(2 * requests, root.GetProperty("texts").GetInt64());
        Assert.IsGreaterThan(0, root.GetProperty("rssEndMb").GetDouble(), "the server's memory was read");
        StringAssert.Contains(output, "# server exit code 0", "the started server stopped cleanly");
    }
}
