using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Training;

[TestClass]
public sealed class CheckpointTests
{
    // Cancels the run at a given (epoch, step) report, as Ctrl-C would.
    private sealed class CancelAt(int epoch, int step, CancellationTokenSource source) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Completed is null && value.Epoch == epoch && value.Step >= step) source.Cancel();
        }
    }

    [TestMethod]
    public void AnInterruptedRunWritesACheckpointThatResumesAtTheInterruptedEpoch()
    {
        var rows = BundledSamples.ReadTexts("poetry-dynasty.train").Take(1600).ToList();
        var tokenizer = AttentionTokenizer.Train(rows.Select(r => r.Text), new AttentionTokenizerOptions { MinFrequency = 2 });
        var labels = rows.Select(r => r.Label).Distinct().Order().ToList();
        var data = new EncodedExamples(rows.Select(r => tokenizer.EncodeToIds(r.Text, 64, out _)).ToArray(), rows.Select(r => labels.IndexOf(r.Label)).ToArray());
        var validation = data.Subset(Enumerable.Range(0, 64).ToArray());
        var modelOptions = new TextClassifierOptions { VocabularySize = tokenizer.VocabularySize, NumClasses = 2, EmbeddingDim = 16, EncoderDim = 16, AttentionHiddenDim = 8, DenseDim = 16, MaxLength = 64 };
        var options = new TrainingOptions { Epochs = 3, Threads = 1, Patience = 0 };
        string directory = Path.Combine(Path.GetTempPath(), "mlna-tests", Guid.NewGuid().ToString("N"));

        manual_seed(options.Seed);
        using var model = new TextClassifier(modelOptions);
        using var cancel = new CancellationTokenSource();
        var interrupted = ClassifierTrainer.Train(model, data, validation, options, new CancelAt(2, 10, cancel), directory, cancel.Token);

        Assert.IsTrue(interrupted.Interrupted);
        Assert.AreEqual(directory, interrupted.CheckpointDirectory);
        Assert.AreEqual(1, interrupted.History.Count, "only the first epoch finished");
        foreach (var file in new[] { "trainer-state.json", "weights.bin", "optimizer.bin", "best-weights.bin" })
            Assert.IsTrue(File.Exists(Path.Combine(directory, file)), $"{file} missing from the checkpoint");

        manual_seed(options.Seed);
        using var resumed = new TextClassifier(modelOptions);
        var finished = ClassifierTrainer.Train(resumed, data, validation, options, resume: directory);

        Assert.IsFalse(finished.Interrupted);
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, finished.History.Select(h => h.Epoch).ToArray(), "the run continues at the interrupted epoch");
        Assert.AreEqual(interrupted.History[0].TrainLoss, finished.History[0].TrainLoss, "the first epoch comes from the checkpoint");
        Assert.IsTrue(finished.BestEpoch is >= 1 and <= 3);

        var error = Assert.ThrowsExactly<FileNotFoundException>(() => ClassifierTrainer.Train(resumed, data, validation, options, resume: Path.GetTempPath()));
        StringAssert.Contains(error.Message, "not a training checkpoint");
    }
}
