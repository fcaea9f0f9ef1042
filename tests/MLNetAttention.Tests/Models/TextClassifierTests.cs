using MLNetAttention.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Models;

[TestClass]
public sealed class TextClassifierTests
{
    public static IEnumerable<object[]> Architectures() =>
        from encoder in Enum.GetValues<EncoderKind>()
        from pooling in Enum.GetValues<PoolingKind>()
        from bigrams in new[] { 0, 97 }
        where bigrams == 0 || (encoder == EncoderKind.Conv && pooling == PoolingKind.Attention)
        select new object[] { encoder, pooling, bigrams };

    private static TextClassifier Build(EncoderKind encoder, PoolingKind pooling, int bigrams = 0, bool trigrams = false)
    {
        manual_seed(11);
        var model = new TextClassifier(new TextClassifierOptions
        {
            VocabularySize = 50, NumClasses = 3, EmbeddingDim = 16, EncoderDim = 12, AttentionHiddenDim = 8,
            DenseDim = 10, Heads = 2, Encoder = encoder, Pooling = pooling, MaxLength = 600, BigramBuckets = bigrams, Trigrams = trigrams,
        });
        // A fresh bigram table is zero; random rows make the bigram path matter to what a test checks.
        if (bigrams > 0) RandomiseBigrams(model);
        return model;
    }

    private static void RandomiseBigrams(TextClassifier model)
    {
        using var noGrad = no_grad();
        model.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter.normal_(0, 1);
    }

