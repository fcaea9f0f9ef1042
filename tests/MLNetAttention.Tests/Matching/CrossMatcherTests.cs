using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Matching;

[TestClass]
public sealed class CrossMatcherTests
{
    private static TextMatcherOptions Small(EncoderKind encoder = EncoderKind.None, int compositionKernel = 0) => new()
    {
        Kind = MatcherKind.Cross, VocabularySize = 60, EmbeddingDim = 16, EncoderDim = 16, CompareDim = 12,
        AttentionHiddenDim = 12, DenseDim = 24, Encoder = encoder, MaxLength = 64, Dropout = 0.1, MaxRelativeDistance = 4,
        CompositionKernel = compositionKernel,
    };

    private static Tensor Padded(long[][] rows, int length)
    {
        var buffer = new long[rows.Length * length];
        for (int r = 0; r < rows.Length; r++) rows[r].CopyTo(buffer, r * length);
        return tensor(buffer, new long[] { rows.Length, length });
    }

    [TestMethod]
    [DataRow(EncoderKind.None, 0)]
    [DataRow(EncoderKind.None, 3)]
    [DataRow(EncoderKind.ResConv, 0)]
    public void TheAlignmentIsADistributionOverTheOtherSentenceAndIgnoresPadding(EncoderKind encoder, int compositionKernel)
    {
        manual_seed(11);
        using var model = new CrossAttentionMatcher(Small(encoder, compositionKernel));
        model.eval();
        long[] first = [5, 9, 13, 2, 40], second = [7, 7, 30, 12, 55, 3, 21];
        using var noGrad = no_grad();
        var (aloneLogits, aloneW1, aloneW2, alone) = model.Align(Padded([first], 5), Padded([second], 7));
        var (batchLogits, batchW1, batchW2, batch) = model.Align(Padded([[4, 4, 4], first], 48), Padded([[8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], second], 40));
        Assert.AreEqual(aloneLogits.softmax(-1)[0, 1].item<float>(), batchLogits.softmax(-1)[1, 1].item<float>(), 1e-6, "probability");
        for (int t = 0; t < 5; t++) Assert.AreEqual(aloneW1[0, t].item<float>(), batchW1[1, t].item<float>(), 1e-6, $"text1 weight {t}");
        for (int t = 0; t < 7; t++) Assert.AreEqual(aloneW2[0, t].item<float>(), batchW2[1, t].item<float>(), 1e-6, $"text2 weight {t}");
        Assert.AreEqual(5L, alone.shape[1]);
        Assert.AreEqual(7L, alone.shape[2]);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(1.0, alone[0, i].sum().item<float>(), 1e-5, $"row {i} sums to 1");
            for (int j = 0; j < 7; j++)
                Assert.AreEqual(alone[0, i, j].item<float>(), batch[1, i, j].item<float>(), 1e-6, $"alignment {i},{j}");
            Assert.AreEqual(0f, batch[1, i, 7..].abs().sum().item<float>(), "padding columns get 0");
        }
        Assert.AreEqual(0f, batch[1, 5..].abs().sum().item<float>(), "rows of padded steps are 0");
    }

    [TestMethod]
    public void TheDistancePenaltyMakesAFreshMatcherAttendNearItsOwnPosition()
    {
        manual_seed(2);
        var options = Small();
        options.InitialDistancePenalty = 10;
        using var model = new CrossAttentionMatcher(options);
        model.eval();
        using var noGrad = no_grad();
        var (_, _, _, alignment) = model.Align(Padded([[5, 9, 13, 2, 40, 33, 17]], 7), Padded([[7, 8, 30, 12, 55, 3, 21]], 7));
        // Before training, content scores (about unit size) are small next to a penalty of 10 per step: the diagonal wins every row.
        for (int i = 0; i < 7; i++)
            Assert.AreEqual((long)i, alignment[0, i].argmax().item<long>(), $"row {i}");
    }

    [TestMethod]
    public void FreshNegativesKeepThePositivesAndDrawSameLengthPartnersThatAreNotTheirOwn()
    {
        var pairs = BundledSamples.ReadPairs("couplet-match.train").Take(3000).ToList();
        var tokenize = (string s) => s.Select(c => (int)c % 5000 + 2).ToArray();
        var data = new EncodedPairs(pairs.Select(p => tokenize(p.Text1)).ToList(), pairs.Select(p => tokenize(p.Text2)).ToList(),
            pairs.Select(p => p.Label == "1" ? 1 : 0).ToList());
        var fresh = data.WithFreshNegatives(SplitMix64.ForStream(7, 1));
        var again = data.WithFreshNegatives(SplitMix64.ForStream(7, 1));
        var other = data.WithFreshNegatives(SplitMix64.ForStream(7, 2));
        var partner = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == 1)
            .ToDictionary(i => string.Join(",", data.Ids1[i]), i => data.Ids2[i]);
        var positiveSecondLines = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == 1).Select(i => data.Ids2[i]).ToHashSet();
        int changed = 0;
        for (int i = 0; i < data.Count; i++)
        {
            Assert.AreEqual(data.Labels[i], fresh.Labels[i]);
            Assert.AreSame(data.Ids1[i], fresh.Ids1[i]);
            Assert.AreSame(fresh.Ids2[i], again.Ids2[i], "the same stream draws the same negatives");
            if (data.Labels[i] == 1) { Assert.AreSame(data.Ids2[i], fresh.Ids2[i], "positives stay"); continue; }
            Assert.AreEqual(data.Ids2[i].Length, fresh.Ids2[i].Length, "same length");
            if (fresh.Ids2[i] == data.Ids2[i]) continue;
            changed++;
            Assert.Contains(fresh.Ids2[i], positiveSecondLines, "drawn from the positives' second lines");
            if (partner.TryGetValue(string.Join(",", data.Ids1[i]), out var own))
                Assert.AreNotSame(own, fresh.Ids2[i], "never the sentence's own partner");
        }
        Assert.IsGreaterThan(data.Count / 3, changed, "most negatives get a new partner");
        Assert.IsTrue(Enumerable.Range(0, data.Count).Any(i => fresh.Ids2[i] != other.Ids2[i]), "another epoch draws others");
    }

    [TestMethod]
    public void TrainingWithFreshNegativesAndLinearDecayRunsAndIsReproducible()
    {
        var train = BundledSamples.ReadPairs("couplet-match.train").Take(1200).ToList();
        AttentionMatcherOptions Options() => new()
        {
            Tokenizer = new() { MinFrequency = 2 },
            Model = new TextMatcherOptions { Kind = MatcherKind.Cross, Encoder = EncoderKind.None, EmbeddingDim = 16, CompareDim = 16, AttentionHiddenDim = 8, DenseDim = 16 },
            Training = new TrainingOptions { Epochs = 2, Threads = 1, Patience = 0, ResampleNegatives = true, Decay = LearningRateDecay.Linear },
        };
        using var first = AttentionMatcher.Train(train, null, Options());
        using var second = AttentionMatcher.Train(train, null, Options());
        var pair = ("床前明月光", "疑是地上霜");
        var a = first.Predict(pair.Item1, pair.Item2);
        var b = second.Predict(pair.Item1, pair.Item2);
        Assert.AreEqual(a.Probability, b.Probability, "the same seed gives the same model");
        Assert.IsNotNull(a.Alignment);
        Assert.AreEqual(5, a.Alignment.GetLength(0));
        Assert.AreEqual(5, a.Alignment.GetLength(1));
        Assert.HasCount(2, first.Summary!.History);
    }
}
