using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Training;

[TestClass]
public sealed class BatchHalvesTests
{
    private static readonly List<TextExample> Rows = BundledSamples.ReadTexts("poetry-dynasty.train").Take(30 * 32).ToList();
    private static readonly AttentionTokenizer Tokenizer = AttentionTokenizer.Train(Rows.Select(r => r.Text), new AttentionTokenizerOptions { MinFrequency = 2 });
    private static readonly List<string> Labels = Rows.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToList();
    private static readonly EncodedExamples Data = new(
        Rows.Select(r => Tokenizer.EncodeToIds(r.Text, 128, out _)).ToArray(), Rows.Select(r => Labels.IndexOf(r.Label)).ToArray());

    private static TextClassifierOptions ModelOptions(PoolingKind pooling, double dropout, double diversity = 0) => new()
    {
        VocabularySize = Tokenizer.VocabularySize, NumClasses = Labels.Count, MaxLength = 128,
        EmbeddingDim = 32, EncoderDim = 32, AttentionHiddenDim = 16, DenseDim = 32,
        Pooling = pooling, Heads = 2, DiversityPenalty = diversity, Dropout = dropout, TokenDropout = dropout, HeadDropout = dropout,
    };

    private static Dictionary<string, float[]> TrainedWeights(TextClassifierOptions model, TrainingOptions training)
    {
        manual_seed(training.Seed);
        using var classifier = new TextClassifier(model);
        ClassifierTrainer.Train(classifier, Data, null, training);
        return classifier.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
    }

    [TestMethod]
    public void NoCollectionStartsWhileBothHalvesRunAndTheRegionEndsWithTheRunner()
    {
        // A collection during the halves could free a TorchSharp Scalar the other thread is reading; each half here
        // leaves 24 MB of small garbage, far past a gen0 budget, yet no collection may start inside the step.
        set_num_threads(2);
        var training = new TrainingOptions { Threads = 2 };
        static void Garbage()
        {
            var keep = new object[16];
            for (int i = 0; i < 200_000; i++) keep[i % 16] = new byte[100];
            GC.KeepAlive(keep);
        }
        using (var halves = BatchHalves.Create(training))
        {
            Assert.IsNotNull(halves, "two libtorch threads split the batch");
            for (int step = 0; step < 3; step++)
            {
                int before = -1, after = -1;
                halves.Run(part =>
                {
                    if (part == 0) before = GC.CollectionCount(0);
                    Garbage();
                });
                after = GC.CollectionCount(0);
                Assert.AreEqual(before, after, $"step {step}: a collection started while the halves ran");
                Assert.AreEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode);
            }
        }
        Assert.AreNotEqual(System.Runtime.GCLatencyMode.NoGCRegion, System.Runtime.GCSettings.LatencyMode, "disposing the runner ends its region");
    }

    [TestMethod]
    [DataRow(PoolingKind.Attention, false, 0.0, 0.0)]
    [DataRow(PoolingKind.Attention, true, 0.1, 0.0)]
    [DataRow(PoolingKind.MultiHead, true, 0.0, 0.5)]
    public void TwoHalvesAtOnceGiveTheWholeBatchsGradient(PoolingKind pooling, bool classWeights, double smoothing, double diversity)
    {
        // No dropout, so the halves' gradients must add up to the whole batch's, with class weights, label smoothing
        // and the multi-head penalty each normalised over the whole batch as cross-entropy's mean is.
        var training = new TrainingOptions { Threads = 2, ClassWeights = classWeights, LabelSmoothing = smoothing };
        set_num_threads(2);
        manual_seed(5);
        using var model = new TextClassifier(ModelOptions(pooling, dropout: 0, diversity));
        model.train();
        using var weights = classWeights ? ClassifierTrainer.ClassWeightsOf(Data, Labels.Count) : null;
        var weightOfClass = weights?.data<float>().ToArray();
        var batch = Enumerable.Range(0, 32).Select(i => i * 7 % Data.Count).ToArray();

        Dictionary<string, float[]> Gradients(BatchHalves? halves, out double loss)
        {
            foreach (var p in model.parameters()) p.grad?.zero_();
            (loss, _) = ClassifierTrainer.ComputeGradients(model, Data, batch, weights, weightOfClass, training, halves);
            return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());
        }

        var whole = Gradients(null, out double wholeLoss);
        Dictionary<string, float[]> split;
        double splitLoss;
        using (var halves = BatchHalves.Create(training)) split = Gradients(halves!, out splitLoss);

        Assert.AreEqual(wholeLoss, splitLoss, 1e-5 * wholeLoss);
        // Sums of 16 and 16 terms against one of 32 round differently, and a gradient that nearly cancels (a bias after
        // GELU) shows it in relative terms: compare at 1e-4 of the model's largest gradient (a wrong normaliser is off by 10-100 %).
        double scale = whole.Values.Max(g => g.Max(Math.Abs));
        foreach (var (name, expected) in whole)
        {
            Assert.IsTrue(expected.Any(g => g != 0), $"{name} got no gradient");
            for (int i = 0; i < expected.Length; i++)
                Assert.AreEqual(expected[i], split[name][i], 1e-4 * scale, $"{name}[{i}]: whole batch {expected[i]}, halves {split[name][i]}");
        }
    }

    [TestMethod]
    [DataRow(PoolingKind.Attention)]
    [DataRow(PoolingKind.MultiHead)] // head dropout too
    public void HalvesWithDropoutGiveBitIdenticalModelsForOneSeed(PoolingKind pooling)
    {
        var model = ModelOptions(pooling, dropout: 0.2);
        var training = new TrainingOptions { Epochs = 1, Threads = 2, Seed = 9 };
        Assert.IsTrue(training.SplitBatchAcrossThreads, "halves are the default");

        var first = TrainedWeights(model, training);
        var second = TrainedWeights(model, training);
        var whole = TrainedWeights(model, new TrainingOptions { Epochs = 1, Threads = 2, Seed = 9, SplitBatchAcrossThreads = false });

        foreach (var (name, a) in first) CollectionAssert.AreEqual(a, second[name], $"{name} differs between two runs with one seed");
        // The halves draw their own dropout masks, so they do train differently from whole batches.
        Assert.IsTrue(first.Any(p => !p.Value.SequenceEqual(whole[p.Key])), "halves drew the same dropout masks as whole batches");
    }

    [TestMethod]
    public void TrainingGivesLibtorchItsThreadCountBack()
    {
        set_num_threads(2);
        TrainedWeights(ModelOptions(PoolingKind.Attention, dropout: 0.1), new TrainingOptions { Epochs = 1, Threads = 2 });
        Assert.AreEqual(2, get_num_threads());
    }

    [TestMethod]
    public void TheHalvesTakeAlternateExamples()
    {
        var halves = BatchHalves.Split(new[] { 10, 11, 12, 13, 14 });
        CollectionAssert.AreEqual(new[] { 10, 12, 14 }, halves[0]);
        CollectionAssert.AreEqual(new[] { 11, 13 }, halves[1]);
    }
}
