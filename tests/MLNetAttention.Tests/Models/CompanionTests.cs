using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Modules;
using MLNetAttention.Onnx;
using MLNetAttention.Training;
using static MLNetAttention.Tests.Onnx.OnnxTestModels;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Models;

/// <summary>A classifier with a companion network: two networks on the same ids, their predictions and weights averaged.</summary>
[TestClass]
public sealed class CompanionTests
{
    public TestContext TestContext { get; set; } = null!;

    // A conv companion beside a bigram network, as the ngram preset pairs them; widths differ from the main network's.
    private static TextClassifierOptions ConvCompanion() => new() { Encoder = EncoderKind.Conv, EmbeddingDim = 10, EncoderDim = 8, DenseDim = 6 };

    // meanCompanion: the companion mean-pools (TextClassifierOptions.CompanionPooling = Mean).
    private static AttentionClassifier WithCompanion(PoolingKind pooling = PoolingKind.Attention, bool singleHead = false, bool meanCompanion = false) =>
        Build(EncoderKind.None, pooling, bigrams: 997, companion: ConvCompanion(), companionSingleHead: singleHead,
            companionPooling: meanCompanion ? PoolingKind.Mean : null);

    // Each head of the model: this network's head averaged with the companion's head of the same index, or with the
    // companion's one head when it has a single one (TextClassifierOptions.CompanionSingleHead).
    private static Tensor MeanOfMembers(Tensor own, Tensor companion) =>
        (own + (own.dim() == 3 && companion.dim() == 2 ? companion.unsqueeze(1) : companion)) / 2;

    [TestMethod]
    [DataRow(PoolingKind.Attention)]
    [DataRow(PoolingKind.MultiHead)]
    [DataRow(PoolingKind.MultiHead, true)]
    [DataRow(PoolingKind.MultiHead, false, true)]
    [DataRow(PoolingKind.Attention, false, true)]
    public void PredictsTheAverageOfBothNetworksAndIsPaddingInvariant(PoolingKind pooling, bool singleHead = false, bool meanCompanion = false)
    {
        using var classifier = WithCompanion(pooling, singleHead, meanCompanion);
        var network = classifier.Network;
        Assert.AreEqual(2, network.Members);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(PaddedIds(classifier.Tokenizer, Texts));
        var (logits, weights) = network.forward(ids);
        var (memberLogits, memberWeights) = network.ForwardMembers(ids);

        var averaged = (memberLogits[0].softmax(-1) + memberLogits[1].softmax(-1)) / 2;
        Assert.IsTrue(logits.softmax(-1).allclose(averaged, atol: 1e-6), "the prediction is the mean of both networks' probabilities");
        Assert.AreEqual(singleHead || meanCompanion ? 2L : memberWeights[0].dim(), memberWeights[1].dim(), "a single-head or mean-pooling companion has one weight row");
        Assert.AreEqual(memberWeights[0].dim(), weights.dim(), "the model's weights keep the first network's heads");
        Assert.IsTrue(weights.allclose(MeanOfMembers(memberWeights[0], memberWeights[1]), atol: 1e-6), "the weights are the mean of both networks' weights");
        Assert.IsFalse(memberLogits[0].softmax(-1).allclose(memberLogits[1].softmax(-1), atol: 1e-3), "two different networks should not agree to the digit");
        Assert.IsTrue(weights.sum(-1).allclose(ones_like(weights.sum(-1)), atol: 1e-5), "averaged weights still sum to 1 over each text");
        if (meanCompanion)
        {
            // A mean-pooling companion weighs each real token 1/length, so each head ranks tokens exactly as the first network's.
            var lengths = ids.ne(0L).sum(1, keepdim: true).to(ScalarType.Float32);
            Assert.IsTrue(memberWeights[1].allclose(ids.ne(0L).to(ScalarType.Float32) / lengths, atol: 1e-6), "the companion's weights are uniform");
            var own = memberWeights[0].dim() == 3 ? memberWeights[0] : memberWeights[0].unsqueeze(1);
            var model = weights.dim() == 3 ? weights : weights.unsqueeze(1);
            var real = ids.ne(0L).unsqueeze(1).expand_as(own);
            var ownOrder = own.masked_fill(real.logical_not(), -1f).argsort(-1, descending: true);
            var modelOrder = model.masked_fill(real.logical_not(), -1f).argsort(-1, descending: true);
            Assert.IsTrue(ownOrder.eq(modelOrder).all().item<bool>(), "the model's heads rank tokens as the first network's heads");
        }

        // Attribution methods run the model in two halves; with a companion they must still give the same output.
        var mask = ids.ne(0L).to(ScalarType.Float32);
        var (halvesLogits, halvesWeights) = network.FromEmbeddings(network.Embed(ids), mask);
        Assert.IsTrue(halvesLogits.allclose(logits, atol: 1e-5));
        Assert.IsTrue(halvesWeights.allclose(weights, atol: 1e-6));

        for (int i = 0; i < Texts.Length; i++)
        {
            var alone = tensor(classifier.Tokenizer.EncodeToIds(Texts[i], MaxLength, out _).Select(id => (long)id).ToArray()).unsqueeze(0);
            var (aloneLogits, _) = network.forward(alone);
            Assert.IsTrue(aloneLogits.softmax(-1)[0].allclose(logits.softmax(-1)[i], atol: 1e-5), $"padding changed text {i}'s probabilities");
        }
    }

