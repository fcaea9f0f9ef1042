using MLNetAttention.Models;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Matching;

[TestClass]
public sealed class MatcherModelTests
{
    private static TextMatcherOptions Small(MatcherKind kind, EncoderKind encoder = EncoderKind.ResConv, int maxLength = 512) => new()
    {
        Kind = kind, VocabularySize = 50, EmbeddingDim = 16, EncoderDim = 16, AttentionHiddenDim = 12, DenseDim = 24,
        ProjectionDim = 8, Encoder = encoder, MaxLength = maxLength, Dropout = 0.1, TripletMargin = 2,
    };

    private static long[] RandomIds(Random random, int length) => Enumerable.Range(0, length).Select(_ => (long)random.Next(1, 50)).ToArray();

    private static Tensor Padded(long[][] rows, int length)
    {
        var buffer = new long[rows.Length * length];
        for (int r = 0; r < rows.Length; r++) rows[r].CopyTo(buffer, r * length);
        return tensor(buffer, new long[] { rows.Length, length });
    }

    [TestMethod]
    [DataRow(MatcherKind.Siamese, EncoderKind.ResConv)]
    [DataRow(MatcherKind.Interactive, EncoderKind.ResConv)]
    [DataRow(MatcherKind.Triplet, EncoderKind.ResConv)]
    [DataRow(MatcherKind.Siamese, EncoderKind.Conv)]
    [DataRow(MatcherKind.Interactive, EncoderKind.BiLstm)]
    [DataRow(MatcherKind.Cross, EncoderKind.None)]
    [DataRow(MatcherKind.Cross, EncoderKind.ResConv)]
    [DataRow(MatcherKind.Cross, EncoderKind.Conv)]
    public void APairGetsTheSameProbabilityAndWeightsAloneAndInABatchPaddedTo512(MatcherKind kind, EncoderKind encoder)
    {
        manual_seed(3);
        using var model = TextMatcher.Create(Small(kind, encoder));
        if (model is TripletMatcher triplet) triplet.SetCalibration(7.5f, -1.25f);
        model.eval();
        var random = new Random(5);
        var first = RandomIds(random, 5);
        var second = RandomIds(random, 7);
        using var noGrad = no_grad();

        var (aloneLogits, aloneW1, aloneW2) = model.forward(Padded(new[] { first }, 5), Padded(new[] { second }, 7));
        var rows1 = new[] { RandomIds(random, 40), first, RandomIds(random, 512) };
        var rows2 = new[] { RandomIds(random, 512), second, RandomIds(random, 3) };
        var (batchLogits, batchW1, batchW2) = model.forward(Padded(rows1, 512), Padded(rows2, 512));

        float aloneP = aloneLogits.softmax(-1)[0, 1].item<float>();
        float batchP = batchLogits.softmax(-1)[1, 1].item<float>();
        Assert.AreEqual(aloneP, batchP, 1e-6, "probability");
        var a1 = aloneW1[0].data<float>().ToArray();
        var b1 = batchW1[1].data<float>().ToArray();
        var a2 = aloneW2[0].data<float>().ToArray();
        var b2 = batchW2[1].data<float>().ToArray();
        for (int t = 0; t < 5; t++) Assert.AreEqual(a1[t], b1[t], 1e-6, $"text1 weight {t}");
        for (int t = 0; t < 7; t++) Assert.AreEqual(a2[t], b2[t], 1e-6, $"text2 weight {t}");
        Assert.IsTrue(b1.Skip(5).All(w => w == 0f) && b2.Skip(7).All(w => w == 0f), "padding must get weight 0");
    }