    [TestMethod]
    public void TrigramsArePaddingInvariantAndChangeTheScores()
    {
        using var scope = NewDisposeScope();
        using var withTrigrams = Build(EncoderKind.None, PoolingKind.Attention, bigrams: 97, trigrams: true);
        using var bigramsOnly = Build(EncoderKind.None, PoolingKind.Attention, bigrams: 97);
        bigramsOnly.load_state_dict(withTrigrams.state_dict());
        withTrigrams.eval(); bigramsOnly.eval();
        using var noGrad = no_grad();
        foreach (var ids in new[] { new long[] { 5 }, new long[] { 5, 9 }, new long[] { 5, 9, 2, 33, 17, 8, 41 } })
        {
            var text = tensor(ids).unsqueeze(0);
            var alone = withTrigrams.forward(text).Logits.softmax(-1);
            var batch = zeros(2, 40, dtype: ScalarType.Int64);
            batch[0, ..ids.Length] = text[0];
            batch[1, ..40] = randint(2, 50, 40, dtype: ScalarType.Int64);
            var padded = withTrigrams.forward(batch).Logits[0].softmax(-1);
            Assert.IsTrue(padded.allclose(alone[0], atol: 1e-6), $"padding changed a {ids.Length}-token text's probabilities");
            if (ids.Length > 1)
                Assert.IsFalse(alone.allclose(bigramsOnly.forward(text).Logits.softmax(-1), atol: 1e-4), "the trigram rows should change the scores");
        }
        Assert.ThrowsExactly<ArgumentException>(() => new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, Trigrams = true }.Validate());
    }

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void ATextScoresTheSameAloneAndInABatchPaddedTo512(EncoderKind encoder, PoolingKind pooling, int bigrams)
    {
        using var scope = NewDisposeScope();
        using var model = Build(encoder, pooling, bigrams);
        model.eval();
        using var noGrad = no_grad();
        var text = tensor(new long[] { 5, 9, 2, 33, 17, 8, 41 }).unsqueeze(0);
        var (aloneLogits, aloneWeights) = model.forward(text);

        var batch = zeros(3, 512, dtype: ScalarType.Int64);
        batch[0, ..7] = text[0];
        batch[1, ..300] = randint(2, 50, 300, dtype: ScalarType.Int64);
        batch[2, ..512] = randint(2, 50, 512, dtype: ScalarType.Int64);
        var (logits, weights) = model.forward(batch);

        var probabilities = logits[0].softmax(-1);
        Assert.IsTrue(probabilities.allclose(aloneLogits[0].softmax(-1), atol: 1e-6), "padding changed the probabilities");
        var rowWeights = weights[0];
        var real = rowWeights.dim() == 2 ? rowWeights[.., ..7] : rowWeights[..7];
        var pad = rowWeights.dim() == 2 ? rowWeights[.., 7..] : rowWeights[7..];
        Assert.IsTrue(real.allclose(aloneWeights[0], atol: 1e-6), "padding changed the weights");
        Assert.IsTrue(pad.abs().max().item<float>() < 1e-6f);
        int heads = pooling == PoolingKind.MultiHead ? 2 : 1;
        Assert.AreEqual(heads == 1 ? 2 : 3, (int)weights.dim());
    }

    [TestMethod]
    public void TheSameSeedGivesTheSameWeights()
    {
        using var scope = NewDisposeScope();
        using var first = Build(EncoderKind.Conv, PoolingKind.Attention);
        using var second = Build(EncoderKind.Conv, PoolingKind.Attention);
        foreach (var ((name, a), (_, b)) in first.named_parameters().Zip(second.named_parameters()))
            Assert.IsTrue(a.allclose(b, rtol: 0, atol: 0), $"{name} differs between two models built with one seed");
    }

    [TestMethod]
    public void PaddingRowOfTheEmbeddingIsZeroAndParameterNamesFollowPyTorch()
    {
        using var model = Build(EncoderKind.Conv, PoolingKind.MultiHead, bigrams: 97);
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        foreach (var expected in new[] { "embedding.weight", "encoder.conv1.weight", "pooling.k_dense.weight", "pooling.o_dense.weight", "dense.weight", "output.bias", "bigram_embedding.weight" })
            Assert.IsTrue(names.Contains(expected), $"missing parameter {expected}; have {string.Join(", ", names)}");
        var embedding = model.named_parameters().Single(p => p.name == "embedding.weight").parameter;
        Assert.AreEqual(0f, embedding[0].abs().sum().item<float>());
    }

    [TestMethod]
    public void InvalidOptionsNameTheOption()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => new TextClassifier(new TextClassifierOptions { VocabularySize = 10, NumClasses = 1 }));
        StringAssert.Contains(error.Message, "NumClasses");
        error = Assert.ThrowsExactly<ArgumentException>(() => new TextClassifier(new TextClassifierOptions { VocabularySize = 10, NumClasses = 2, Encoder = EncoderKind.BiLstm, EncoderDim = 7 }));
        StringAssert.Contains(error.Message, "EncoderDim");
        error = Assert.ThrowsExactly<ArgumentException>(() => new TextClassifier(new TextClassifierOptions
        {
            VocabularySize = 10, NumClasses = 2, Pooling = PoolingKind.MultiHead, Heads = 3, EncoderDim = 128, SlicedHeads = true,
        }));
        StringAssert.Contains(error.Message, "SlicedHeads");
        StringAssert.Contains(error.Message, "divides by the heads (3)");
        // Attention pooling has one weight row: the flag has nothing to slice and builds as usual.
        using var oneHead = new TextClassifier(new TextClassifierOptions { VocabularySize = 10, NumClasses = 2, Heads = 3, SlicedHeads = true });
    }

    [TestMethod]
    public void AFreshModelsBigramsAddNothingUntilTrained()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new TextClassifier(new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, BigramBuckets = 97 });
        var ids = tensor(new long[,] { { 5, 9, 2, 33, 0 } });
        var tokens = model.named_parameters().Single(p => p.name == "embedding.weight").parameter.index_select(0, ids[0]).unsqueeze(0);
        using var noGrad = no_grad();
        Assert.IsTrue(model.Embed(ids).allclose(tokens, rtol: 0, atol: 0), "a fresh bigram row should be zero");
    }

    [TestMethod]
    public void TheDefaultStrideSeparatesPairsTheLegacyStrideMerges()
    {
        // With 1,000 buckets the legacy stride hashes (a, b) to 3a + b: (5, 9) and (6, 6) share a bucket.
        float BigramGap(long stride)
        {
            using var scope = NewDisposeScope();
            manual_seed(5);
            using var model = new TextClassifier(new TextClassifierOptions
            {
                VocabularySize = 50, NumClasses = 2, BigramBuckets = 1_000, BigramHashStride = stride,
            });
            RandomiseBigrams(model);
            model.eval();
            using var noGrad = no_grad();
            var tokens = model.named_parameters().Single(p => p.name == "embedding.weight").parameter;
            var first = model.Embed(tensor(new long[,] { { 5, 9 } }))[0, 0] - tokens[5];
            var second = model.Embed(tensor(new long[,] { { 6, 6 } }))[0, 0] - tokens[6];
            return (first - second).abs().max().item<float>();
        }

        Assert.AreEqual(0f, BigramGap(TextClassifierOptions.LegacyBigramHashStride), 1e-6f, "the legacy stride merges the two pairs");
        Assert.IsGreaterThan(1e-2f, BigramGap(0), "the default stride (the vocabulary size) keeps them apart");
    }

    [TestMethod]
    public void SavedOptionsWithoutAStrideReadBackAsTheLegacyHash()
    {
        var fresh = new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, BigramBuckets = 97 };
        Assert.AreEqual(50L, fresh.EffectiveBigramHashStride);
        string json = System.Text.Json.JsonSerializer.Serialize(fresh, ModelJson.Options);
        var roundTrip = System.Text.Json.JsonSerializer.Deserialize<TextClassifierOptions>(json, ModelJson.Options)!;
        Assert.AreEqual(50L, roundTrip.EffectiveBigramHashStride, "a new model keeps the vocabulary-size stride");

        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.IsTrue(node.Remove("bigramHashStride"), "the stride is written");
        var old = System.Text.Json.JsonSerializer.Deserialize<TextClassifierOptions>(node.ToJsonString(), ModelJson.Options)!;
        Assert.AreEqual(TextClassifierOptions.LegacyBigramHashStride, old.EffectiveBigramHashStride, "a model saved before the option scores as it was trained");
    }

    [TestMethod]
    public void HeadOptionsRoundTripAndSavedOnesWithoutTheFieldsReadOff()
    {
        var fresh = new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, Pooling = PoolingKind.MultiHead, DiversityPenalty = 0.1, HeadDropout = 0.3, SeparateHeadKeys = true, SlicedHeads = true };
        string json = System.Text.Json.JsonSerializer.Serialize(fresh, ModelJson.Options);
        var roundTrip = System.Text.Json.JsonSerializer.Deserialize<TextClassifierOptions>(json, ModelJson.Options)!;
        Assert.AreEqual(0.1, roundTrip.DiversityPenalty);
        Assert.AreEqual(0.3, roundTrip.HeadDropout);
        Assert.IsTrue(roundTrip.SeparateHeadKeys);
        Assert.IsTrue(roundTrip.SlicedHeads);
        Assert.IsTrue(fresh.Clone().SlicedHeads && new TextClassifierOptions { SlicedHeads = true, Companion = new() }.ResolvedCompanion()!.SlicedHeads,
            "copies and the companion keep the layout");

        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.IsTrue(node.Remove("separateHeadKeys"), "the key layout is written");
        Assert.IsTrue(node.Remove("slicedHeads"), "the value layout is written");
        Assert.IsTrue(node.Remove("headDropout"), "the head dropout is written");
        var old = System.Text.Json.JsonSerializer.Deserialize<TextClassifierOptions>(node.ToJsonString(), ModelJson.Options)!;
        Assert.IsFalse(old.SeparateHeadKeys, "a model saved before the option has the shared projection");
        Assert.IsFalse(old.SlicedHeads, "a model saved before the option pools the whole vector in every head");
        Assert.AreEqual(0, old.HeadDropout);
        Assert.AreEqual(0, new TextClassifierOptions().DiversityPenalty, "off by default: the heads of full-size data sets differ without it");
    }

    [TestMethod]
    public void EachHeadAloneReadsOutItsOwnVectorScaledByTheHeadCount()
    {
        // With a linear read-out, logits = W [v1..vH] + b and head h alone gives W (H vh) + b, so the heads' solo
        // logits average to the ensemble's logits; one head alone is the network itself.
        foreach (int heads in new[] { 1, 4 })
        {
            manual_seed(5);
            using var model = new TextClassifier(new TextClassifierOptions
            {
                VocabularySize = 40, NumClasses = 3, EmbeddingDim = 12, EncoderDim = 10, AttentionHiddenDim = 6, DenseDim = 0,
                Pooling = PoolingKind.MultiHead, Heads = heads, HeadSoloLoss = 1,
            });
            model.eval();
            using var noGrad = no_grad();
            var ids = tensor(new long[,] { { 3, 7, 9, 12, 0, 0 }, { 5, 5, 21, 8, 30, 2 } });
            var (logits, _, solo) = model.ForwardForTraining(ids, headLogits: true);
            Assert.IsNotNull(solo[0]);
            CollectionAssert.AreEqual(new long[] { 2, heads, 3 }, solo[0]!.shape);
            var gap = (solo[0]!.mean(new long[] { 1 }) - logits[0]).abs().max().item<float>();
            Assert.AreEqual(0f, gap, 1e-5f, $"{heads} head(s): the solo logits average to the network's");
            if (heads > 1)
                Assert.IsGreaterThan(1e-3f, (solo[0]![.., 0] - solo[0]![.., 1]).abs().max().item<float>(), "each head reads out its own vector");
            var (_, _, none) = model.ForwardForTraining(ids, headLogits: false);
            Assert.IsNull(none[0], "no solo logits unless asked for");
        }
    }

    [TestMethod]
    public void SoloHeadLossOptionValidatesAndRoundTrips()
    {
        var options = new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, Pooling = PoolingKind.MultiHead, HeadSoloLoss = 0.5 };
        var roundTrip = System.Text.Json.JsonSerializer.Deserialize<TextClassifierOptions>(
            System.Text.Json.JsonSerializer.Serialize(options, ModelJson.Options), ModelJson.Options)!;
        Assert.AreEqual(0.5, roundTrip.HeadSoloLoss);
        Assert.AreEqual(0.5, new TextClassifierOptions { VocabularySize = 50, NumClasses = 2, HeadSoloLoss = 0.5, Companion = new() }.ResolvedCompanion()!.HeadSoloLoss,
            "the companion network trains its heads the same way");
        foreach (double bad in new[] { -0.1, double.NaN, double.PositiveInfinity })
        {
            options.HeadSoloLoss = bad;
            var error = Assert.ThrowsExactly<ArgumentException>(options.Validate);
            StringAssert.Contains(error.Message, "HeadSoloLoss");
        }
        options.HeadSoloLoss = 0.5;
        options.CompanionHeadSoloLoss = 0;
        options.Companion = new();
        roundTrip = System.Text.Json.JsonSerializer.Deserialize<TextClassifierOptions>(
            System.Text.Json.JsonSerializer.Serialize(options, ModelJson.Options), ModelJson.Options)!;
        Assert.AreEqual(0.0, roundTrip.CompanionHeadSoloLoss);
        Assert.AreEqual(0.0, roundTrip.ResolvedCompanion()!.HeadSoloLoss, "the companion's own weight wins");
        foreach (double bad in new[] { -0.1, double.NaN, double.PositiveInfinity })
        {
            options.CompanionHeadSoloLoss = bad;
            var error = Assert.ThrowsExactly<ArgumentException>(options.Validate);
            StringAssert.Contains(error.Message, "CompanionHeadSoloLoss");
        }
    }
}