    [TestMethod]
    [DataRow(PoolingKind.Attention, EmbeddingTableStorage.Dense, 1e-5f)]
    [DataRow(PoolingKind.MultiHead, EmbeddingTableStorage.Dense, 1e-5f)]
    [DataRow(PoolingKind.Attention, EmbeddingTableStorage.TouchedRowsInt8, 2e-2f)]
    [DataRow(PoolingKind.MultiHead, EmbeddingTableStorage.Dense, 1e-5f, true)]
    [DataRow(PoolingKind.MultiHead, EmbeddingTableStorage.Dense, 1e-5f, false, true)]
    [DataRow(PoolingKind.Attention, EmbeddingTableStorage.TouchedRowsInt8, 2e-2f, false, true)]
    public void ExportsToOnnxAsTheAverageOfBothNetworks(PoolingKind pooling, EmbeddingTableStorage storage, float tolerance, bool singleHead = false, bool meanCompanion = false)
    {
        using var classifier = WithCompanion(pooling, singleHead, meanCompanion);
        var ids = PaddedIds(classifier.Tokenizer, Texts);
        using var session = new InferenceSession(OnnxExporter.ExportToBytes(classifier, new OnnxExportOptions { BigramTable = storage }));
        var (torchProbabilities, torchWeights) = RunTorch(classifier, ids);
        var (onnxProbabilities, onnxWeights, shape) = RunOnnx(session, ids);
        float probabilityDiff = MaxAbsDiff(torchProbabilities, onnxProbabilities), weightDiff = MaxAbsDiff(torchWeights, onnxWeights);
        TestContext.WriteLine($"{pooling}, {storage}: max |diff| probabilities {probabilityDiff:E2}, weights {weightDiff:E2}");
        Assert.IsLessThanOrEqualTo(tolerance, probabilityDiff);
        Assert.IsLessThanOrEqualTo(tolerance, weightDiff);
        Assert.AreEqual(pooling == PoolingKind.MultiHead ? 3 : 2, shape.Length, "the weights keep the shape of one network's");
        if (pooling == PoolingKind.MultiHead) Assert.AreEqual(3, shape[1], "one row per head of the first network");
    }

