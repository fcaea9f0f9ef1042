using System.Diagnostics;
using MLNetAttention.Training;

namespace MLNetAttention.Tests.Cli;

/// <summary>kill -9 of a real `train` that retrains into an existing model directory, at moments spread over its run.</summary>
[TestClass]
public sealed class KillTests
{
    private static string[] Train(string output, int epochs) =>
        ["train", "--data", "sample:poetry-dynasty", "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--patience", "0", "--embedding-dim", "16", "--hidden-dim", "16", "--threads", "1", "--out", output];

    private static Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliTests.Tool());
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    [TestMethod]
    public void AKilledRetrainingLeavesTheOldModelOrTheNewOneAndItLoads()
    {
        string output = Path.Combine(Path.GetTempPath(), "mlna-kill-tests", Guid.NewGuid().ToString("N"));
        using (var first = Start(Train(output, 1)))
        {
            Assert.IsTrue(first.WaitForExit(TimeSpan.FromMinutes(3)));
            Assert.AreEqual(0, first.ExitCode);
        }
        string oldManifest = File.ReadAllText(Path.Combine(output, "model.json"));
        int replaced = 0;
        // Seeded moments from process start-up to past the end of training and saving (about 4 s here).
        var random = new Random(17);
        for (int run = 0; run < 6; run++)
        {
            int delay = 1500 + random.Next(4000);
            using var process = Start(Train(output, 1));
            bool finished = process.WaitForExit(delay);
            if (!finished)
            {
                process.Kill();   // SIGKILL: no handler, no cleanup
                process.WaitForExit();
            }
            using var loaded = AttentionClassifier.Load(output);   // throws if the directory were mixed or half-written
            Assert.AreEqual("tang", loaded.Predict("床前明月光").Labels.Order().Last(), "the model loads and scores");
            if (File.ReadAllText(Path.Combine(output, "model.json")) != oldManifest) replaced++;
            Assert.IsTrue(File.Exists(Path.Combine(output, "model.onnx")), "model.onnx is part of every complete model");
            oldManifest = File.ReadAllText(Path.Combine(output, "model.json"));
        }
        Assert.IsEmpty(Directory.GetFileSystemEntries(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}*.old"),
            "an exchange leaves no old copy behind");
        Console.WriteLine($"{replaced} of 6 killed runs had already replaced the model");
    }
}
