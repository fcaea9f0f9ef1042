using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Tests.Matching;

[TestClass]
public sealed class MatcherBadInputTests
{
    private static readonly List<PairExample> Pairs = BundledSamples.ReadPairs("couplet-match.train").Take(200).ToList();

    private static AttentionMatcherOptions Tiny() => new()
    {
        Tokenizer = new MLNetAttention.Text.AttentionTokenizerOptions { MinFrequency = 1 },
        Model = new TextMatcherOptions { EmbeddingDim = 16, AttentionHiddenDim = 16, DenseDim = 16 },
        Training = new TrainingOptions { Epochs = 1, Threads = 1 },
    };

    private static string TempDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"matcher-bad-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    [TestMethod]
    public void PredictRejectsAnEmptySentence()
    {
        using var matcher = AttentionMatcher.Train(Pairs, null, Tiny());
        var error = Assert.ThrowsExactly<ArgumentException>(() => matcher.Predict("明月松間照", "  "));
        StringAssert.Contains(error.Message, "text2 is empty");
        error = Assert.ThrowsExactly<ArgumentException>(() => matcher.Predict("", "清泉石上流"));
        StringAssert.Contains(error.Message, "text1 is empty");
        var prediction = matcher.Predict("明月松間照", "清泉石上流");
        Assert.AreEqual(1.0, prediction.Tokens1.Sum(t => t.Weight), 1e-5);
        Assert.AreEqual(1.0, prediction.Tokens2.Sum(t => t.Weight), 1e-5);
        Assert.AreEqual(5, prediction.Tokens2.Count);
        Assert.AreEqual(prediction.Probability >= 0.5f ? "1" : "0", prediction.Label);
    }

    [TestMethod]
    public void TrainAndEvaluateNameTheRowOfABadLabelOrAnEmptySentence()
    {
        var badLabel = Pairs.Take(50).Append(new PairExample("明月松間照", "清泉石上流", "2")).ToList();
        var error = Assert.ThrowsExactly<ArgumentException>(() => AttentionMatcher.Train(badLabel, null, Tiny()));
        StringAssert.Contains(error.Message, "row 51");
        StringAssert.Contains(error.Message, "'2'");

        var empty = Pairs.Take(10).Append(new PairExample("明月松間照", " ", "1")).ToList();
        error = Assert.ThrowsExactly<ArgumentException>(() => AttentionMatcher.Train(empty, null, Tiny()));
        StringAssert.Contains(error.Message, "row 11");
        StringAssert.Contains(error.Message, "text2");

        var oneClass = Pairs.Where(p => p.Label == "1").Take(20).ToList();
        Assert.ThrowsExactly<ArgumentException>(() => AttentionMatcher.Train(oneClass, null, Tiny()));

        using var matcher = AttentionMatcher.Train(Pairs, null, Tiny());
        error = Assert.ThrowsExactly<ArgumentException>(() => matcher.Evaluate(new[] { new PairExample("明月", "清泉", "yes") }));
        StringAssert.Contains(error.Message, "row 1");
    }

    [TestMethod]
    public void ReaderErrorsNamingFileAndLineSurfaceThroughTrain()
    {
        string directory = TempDirectory();
        try
        {
            string jsonl = Path.Combine(directory, "pairs.jsonl");
            File.WriteAllLines(jsonl, new[]
            {
                "{\"text1\":\"楚澤薰風後\",\"text2\":\"林皋夕照間\",\"label\":\"1\"}",
                "{\"text1\":\"劄得脚跟牢\",\"text2\":\"不怕風濤險\",\"label\":\"1\"}",
                "{\"text1\":\"北去南來無定居\",\"text2\":\"\",\"label\":\"0\"}",
            });
            var error = Assert.ThrowsExactly<DataFormatException>(() => AttentionMatcher.Train(DataReaders.ReadJsonLinesPairs(jsonl), null, Tiny()));
            StringAssert.Contains(error.Message, jsonl + ":3");
            StringAssert.Contains(error.Message, "text2");

            string tsv = Path.Combine(directory, "lcqmc.tsv");
            File.WriteAllLines(tsv, new[] { "楚澤薰風後\t林皋夕照間\t1", "劄得脚跟牢\t不怕風濤險\t2" });
            error = Assert.ThrowsExactly<DataFormatException>(() => AttentionMatcher.Train(DataReaders.ReadPairsAuto(tsv), null, Tiny()));
            StringAssert.Contains(error.Message, tsv + ":2");

            using var matcher = AttentionMatcher.Train(Pairs, null, Tiny());
            error = Assert.ThrowsExactly<DataFormatException>(() => matcher.Evaluate(DataReaders.ReadLcqmc(tsv)));
            StringAssert.Contains(error.Message, tsv + ":2");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void LoadRejectsClassifiersAndTamperedFiles()
    {
        string directory = TempDirectory();
        try
        {
            using (var matcher = AttentionMatcher.Train(Pairs, null, Tiny())) matcher.Save(directory);
            Assert.IsTrue(AttentionMatcher.IsMatcherDirectory(directory));
            using (AttentionMatcher.Load(directory)) { }

            string manifest = Path.Combine(directory, AttentionMatcher.ManifestFile);
            string original = File.ReadAllText(manifest);
            File.WriteAllText(manifest, original.Replace(AttentionMatcher.FormatName, AttentionClassifier.FormatName));
            var error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionMatcher.Load(directory));
            StringAssert.Contains(error.Message, "classifier");
            Assert.IsFalse(AttentionMatcher.IsMatcherDirectory(directory));

            File.WriteAllText(manifest, original.Replace("\"formatVersion\": 1", "\"formatVersion\": 9"));
            error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionMatcher.Load(directory));
            StringAssert.Contains(error.Message, "newer");

            File.WriteAllText(manifest, original);
            File.AppendAllText(Path.Combine(directory, AttentionMatcher.WeightsFile), "x");
            error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionMatcher.Load(directory));
            StringAssert.Contains(error.Message, "weights.bin");
            Assert.ThrowsExactly<ModelLoadException>(() => AttentionMatcher.Load(Path.Combine(directory, "missing")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