    [TestMethod]
    [DataRow(PoolingKind.Attention, 10)]
    [DataRow(PoolingKind.MultiHead, 10)]
    [DataRow(PoolingKind.MultiHead, 0)]
    [DataRow(PoolingKind.MultiHead, 10, true)]
    [DataRow(PoolingKind.MultiHead, 10, false, true)]
    [DataRow(PoolingKind.MultiHead, 10, false, false, PoolingKind.Mean)]
    [DataRow(PoolingKind.MultiHead, 10, false, false, PoolingKind.Attention)]
    public void TheUniformTwinMeanPoolsBothNetworksAndKeepsEverythingElse(PoolingKind pooling, int denseDim, bool sliced = false, bool singleHead = false,
        PoolingKind? companionPooling = null)
    {
        // Sliced heads need widths that divide by the heads: 4 heads of the 16-wide embeddings and the companion's 8-wide conv.
        using var classifier = Build(EncoderKind.None, pooling, bigrams: 997, denseDim: denseDim, companion: ConvCompanion(),
            heads: sliced ? 4 : 3, slicedHeads: sliced, companionSingleHead: singleHead, companionPooling: companionPooling);
        var network = classifier.Network;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(PaddedIds(classifier.Tokenizer, Texts));
        var lengths = ids.ne(0L).sum(1).data<long>().ToArray();

        using var twin = MLNetAttention.Faithfulness.UniformTwin.Create(network);
        var (logits, weights) = twin.forward(ids);
        Assert.AreEqual(2, twin.Members, "the twin keeps the companion");
        var w = weights.data<float>().ToArray();
        int length = (int)weights.shape[^1];
        for (int r = 0; r < Texts.Length; r++)
            for (int t = 0; t < length; t++)
                Assert.AreEqual(t < lengths[r] ? 1f / lengths[r] : 0f, w[r * length + t], 1e-6f, $"text {r}, token {t}");

        // The attention scorers of both networks no longer matter; the companion's read-out still does.
        foreach (var (name, parameter) in network.named_parameters().Where(p => p.name.Contains("pooling.")))
            parameter.add_(1f);
        using (var scorersMoved = MLNetAttention.Faithfulness.UniformTwin.Create(network))
            Assert.IsTrue(scorersMoved.forward(ids).Logits.allclose(logits, atol: 1e-6), "the twin ignores the attention scorers");
        // One class's bias only: a shift of every logit would leave the probabilities as they were.
        network.named_parameters().Single(p => p.name == "companion.output.bias").parameter[0].add_(1f);
        using (var readOutMoved = MLNetAttention.Faithfulness.UniformTwin.Create(network))
            Assert.IsFalse(readOutMoved.forward(ids).Logits.allclose(logits, atol: 1e-4), "the twin keeps the companion's own parameters");

        // With every scorer's output rows at zero the network itself weighs tokens uniformly, so the twin scores as it does.
        foreach (var (name, parameter) in network.named_parameters().Where(p => p.name.EndsWith("pooling.o_dense.weight", StringComparison.Ordinal)))
            parameter.zero_();
        network.eval();
        using (var flatScorers = MLNetAttention.Faithfulness.UniformTwin.Create(network))
            Assert.IsTrue(flatScorers.forward(ids).Logits.allclose(network.forward(ids).Logits, atol: 1e-5), "the twin is the network with uniform weights");
    }

