using System.Diagnostics;

namespace MLNetAttention.Tests.Cli;

/// <summary>Sends a real Ctrl-C (SIGINT) to a real training process: it finishes its step, saves a resumable checkpoint and exits 4.</summary>
[TestClass]
public sealed class InterruptTests
{
    // A shell that starts a job in the background ignores SIGINT for it, and the child inherits that; python resets
    // SIGINT to its default before exec-ing the tool, so the test sees what a terminal user's Ctrl-C does.
    private const string ResetSigint = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])";

    private static Process StartTraining(string output)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-c", ResetSigint, "dotnet", CliTests.Tool(), "train", "--data", "sample:poetry-dynasty",
            "--epochs", "200", "--patience", "0", "--embedding-dim", "32", "--hidden-dim", "32", "--threads", "1", "--out", output })
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        return Process.Start(start)!;
    }

    /// <summary>Waits until training reports its first finished epoch, so the signal lands mid-training.</summary>
    private static StringWriter WaitForFirstEpoch(Process process)
    {
        var error = new StringWriter();
        var firstEpoch = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (error) error.WriteLine(e.Data);
            if (e.Data.StartsWith("epoch 1/", StringComparison.Ordinal)) firstEpoch.Set();
        };
        process.BeginErrorReadLine();
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.IsTrue(firstEpoch.Wait(TimeSpan.FromMinutes(2)), "training never finished its first epoch");
        return error;
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.AreEqual(0, kill.ExitCode, $"kill -{signal} failed");
    }

    [TestMethod]
    public void CtrlCDuringTrainingWritesAResumableCheckpointAndExits4()
    {
        string output = Path.Combine(Path.GetTempPath(), "mlna-interrupt-tests", Guid.NewGuid().ToString("N"));
        using var process = StartTraining(output);
        var error = WaitForFirstEpoch(process);
        Signal(process, "INT");
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the tool did not stop after Ctrl-C");
        process.WaitForExit();
        string log;
        lock (error) log = error.ToString();
        Assert.AreEqual(4, process.ExitCode, log);
        string checkpoint = Path.Combine(output, "checkpoint");
        StringAssert.Contains(log, $"--resume {checkpoint}");
        foreach (string file in new[] { "weights.bin", "optimizer.bin", "trainer-state.json" })
            Assert.IsTrue(File.Exists(Path.Combine(checkpoint, file)), $"the checkpoint lacks {file}");
        Assert.IsFalse(File.Exists(Path.Combine(output, "model.json")), "an interrupted run saves a checkpoint, not a model");
    }
}
