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
    public void PairReadersNameFileLineAndTheValidLabelsOrSkipAndCountWhenLenient()
    {
        string directory = TempDirectory();
        try
        {
            string Write(string name, params string[] lines)
            {
                string path = Path.Combine(directory, name);
                File.WriteAllLines(path, lines);
                return path;
            }

            // Each file: one good row, then one bad row on line 2 (3 with a header), and the text the error must name.
            var cases = new (string Path, int Line, string Says)[]
            {
                (Write("empty1.tsv", "床前\t疑是\t1", "  \t地上霜\t0"), 2, "text1 is empty"),
                (Write("empty2.tsv", "床前\t疑是\t1", "舉頭\t \t0"), 2, "text2 is empty"),
                (Write("two.tsv", "床前\t疑是\t1", "舉頭\t低頭"), 2, "expected 3 tab-separated columns (text1, text2, label) but found 2"),
                (Write("label2.tsv", "床前\t疑是\t1", "舉頭\t低頭\t2"), 2, "'2' (expected \"0\" (no match) or \"1\" (match))"),
                (Write("yes.csv", "text1,text2,label", "床前,疑是,1", "舉頭,低頭,yes"), 3, "'yes' (expected \"0\" (no match) or \"1\" (match))"),
                (Write("blank.csv", "text1,text2,label", "床前,疑是,1", "舉頭,低頭,"), 3, "the label is empty (expected \"0\" (no match) or \"1\" (match))"),
                (Write("short.csv", "text1,text2,label", "床前,疑是,1", "舉頭,低頭"), 3, "expected 3 columns like the header but found 2"),
                (Write("nofield.jsonl", "{\"text1\":\"床前\",\"text2\":\"疑是\",\"label\":1}", "{\"text1\":\"舉頭\",\"label\":0}"), 2, "missing field 'text2'"),
                (Write("nolabel.jsonl", "{\"text1\":\"床前\",\"text2\":\"疑是\",\"label\":1}", "{\"text1\":\"舉頭\",\"text2\":\"低頭\"}"), 2, "missing field 'label'"),
                (Write("true.jsonl", "{\"text1\":\"床前\",\"text2\":\"疑是\",\"label\":1}", "{\"text1\":\"舉頭\",\"text2\":\"低頭\",\"label\":true}"), 2, "'true'"),
            };
            foreach (var (path, line, says) in cases)
            {
                var error = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadPairsAuto(path).ToList(), path);
                StringAssert.Contains(error.Message, $"{path}:{line}: ");
                StringAssert.Contains(error.Message, says);
                Assert.AreEqual(line, error.LineNumber);

                var report = new ReadReport();
                var rows = DataReaders.ReadPairsAuto(path, new ReaderOptions { Lenient = true }, report).ToList();
                Assert.AreEqual(1, rows.Count, path);
                Assert.AreEqual(1, report.RowsSkipped, path);
                Assert.AreEqual(line, report.FirstSkipped[0].LineNumber, path);
                Assert.AreEqual(path, report.LastRowFile);
                Assert.AreEqual(line - 1, report.LastRowLine, "the report says where the last row returned was read");
            }

            // A missing named column is a file-level problem: it throws even when lenient, naming the header line.
            string noColumn = Write("nocolumn.csv", "text1,label", "床前,1");
            var headerError = Assert.ThrowsExactly<DataFormatException>(() => DataReaders.ReadPairsAuto(noColumn, new ReaderOptions { Lenient = true }, new ReadReport()).ToList());
            StringAssert.Contains(headerError.Message, noColumn + ":1: missing column 'text2'");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void TokensPastMaxLengthCountsWhatPredictDoesNotScore()
    {
        using var matcher = AttentionMatcher.Train(Pairs, null, Tiny());
        string fits = new('月', matcher.MaxLength);
        string tooLong = new('月', matcher.MaxLength + 3);
        Assert.AreEqual(0, matcher.TokensPastMaxLength(fits));
        Assert.AreEqual(3, matcher.TokensPastMaxLength(tooLong));
        var prediction = matcher.Predict(tooLong, fits);
        Assert.AreEqual(3, prediction.TruncatedTokens1);
        Assert.AreEqual(0, prediction.TruncatedTokens2);
        Assert.AreEqual(matcher.MaxLength, prediction.Tokens1.Count);
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