    [TestMethod]
    public void CompactDirectoryReadsBothNetworksBackAndNeedsTheNewFormat()
    {
        using var classifier = WithCompanion();
        string directory = Path.Combine(TempDirectory(), "companion");
        OnnxExporter.SaveWithOnnx(classifier, directory, OnnxExportOptions.Compact());
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, AttentionClassifier.ManifestFile)))!;
        Assert.IsGreaterThanOrEqualTo(3, manifest["formatVersion"]!.GetValue<int>(), "versions that would build the first network alone must refuse it");
        Assert.AreEqual("Conv", manifest["model"]!["companion"]!["encoder"]!.GetValue<string>());

        using var loaded = AttentionClassifier.Load(directory);
        Assert.AreEqual(2, loaded.Network.Members);
        using var onnx = AttentionOnnxModel.Load(Path.Combine(directory, OnnxExporter.OnnxFileName));
        var fromDirectory = loaded.Predict(Texts);
        var fromOnnx = onnx.Predict(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.AreEqual(fromOnnx[i].Label, fromDirectory[i].Label, Texts[i]);
            Assert.AreEqual(0f, MaxAbsDiff(fromOnnx[i].Probabilities.ToArray(), fromDirectory[i].Probabilities.ToArray()), 1e-5f);
            Assert.AreEqual(0f, MaxAbsDiff(fromOnnx[i].Tokens.SelectMany(t => t.Weights).ToArray(), fromDirectory[i].Tokens.SelectMany(t => t.Weights).ToArray()), 1e-5f);
        }
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    [DataRow(true, true)]
    public void ACompanionPoolingItsOwnWayReadsBackFromBothLayoutsWithItsOwnFormatVersion(bool compact, bool meanCompanion)
    {
        using var classifier = WithCompanion(PoolingKind.MultiHead, singleHead: !meanCompanion, meanCompanion: meanCompanion);
        string directory = Path.Combine(TempDirectory(), "companion-pooling");
        if (compact) OnnxExporter.SaveWithOnnx(classifier, directory, OnnxExportOptions.Compact());
        else classifier.Save(directory);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, AttentionClassifier.ManifestFile)))!;
        Assert.AreEqual(meanCompanion ? ModelDirectory.CompanionPoolingFormatVersion : ModelDirectory.SingleHeadCompanionFormatVersion,
            manifest["formatVersion"]!.GetValue<int>(), "versions that would build the companion with the first network's pooling must refuse it");

        using var loaded = AttentionClassifier.Load(directory);
        Assert.AreEqual(!meanCompanion, loaded.Network.Options.CompanionSingleHead);
        Assert.AreEqual(meanCompanion ? PoolingKind.Mean : null, loaded.Network.Options.CompanionPooling);
        var before = classifier.Predict(Texts);
        var after = loaded.Predict(Texts);
        // Compact tables hold int8 rows: the same answers within quantisation.
        float tolerance = compact ? 2e-2f : 1e-6f;
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.AreEqual(3, after[i].Heads, Texts[i]);
            Assert.AreEqual(0f, MaxAbsDiff(before[i].Probabilities.ToArray(), after[i].Probabilities.ToArray()), tolerance, Texts[i]);
            Assert.AreEqual(0f, MaxAbsDiff(before[i].Tokens.SelectMany(t => t.Weights).ToArray(), after[i].Tokens.SelectMany(t => t.Weights).ToArray()), tolerance, Texts[i]);
        }
    }

    [TestMethod]
    public void OptionsNameTheCompanionsBadSettingAndRoundTripThroughJson()
    {
        var options = new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, Companion = new TextClassifierOptions { Dropout = 1.5 } };
        var error = Assert.ThrowsExactly<ArgumentException>(options.Validate);
        StringAssert.StartsWith(error.Message, "Companion.Dropout is 1.5");

        options.Companion = new TextClassifierOptions { Companion = new TextClassifierOptions() };
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "one companion per model");

        options.Companion = new TextClassifierOptions { Encoder = EncoderKind.Conv, EmbeddingDim = 64 };
        options.Pooling = PoolingKind.MultiHead;
        options.Validate();
        var resolved = options.ResolvedCompanion()!;
        Assert.AreEqual((50, 2, PoolingKind.MultiHead, 64), (resolved.VocabularySize, resolved.NumClasses, resolved.Pooling, resolved.EmbeddingDim),
            "the companion reads this model's ids and pools as it does, with its own widths");
        var copy = JsonSerializer.Deserialize<TextClassifierOptions>(JsonSerializer.Serialize(options, ModelJson.Options), ModelJson.Options)!;
        Assert.AreEqual(64, copy.Companion!.EmbeddingDim);
        Assert.AreNotSame(options.Companion, options.Clone().Companion, "a copy does not share its companion");

        options.CompanionSingleHead = true;
        options.Validate();
        resolved = options.ResolvedCompanion()!;
        Assert.AreEqual((PoolingKind.Attention, 1, false), (resolved.Pooling, resolved.WeightRows, resolved.CompanionSingleHead), "a single-head companion pools with one attention head");
        Assert.IsTrue(JsonSerializer.Deserialize<TextClassifierOptions>(JsonSerializer.Serialize(options, ModelJson.Options), ModelJson.Options)!.CompanionSingleHead);
        var alone = options.CloneWithoutCompanion();
        alone.Validate();
        Assert.IsFalse(alone.CompanionSingleHead, "the network alone (trained apart, or split off) has no companion to pool with one head");
        options.Pooling = PoolingKind.Attention;
        Assert.AreEqual(PoolingKind.Attention, options.ResolvedCompanion()!.Pooling, "with one head already, nothing changes");
        options.Pooling = PoolingKind.Mean;
        Assert.AreEqual(PoolingKind.Mean, options.ResolvedCompanion()!.Pooling, "the uniform twin's mean pooling stays mean pooling");

        options.Pooling = PoolingKind.MultiHead;
        options.CompanionHeadPairing = 0.1;
        error = Assert.ThrowsExactly<ArgumentException>(options.Validate);
        StringAssert.Contains(error.Message, "CompanionHeadPairing");
        options.CompanionHeadPairing = 0;
        options.CompanionPooling = PoolingKind.Mean;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "null with CompanionSingleHead");
        options.CompanionSingleHead = false;
        options.Validate();
        resolved = options.ResolvedCompanion()!;
        Assert.AreEqual((PoolingKind.Mean, 1, (PoolingKind?)null), (resolved.Pooling, resolved.WeightRows, resolved.CompanionPooling), "a mean-pooling companion");
        Assert.AreEqual(PoolingKind.Mean, JsonSerializer.Deserialize<TextClassifierOptions>(JsonSerializer.Serialize(options, ModelJson.Options), ModelJson.Options)!.CompanionPooling);
        Assert.IsNull(options.CloneWithoutCompanion().CompanionPooling, "the network alone has no companion to pool");
        options.CompanionPooling = PoolingKind.MultiHead;
        options.CompanionHeadPairing = 0.1;
        options.Validate();
        options.CompanionHeadPairing = 0;
        Assert.AreEqual((PoolingKind.MultiHead, options.Heads), (options.ResolvedCompanion()!.Pooling, options.ResolvedCompanion()!.Heads), "said explicitly, the first network's heads");
        options.Pooling = PoolingKind.Attention;
        error = Assert.ThrowsExactly<ArgumentException>(options.Validate);
        StringAssert.StartsWith(error.Message, "CompanionPooling is MultiHead");
        StringAssert.Contains(error.Message, "only when this network pools with several heads");
        options.Pooling = PoolingKind.MultiHead;
        options.CompanionPooling = PoolingKind.Attention;
        options.CompanionHeadPairing = 0.1;
        StringAssert.StartsWith(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "CompanionPooling is Attention");
        options.CompanionHeadPairing = 0;
        options.Companion = null;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(options.Validate).Message, "CompanionPooling is Attention; it must be null unless");
        options.CompanionPooling = null;
        options.CompanionSingleHead = true;
        error = Assert.ThrowsExactly<ArgumentException>(options.Validate);
        StringAssert.StartsWith(error.Message, "CompanionSingleHead is True");
        StringAssert.Contains(error.Message, "Companion network");
    }

    [TestMethod]
    public void TrainingTeachesEachNetworkOnItsOwn()
    {
        var train = BundledSamples.ReadTexts("poetry-dynasty.train").ToList();
        var options = AttentionClassifierOptions.Ngram();
        options.Model.BigramBuckets = 50_000;
        options.Model.Companion = new TextClassifierOptions { Encoder = EncoderKind.Conv, EmbeddingDim = 32, EncoderDim = 32, DenseDim = 32 };
        options.Training.Epochs = 2;
        options.Training.Threads = 1;
        using var classifier = AttentionClassifier.Train(train, null, options);

        // Each network alone must fit the training texts: neither rides on the other's loss.
        var sample = train.Take(300).ToList();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        classifier.Network.eval();
        var ids = tensor(PaddedIds(classifier.Tokenizer, sample.Select(t => t.Text).ToArray()));
        var target = tensor(sample.Select(t => (long)classifier.Labels.ToList().IndexOf(t.Label)).ToArray());
        var (memberLogits, _) = classifier.Network.ForwardMembers(ids);
        var accuracies = memberLogits.Select(l => l.argmax(-1).eq(target).to(ScalarType.Float32).mean().item<float>()).ToArray();
        TestContext.WriteLine($"training accuracy of each network: {string.Join(", ", accuracies.Select(a => a.ToString("0.000")))}");
        foreach (float accuracy in accuracies) Assert.IsGreaterThan(0.75f, accuracy);
    }

    [TestMethod]
    public void HeadPairingMakesTheTwoNetworksHeadsLookAtTheSameTokens()
    {
        var train = BundledSamples.ReadTexts("poetry-dynasty.train").Take(1200).ToList();
        var heldOut = BundledSamples.ReadTexts("poetry-dynasty.test").Take(300).Select(t => t.Text).ToArray();
        float HeldOutPairing(double pairing)
        {
            var options = AttentionClassifierOptions.Ngram();
            options.Model.BigramBuckets = 20_000;
            options.Model.Pooling = PoolingKind.MultiHead;
            options.Model.CompanionHeadPairing = pairing;
            options.Model.Companion = new TextClassifierOptions { Encoder = EncoderKind.Conv, EmbeddingDim = 32, EncoderDim = 32, DenseDim = 32 };
            options.Training.Epochs = 2;
            options.Training.Threads = 1;
            using var classifier = AttentionClassifier.Train(train, null, options);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            classifier.Network.eval();
            var (_, weights) = classifier.Network.ForwardMembers(tensor(PaddedIds(classifier.Tokenizer, heldOut)));
            return MultiHeadAttentionPooling1D.PairingPenalty(weights[0], weights[1]).item<float>();
        }

        float apart = HeldOutPairing(0), paired = HeldOutPairing(1);
        TestContext.WriteLine($"held-out pairing penalty: {apart:0.000} trained without it, {paired:0.000} with it");
        Assert.IsLessThan(0.7f * apart, paired, "head h of both networks looks more alike on texts training never saw");
    }

    [TestMethod]
    public void CompanionApartJoinsTwoNetworksTrainedAloneWithTheirOwnSeeds()
    {
        var train = BundledSamples.ReadTexts("poetry-dynasty.train").Take(600).ToList();
        AttentionClassifierOptions Options(bool withCompanion, long seed)
        {
            var options = AttentionClassifierOptions.Ngram(MLNetAttention.Text.TokenizationMode.Char);
            options.Model.BigramBuckets = 20_000;
            options.Model.EmbeddingDim = 16;
            options.Model.DenseDim = 16;
            // The companion is the same n-gram network: trained beside it on the same batches it would end as a copy.
            options.Model.Companion = null;
            if (withCompanion) options.Model.Companion = options.Model.Clone();
            options.Training.Epochs = 1;
            options.Training.Threads = 1;
            options.Training.Seed = seed;
            options.Training.CompanionApart = withCompanion;
            return options;
        }
        using var joined = AttentionClassifier.Train(train, null, Options(withCompanion: true, seed: 7));
        // The same two networks trained as models of their own: the first with the seed, the companion with seed + 1.
        using var first = AttentionClassifier.Train(train, null, Options(withCompanion: false, seed: 7));
        using var second = AttentionClassifier.Train(train, null, Options(withCompanion: false, seed: 8));
        var texts = train.Take(40).Select(t => t.Text).ToList();
        var a = first.Predict(texts); var b = second.Predict(texts); var both = joined.Predict(texts);
        bool differ = false;
        for (int i = 0; i < texts.Count; i++)
        {
            for (int c = 0; c < both[i].Probabilities.Length; c++)
            {
                double mean = (a[i].Probabilities[c] + b[i].Probabilities[c]) / 2;
                Assert.AreEqual(mean, both[i].Probabilities[c], 1e-5, $"text {i}, class {c}: the joined model averages the two networks");
                differ |= Math.Abs(a[i].Probabilities[c] - b[i].Probabilities[c]) > 1e-3;
            }
        }
        Assert.IsTrue(differ, "trained apart, the two networks predict differently");
        Assert.ThrowsExactly<ArgumentException>(() => AttentionClassifier.Train(train, null, Options(withCompanion: true, seed: 7), resume: "somewhere"));
    }
}
