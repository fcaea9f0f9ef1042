using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Training;

[TestClass]
public sealed class AttentionClassifierTests
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly List<TextExample> Train = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
    private static readonly List<TextExample> Test = BundledSamples.ReadTexts("poetry-dynasty.test").ToList();

    private static AttentionClassifierOptions SmallOptions(int epochs = 1, PoolingKind pooling = PoolingKind.Attention) => new()
    {
        Tokenizer = new AttentionTokenizerOptions { MinFrequency = 2 },
        Model = new TextClassifierOptions { EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32, Pooling = pooling, Heads = 2 },
        Training = new TrainingOptions { Epochs = epochs, Threads = 1, ValidationFraction = 0.1 },
    };

    // The first count training poems, a character vocabulary trained on them (tokens seen twice), and their ids.
    private static (AttentionTokenizer Tokenizer, List<string> Labels, EncodedExamples Data) Encode(int count, int maxLength)
    {
        var rows = Train.Take(count).ToList();
        var tokenizer = AttentionTokenizer.Train(rows.Select(r => r.Text), new AttentionTokenizerOptions { MinFrequency = 2 });
        var labels = rows.Select(r => r.Label).Distinct().Order().ToList();
        var data = new EncodedExamples(rows.Select(r => tokenizer.EncodeToIds(r.Text, maxLength, out _)).ToArray(), rows.Select(r => labels.IndexOf(r.Label)).ToArray());
        return (tokenizer, labels, data);
    }

    [TestMethod]
    public void LabelSmoothingMakesTheTrainedModelLessConfident()
    {
        var (tokenizer, labels, data) = Encode(40 * 32, 128);
        double MeanTopProbability(double smoothing)
        {
            manual_seed(1);
            using var model = new TextClassifier(new TextClassifierOptions { VocabularySize = tokenizer.VocabularySize, NumClasses = labels.Count, MaxLength = 128 });
            ClassifierTrainer.Train(model, data, null, new TrainingOptions { Epochs = 3, Threads = 1, LabelSmoothing = smoothing });
            return ClassifierTrainer.PredictProbabilities(model, data).Average(p => p.Max());
        }

        double plain = MeanTopProbability(0), smoothed = MeanTopProbability(0.4);

        // With s = 0.4 over two classes the loss is lowest at a top probability of 0.8; plain training heads for 1.
        Assert.IsTrue(smoothed < plain - 0.02, $"mean top probability {smoothed:0.000} with smoothing vs {plain:0.000} without");
        Assert.ThrowsExactly<ArgumentException>(() => new TrainingOptions { LabelSmoothing = 1 }.Validate());
    }

    [TestMethod]
    public void TheCompanionTrainsWithItsOwnSoloHeadWeight()
    {
        var (tokenizer, labels, data) = Encode(8 * 32, 64);
        // Each network's parameters after a short training run: the first network's, then the companion's. No dropout
        // anywhere, so the two runs draw the same random numbers and differ only by their losses.
        (float[] First, float[] Companion) Trained(double solo, double? companionSolo)
        {
            manual_seed(5);
            using var model = new TextClassifier(new TextClassifierOptions
            {
                VocabularySize = tokenizer.VocabularySize, NumClasses = labels.Count, MaxLength = 64, EmbeddingDim = 16, EncoderDim = 16,
                AttentionHiddenDim = 8, DenseDim = 16, Dropout = 0, Pooling = PoolingKind.MultiHead, Heads = 2,
                HeadSoloLoss = solo, CompanionHeadSoloLoss = companionSolo,
                Companion = new TextClassifierOptions { Encoder = EncoderKind.Conv, EmbeddingDim = 16, EncoderDim = 16, AttentionHiddenDim = 8, DenseDim = 16, Dropout = 0 },
            });
            ClassifierTrainer.Train(model, data, null, new TrainingOptions { Epochs = 1, Threads = 1 });
            float[] Flatten(bool companion) => model.named_parameters().Where(p => p.name.StartsWith("companion.", StringComparison.Ordinal) == companion)
                .SelectMany(p => p.parameter.detach().flatten().data<float>().ToArray()).ToArray();
            return (Flatten(false), Flatten(true));
        }

        var plain = Trained(0, null);
        var firstOnly = Trained(1, 0);
        var both = Trained(1, null);
        CollectionAssert.AreEqual(plain.Companion, firstOnly.Companion, "with its own weight 0 the companion trains as without the loss");
        CollectionAssert.AreNotEqual(plain.First, firstOnly.First, "the first network trains with the loss");
        CollectionAssert.AreNotEqual(plain.Companion, both.Companion, "by default the companion trains with the first network's weight");
    }

    [TestMethod]
    public void SoloHeadLossMakesEveryHeadClassifyOnItsOwn()
    {
        var (tokenizer, labels, data) = Encode(Train.Count, 128);
        var heldOut = Test.Take(400).ToList();
        var heldOutIds = heldOut.Select(r => tokenizer.EncodeToIds(r.Text, 128, out _)).ToArray();
        var heldOutLabels = heldOut.Select(r => (long)labels.IndexOf(r.Label)).ToArray();
        // Each head's cross-entropy and accuracy when it alone classifies the held-out poems (the other heads zeroed).
        (float Loss, float Accuracy)[] HeadsAlone(double solo)
        {
            manual_seed(3);
            using var model = new TextClassifier(new TextClassifierOptions
            {
                VocabularySize = tokenizer.VocabularySize, NumClasses = labels.Count, MaxLength = 128, EmbeddingDim = 32, EncoderDim = 32,
                AttentionHiddenDim = 16, DenseDim = 32, Pooling = PoolingKind.MultiHead, Heads = 4, HeadOverlapPenalty = 1, HeadSoloLoss = solo,
            });
            ClassifierTrainer.Train(model, data, null, new TrainingOptions { Epochs = 2, Threads = 1 });
            model.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int width = heldOutIds.Max(i => i.Length);
            var ids = tensor(heldOutIds.SelectMany(i => i.Select(x => (long)x).Concat(Enumerable.Repeat(0L, width - i.Length))).ToArray(), new long[] { heldOutIds.Length, width });
            var target = tensor(heldOutLabels);
            var (_, _, solos) = model.ForwardForTraining(ids, headLogits: true);
            return Enumerable.Range(0, 4).Select(h => (
                nn.functional.cross_entropy(solos[0]![.., h], target).item<float>(),
                solos[0]![.., h].argmax(-1).eq(target).to(ScalarType.Float32).mean().item<float>())).ToArray();
        }

        var plain = HeadsAlone(0);
        var solo = HeadsAlone(1);
        TestContext.WriteLine($"each head alone (loss / accuracy), plain: {string.Join(", ", plain.Select(a => $"{a.Loss:0.000} / {a.Accuracy:0.000}"))}; "
            + $"with the solo loss: {string.Join(", ", solo.Select(a => $"{a.Loss:0.000} / {a.Accuracy:0.000}"))}");
        // A strong overlap penalty pushes heads onto tokens apart from one another, and trained only as an ensemble some
        // land where they are no classifier alone; trained alone too, each keeps evidence of its own.
        Assert.IsGreaterThan(plain.Min(h => h.Accuracy) + 0.05f, solo.Min(h => h.Accuracy), "the weakest head alone gains");
        Assert.IsGreaterThan(0.6f, solo.Min(h => h.Accuracy), "every head classifies held-out poems on its own");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void RowsOfNgramsInFewerThanMinNgramTextsAreResetAndTheRestKept(bool trigrams)
    {
        var (tokenizer, labels, data) = Encode(10 * 32, 64);
        var ids = data.Ids;
        const int buckets = 50_000;
        float[] TrainedTable(int minTexts, out TrainingResult result)
        {
            manual_seed(3);
            using var model = new TextClassifier(new TextClassifierOptions
            {
                VocabularySize = tokenizer.VocabularySize, NumClasses = labels.Count, MaxLength = 64, Encoder = EncoderKind.None,
                BigramBuckets = buckets, BigramDim = 4, Trigrams = trigrams,
            });
            result = ClassifierTrainer.Train(model, data, null, new TrainingOptions { Epochs = 1, Threads = 1, ValidationFraction = 0, MinNgramTexts = minTexts });
            var table = model.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter;
            return table.data<float>().ToArray();
        }
        var kept = TrainedTable(0, out var keptResult);
        var pruned = TrainedTable(2, out var prunedResult);
        Assert.AreEqual(0, keptResult.RareNgramRowsReset);

        // Texts per bucket, hashed as the model documents it: (id_t * vocabulary + id_t+1) mod buckets, and for trigrams
        // (bigram bucket * vocabulary + id_t+2) mod buckets, with 0 past the end.
        var texts = new int[buckets];
        foreach (var text in ids)
        {
            var seen = new HashSet<long>();
            for (int t = 0; t < text.Length; t++)
            {
                long bigram = (text[t] * (long)tokenizer.VocabularySize + (t + 1 < text.Length ? text[t + 1] : 0)) % buckets;
                seen.Add(bigram);
                if (trigrams) seen.Add((bigram * tokenizer.VocabularySize + (t + 2 < text.Length ? text[t + 2] : 0)) % buckets);
            }
            foreach (long bucket in seen) texts[bucket]++;
        }
        int reset = 0, survived = 0;
        for (int b = 0; b < buckets; b++)
        {
            var before = kept.AsSpan(b * 4, 4);
            var after = pruned.AsSpan(b * 4, 4);
            if (texts[b] >= 2)
            {
                Assert.IsTrue(after.SequenceEqual(before), $"bucket {b} occurs in {texts[b]} texts and should keep its trained row");
                if (before.ContainsAnyExcept(0f)) survived++;
            }
            else
            {
                Assert.IsFalse(after.ContainsAnyExcept(0f), $"bucket {b} occurs in {texts[b]} text(s) and should read as unseen");
                if (before.ContainsAnyExcept(0f)) reset++;
            }
        }
        Assert.AreEqual(reset, prunedResult.RareNgramRowsReset);
        Assert.IsGreaterThan(survived, reset, "most n-grams of 320 poems occur once");
        Assert.IsGreaterThan(100, survived, "n-grams shared by several poems keep their rows");
        Assert.ThrowsExactly<ArgumentException>(() => new TrainingOptions { MinNgramTexts = -1 }.Validate());
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void FiftyStepsOnTheBundledSampleLowerTheLoss(bool rowSparse)
    {
        var (tokenizer, labels, data) = Encode(50 * 32, 128);
        manual_seed(1);
        using var model = new TextClassifier(new TextClassifierOptions { VocabularySize = tokenizer.VocabularySize, NumClasses = labels.Count, MaxLength = 128 });
        var before = ClassifierTrainer.Evaluate(model, data);

        var result = ClassifierTrainer.Train(model, data, null, new TrainingOptions { Epochs = 1, Threads = 1, RowSparseEmbeddingUpdates = rowSparse });

        var after = ClassifierTrainer.Evaluate(model, data);
        Assert.AreEqual(1, result.History.Count);
        Assert.IsTrue(after.Loss < before.Loss * 0.98, $"loss went from {before.Loss:0.0000} to {after.Loss:0.0000} in 50 steps");
        Assert.IsTrue(after.Accuracy > before.Accuracy, $"accuracy went from {before.Accuracy:0.000} to {after.Accuracy:0.000}");
    }

    [TestMethod]
    public void TrainsAboveChanceAndRoundTripsThroughTheModelDirectory()
    {
        using var classifier = AttentionClassifier.Train(Train, null, SmallOptions(epochs: 2));
        var metrics = classifier.Evaluate(Test);
        Assert.IsTrue(metrics.Accuracy > 0.6, $"test accuracy {metrics.Accuracy:0.000} is near chance");
        CollectionAssert.AreEqual(new[] { "song", "tang" }, classifier.Labels.ToArray());
        Assert.AreEqual(Test.Count, metrics.Confusion.Sum(row => row.Sum()));

        string directory = TempDirectory();
        classifier.Save(directory);
        using var loaded = AttentionClassifier.Load(directory);
        var texts = Test.Take(20).Select(t => t.Text).ToList();
        var original = classifier.Predict(texts);
        var reloaded = loaded.Predict(texts);
        for (int i = 0; i < texts.Count; i++)
        {
            CollectionAssert.AreEqual(original[i].Probabilities, reloaded[i].Probabilities);
            CollectionAssert.AreEqual(original[i].Tokens.Select(t => t.Weight).ToArray(), reloaded[i].Tokens.Select(t => t.Weight).ToArray());
        }
        Assert.AreEqual(classifier.Summary!.BestEpoch, loaded.Summary!.BestEpoch);
    }

    [TestMethod]
    public void PredictionsMapWeightsOntoTheOriginalText()
    {
        using var classifier = AttentionClassifier.Train(Train.Take(800), null, SmallOptions(pooling: PoolingKind.MultiHead));
        string text = "床前明月光，疑是地上霜。 舉頭望明月，低頭思故鄉。";
        var prediction = classifier.Predict(text);
        Assert.AreEqual(2, prediction.Heads);
        foreach (var token in prediction.Tokens)
            Assert.AreEqual(token.Id == AttentionTokenizer.UnknownId ? token.Token : token.Token, text.Substring(token.Offset, token.Length));
        for (int head = 0; head < 2; head++)
            Assert.AreEqual(1.0, prediction.Tokens.Sum(t => t.Weights[head]), 1e-4);
        Assert.AreEqual(1.0, prediction.Probabilities.Sum(), 1e-5);
        Assert.AreEqual(prediction.Labels[prediction.LabelIndex], prediction.Label);

        string longText = string.Concat(Enumerable.Repeat(text, 40));
        var truncated = classifier.Predict(longText);
        Assert.AreEqual(classifier.MaxLength, truncated.Tokens.Count);
        Assert.IsTrue(truncated.TruncatedTokens > 0);
    }

    [TestMethod]
    public void TheSameSeedGivesBitIdenticalModels()
    {
        var rows = Train.Take(600).ToList();
        using var first = AttentionClassifier.Train(rows, null, SmallOptions());
        using var second = AttentionClassifier.Train(rows, null, SmallOptions());
        foreach (var ((name, a), (_, b)) in first.Network.named_parameters().Zip(second.Network.named_parameters()))
            Assert.IsTrue(a.allclose(b, rtol: 0, atol: 0), $"{name} differs between two runs with one seed");
    }

    [TestMethod]
    public void BadTrainingAndTestLabelsGiveClearErrors()
    {
        var oneClass = Train.Where(r => r.Label == "tang").Take(50);
        var error = Assert.ThrowsExactly<ArgumentException>(() => AttentionClassifier.Train(oneClass, null, SmallOptions()));
        StringAssert.Contains(error.Message, "only one class ('tang')");

        Assert.ThrowsExactly<ArgumentException>(() => AttentionClassifier.Train(Array.Empty<TextExample>(), null, SmallOptions()));

        using var classifier = AttentionClassifier.Train(Train.Take(300), null, SmallOptions());
        error = Assert.ThrowsExactly<ArgumentException>(() => classifier.Evaluate(new[] { new TextExample("明月", "yuan") }));
        StringAssert.Contains(error.Message, "'yuan'");
        Assert.ThrowsExactly<ArgumentException>(() => classifier.Predict("   "));
    }

    [TestMethod]
    public void DamagedOrMismatchedModelDirectoriesAreRefusedWithTheFileNamed()
    {
        using var classifier = AttentionClassifier.Train(Train.Take(300), null, SmallOptions());
        string directory = TempDirectory();
        classifier.Save(directory);

        string vocabulary = Path.Combine(directory, AttentionClassifier.VocabularyFile);
        string saved = File.ReadAllText(vocabulary);
        File.WriteAllText(vocabulary, saved.Replace("\"<unk>\"", "\"<unk>\", \"extra\""));
        var error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(directory));
        StringAssert.Contains(error.Message, "vocab.json");
        File.WriteAllText(vocabulary, saved);

        string manifest = Path.Combine(directory, AttentionClassifier.ManifestFile);
        string json = File.ReadAllText(manifest);
        File.WriteAllText(manifest, json.Replace("\"formatVersion\": 1", "\"formatVersion\": 99"));
        error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(directory));
        StringAssert.Contains(error.Message, "newer MLNetAttention");
        File.WriteAllText(manifest, json[..(json.Length / 2)]);
        error = Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(directory));
        StringAssert.Contains(error.Message, "model.json");

        Assert.ThrowsExactly<ModelLoadException>(() => AttentionClassifier.Load(Path.Combine(directory, "missing")));
    }

    private static string TempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "mlna-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