    [TestMethod]
    [DataRow(MatcherKind.Siamese)]
    [DataRow(MatcherKind.Interactive)]
    [DataRow(MatcherKind.Triplet)]
    public void WeightsSumToOnePerSentenceAndAreZeroOnPadding(MatcherKind kind)
    {
        manual_seed(4);
        using var model = TextMatcher.Create(Small(kind, maxLength: 32));
        model.eval();
        var random = new Random(9);
        var rows1 = new[] { RandomIds(random, 3), RandomIds(random, 11), RandomIds(random, 1) };
        var rows2 = new[] { RandomIds(random, 8), RandomIds(random, 2), RandomIds(random, 16) };
        using var noGrad = no_grad();
        var (logits, w1, w2) = model.forward(Padded(rows1, 16), Padded(rows2, 16));
        CollectionAssert.AreEqual(new long[] { 3, 2 }, logits.shape);
        foreach (var (weights, rows) in new[] { (w1, rows1), (w2, rows2) })
        {
            CollectionAssert.AreEqual(new long[] { 3, 16 }, weights.shape);
            var values = weights.data<float>().ToArray();
            for (int r = 0; r < 3; r++)
            {
                var row = values.AsSpan(r * 16, 16).ToArray();
                Assert.AreEqual(1.0, row.Sum(), 1e-5, $"row {r} sums to {row.Sum()}");
                Assert.IsTrue(row.Skip(rows[r].Length).All(w => w == 0f), $"row {r} has weight on padding");
                Assert.IsTrue(row.All(w => w >= 0f));
            }
        }
    }

    [TestMethod]
    [DataRow(MatcherKind.Siamese)]
    [DataRow(MatcherKind.Interactive)]
    [DataRow(MatcherKind.Triplet)]
    public void TheGradientReachesEveryParameter(MatcherKind kind)
    {
        manual_seed(6);
        using var model = TextMatcher.Create(Small(kind, maxLength: 16));
        model.train();
        var random = new Random(2);
        var rows1 = Enumerable.Range(0, 4).Select(i => RandomIds(random, 4 + i)).ToArray();
        var rows2 = Enumerable.Range(0, 4).Select(i => RandomIds(random, 8 - i)).ToArray();
        var rows3 = Enumerable.Range(0, 4).Select(i => RandomIds(random, 5)).ToArray();
        Tensor loss;
        if (model is TripletMatcher triplet)
        {
            loss = triplet.TripletLoss(Padded(rows1, 8), Padded(rows2, 8), Padded(rows3, 8));
        }
        else
        {
            var (logits, _, _) = model.forward(Padded(rows1, 8), Padded(rows2, 8));
            loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 1, 0 })) + model.Regularizer()!;
        }
        loss.backward();
        var parameters = model.named_parameters().ToList();
        Assert.IsTrue(parameters.Count > 8, $"only {parameters.Count} parameters");
        foreach (var (name, parameter) in parameters)
        {
            Assert.IsNotNull(parameter.grad, $"{name} got no gradient");
            Assert.IsTrue(parameter.grad.abs().sum().item<float>() > 0, $"{name}'s gradient is all zero");
        }
        if (kind == MatcherKind.Interactive)
            Assert.IsTrue(parameters.Any(p => p.name.Contains("query_projection")), "the query projection is missing");
    }

    [TestMethod]
    public void TheTripletCalibrationIsABufferSavedWithTheWeights()
    {
        manual_seed(1);
        using var model = new TripletMatcher(Small(MatcherKind.Triplet, maxLength: 16));
        model.SetCalibration(3f, -0.5f);
        Assert.IsTrue(model.state_dict().ContainsKey("calibration"));
        Assert.IsFalse(model.named_parameters().Any(p => p.name == "calibration"));
        string path = Path.Combine(Path.GetTempPath(), $"triplet-{Guid.NewGuid():N}.bin");
        model.save(path);
        using var loaded = new TripletMatcher(Small(MatcherKind.Triplet, maxLength: 16));
        loaded.load(path);
        File.Delete(path);
        Assert.AreEqual((3f, -0.5f), loaded.Calibration);
    }

    [TestMethod]
    public void OptionsRoundTripThroughJsonWithTheKindAsAName()
    {
        var options = Small(MatcherKind.Interactive);
        string json = System.Text.Json.JsonSerializer.Serialize(options);
        StringAssert.Contains(json, "\"Interactive\"");
        var back = System.Text.Json.JsonSerializer.Deserialize<TextMatcherOptions>(json)!;
        Assert.AreEqual(MatcherKind.Interactive, back.Kind);
        Assert.ThrowsExactly<ArgumentException>(() => new TextMatcherOptions { VocabularySize = 10, TripletMargin = 0 }.Validate());
    }
}
