using MLNetAttention.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Modules;

[TestClass]
public sealed class PoolingLayerTests
{
    private const int Dim = 6;
    private const int Hidden = 4; // deliberately != Dim

    public static IEnumerable<object[]> Layers() => new[]
    {
        new object[] { "attention" }, new object[] { "multihead" }, new object[] { "multihead-separate-keys" },
        new object[] { "multihead-sliced" }, new object[] { "max" }, new object[] { "mean" },
    };

    private static PoolingLayer Create(string kind)
    {
        manual_seed(7);
        return kind switch
        {
            "attention" => new AttentionPooling1D(Dim, Hidden),
            "multihead" => new MultiHeadAttentionPooling1D(Dim, Hidden, heads: 3),
            "multihead-separate-keys" => new MultiHeadAttentionPooling1D(Dim, Hidden, heads: 3, separateKeys: true),
            "multihead-sliced" => new MultiHeadAttentionPooling1D(Dim, Hidden, heads: 3, sliced: true),
            "max" => new MaskedGlobalMaxPooling1D(),
            "mean" => new MaskedMeanPooling1D(),
            _ => throw new ArgumentException(kind),
        };
    }

    // Weights as (batch, heads, seq) whatever the layer.
    private static Tensor ByHead(Tensor weights) => weights.dim() == 2 ? weights.unsqueeze(1) : weights;

    [TestMethod]
    [DynamicData(nameof(Layers))]
    public void PaddingGetsNoWeightAndDoesNotChangeTheOutput(string kind)
    {
        using var scope = NewDisposeScope();
        using var layer = Create(kind);
        var real = randn(1, 5, Dim);
        var (alone, aloneWeights) = layer.forward(real, ones(1, 5));

        // The same sequence followed by 7 padded steps holding garbage.
        var padded = cat(new[] { real, randn(1, 7, Dim) * 100f }, 1);
        var mask = cat(new[] { ones(1, 5), zeros(1, 7) }, 1);
        var (output, weights) = layer.forward(padded, mask);

        var byHead = ByHead(weights);
        Assert.IsTrue(byHead[.., .., 5..].abs().max().item<float>() < 1e-6f, "padded steps must get weight < 1e-6");
        Assert.IsTrue(output.allclose(alone, rtol: 1e-5, atol: 1e-6), "padding changed the pooled output");
        Assert.IsTrue(byHead[.., .., ..5].allclose(ByHead(aloneWeights), rtol: 1e-5, atol: 1e-7));
    }

    [TestMethod]
    [DynamicData(nameof(Layers))]
    public void WeightsOfEachHeadSumToOne(string kind)
    {
        using var scope = NewDisposeScope();
        using var layer = Create(kind);
        var mask = tensor(new float[,] { { 1, 1, 1, 0 }, { 1, 1, 1, 1 }, { 1, 0, 0, 0 } });
        var (_, weights) = layer.forward(randn(3, 4, Dim), mask);
        var sums = ByHead(weights).sum(-1);
        Assert.IsTrue(sums.allclose(ones_like(sums), atol: 1e-5), string.Join(", ", sums.data<float>().ToArray()));
        Assert.AreEqual(layer.Heads, (int)ByHead(weights).shape[1]);
    }

    [TestMethod]
    [DynamicData(nameof(Layers))]
    public void OneTokenInputWorks(string kind)
    {
        using var scope = NewDisposeScope();
        using var layer = Create(kind);
        var x = randn(2, 1, Dim);
        var (output, weights) = layer.forward(x, ones(2, 1));
        Assert.AreEqual(layer.OutputSize(Dim), (int)output.shape[1]);
        Assert.IsTrue(ByHead(weights).allclose(ones(2, layer.Heads, 1), atol: 1e-6));
        // max is per feature, the others are sum_t w_t x_t with w = 1: every head the whole vector, or sliced heads their
        // own slices, which side by side are the vector itself.
        if (kind != "max")
            Assert.IsTrue(output.allclose(x.squeeze(1).repeat(1, kind == "multihead-sliced" ? 1 : layer.Heads), atol: 1e-6));
    }

    [TestMethod]
    [DynamicData(nameof(Layers))]
    public void GradientsReachEveryParameter(string kind)
    {
        using var scope = NewDisposeScope();
        using var layer = Create(kind);
        var x = randn(2, 5, Dim, requires_grad: true);
        var mask = tensor(new float[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 0, 0, 0 } });
        var (output, _) = layer.forward(x, mask);
        output.pow(2).sum().backward();
        foreach (var (name, parameter) in layer.named_parameters())
        {
            Assert.IsNotNull(parameter.grad, $"{name} got no gradient");
            Assert.IsTrue(parameter.grad!.abs().sum().item<float>() > 0f, $"{name} got a zero gradient");
        }
        Assert.IsTrue(x.grad!.abs().sum().item<float>() > 0f);
        Assert.AreEqual(0f, x.grad![1, 2..].abs().sum().item<float>(), "padded inputs must get no gradient");
    }

    [TestMethod]
    public void AttentionOutputIsTheExplicitWeightedSumOfTheInput()
    {
        using var scope = NewDisposeScope();
        using var layer = new AttentionPooling1D(Dim, Hidden);
        var x = randn(2, 4, Dim);
        var mask = tensor(new float[,] { { 1, 1, 1, 1 }, { 1, 1, 1, 0 } });
        var (output, weights) = layer.forward(x, mask);
        AssertWeightedSum(x, weights.unsqueeze(1), output, heads: 1);

        // And the weights are the masked softmax of o_dense(tanh(k_dense(x))), recomputed by hand.
        var parameters = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var scores = matmul(matmul(x, parameters["k_dense.weight"].t()).tanh(), parameters["o_dense.weight"].t()).squeeze(-1);
        for (int b = 0; b < 2; b++)
        {
            int length = (int)mask[b].sum().item<float>();
            var expected = scores[b, ..length].softmax(0);
            Assert.IsTrue(weights[b, ..length].allclose(expected, atol: 1e-6));
        }
    }

    [TestMethod]
    public void MultiHeadConcatenatesHeadsOfInputWidthForAnyHiddenWidth()
    {
        using var scope = NewDisposeScope();
        using var layer = new MultiHeadAttentionPooling1D(inputDim: 10, hiddenDim: 3, heads: 4);
        var x = randn(2, 7, 10);
        var (output, weights) = layer.forward(x, ones(2, 7));
        CollectionAssert.AreEqual(new long[] { 2, 40 }, output.shape);
        CollectionAssert.AreEqual(new long[] { 2, 4, 7 }, weights.shape);
        AssertWeightedSum(x, weights, output, heads: 4);
    }

    [TestMethod]
    public void DiversityPenaltyIsZeroForDisjointOneHotHeadsAndPositiveForIdenticalHeads()
    {
        using var scope = NewDisposeScope();
        var disjoint = tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(1, 2, 3);
        Assert.AreEqual(0f, MultiHeadAttentionPooling1D.DiversityPenalty(disjoint).item<float>(), 1e-7f);
        // Two identical uniform heads over 2 steps: A A^T = 0.5 everywhere, so (0.5-1)^2 * 2 + 0.5^2 * 2 = 1.
        var identical = full(1, 2, 2, 0.5f);
        Assert.AreEqual(1f, MultiHeadAttentionPooling1D.DiversityPenalty(identical).item<float>(), 1e-6f);
    }

    [TestMethod]
    public void OverlapPenaltyMeasuresHowAlikeHeadsAreWhateverTheirSharpness()
    {
        using var scope = NewDisposeScope();
        var disjoint = tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(1, 2, 3);
        Assert.AreEqual(0f, MultiHeadAttentionPooling1D.OverlapPenalty(disjoint).item<float>(), 1e-7f);
        // Copies score 1 whether they are flat or sharp: the Lin penalty would call flat copies worse.
        Assert.AreEqual(1f, MultiHeadAttentionPooling1D.OverlapPenalty(full(1, 3, 50, 0.02f)).item<float>(), 1e-5f);
        var sharp = tensor(new float[] { 0.9f, 0.05f, 0.05f }).reshape(1, 1, 3).expand(1, 3, 3).contiguous();
        Assert.AreEqual(1f, MultiHeadAttentionPooling1D.OverlapPenalty(sharp).item<float>(), 1e-5f);

        // Its gradient moves two nearly flat, nearly equal heads apart.
        var scores = tensor(new float[] { 0.1f, 0, 0, 0, 0.1f, 0 }).reshape(1, 2, 3).requires_grad_();
        var penalty = MultiHeadAttentionPooling1D.OverlapPenalty(scores.softmax(-1));
        penalty.backward();
        var step = (scores - scores.grad! * 10).detach();
        Assert.IsLessThan(penalty.item<float>(), MultiHeadAttentionPooling1D.OverlapPenalty(step.softmax(-1)).item<float>());
        Assert.AreEqual(0f, MultiHeadAttentionPooling1D.OverlapPenalty(full(1, 1, 5, 0.2f)).item<float>(), "one head overlaps with nothing");
    }

    [TestMethod]
    public void PairingPenaltyComparesWhichTokensEachPairOfHeadsFavours()
    {
        using var scope = NewDisposeScope();
        // Text 1 (3 tokens): head 1 peaks on token 1 in both networks; head 2 on token 3 in one and token 2 in the other,
        // deviations (-1/3, -1/3, 2/3) and (-1/3, 2/3, -1/3) with cosine -1/2. Text 2 (2 tokens and padding): both
        // networks' heads alike.
        var first = tensor(new float[] { 1, 0, 0, 0, 0, 1, 0.7f, 0.3f, 0, 0.2f, 0.8f, 0 }).reshape(2, 2, 3);
        var second = tensor(new float[] { 1, 0, 0, 0, 1, 0, 0.7f, 0.3f, 0, 0.2f, 0.8f, 0 }).reshape(2, 2, 3);
        Assert.AreEqual(1.5f / 4, MultiHeadAttentionPooling1D.PairingPenalty(first, second).item<float>(), 1e-6f);
        Assert.AreEqual(0f, MultiHeadAttentionPooling1D.PairingPenalty(first, first * 3).item<float>(), 1e-6f, "scale does not matter");

        // Two nearly flat heads that favour different tokens: their raw weights have a cosine near 1, the penalty
        // still tells them apart.
        var flatA = tensor(new float[] { 0.26f, 0.25f, 0.25f, 0.24f }).reshape(1, 1, 4);
        var flatB = tensor(new float[] { 0.24f, 0.25f, 0.25f, 0.26f }).reshape(1, 1, 4);
        Assert.AreEqual(2f, MultiHeadAttentionPooling1D.PairingPenalty(flatA, flatB).item<float>(), 1e-4f);

        // Its gradient turns one network's head toward its partner's tokens.
        var scores = tensor(new float[] { 2, 0, 0 }).reshape(1, 1, 3).requires_grad_();
        var partner = tensor(new float[] { 0.1f, 0.1f, 0.8f }).reshape(1, 1, 3);
        var penalty = MultiHeadAttentionPooling1D.PairingPenalty(scores.softmax(-1), partner);
        penalty.backward();
        var step = (scores - scores.grad! * 5).detach();
        Assert.IsLessThan(penalty.item<float>(), MultiHeadAttentionPooling1D.PairingPenalty(step.softmax(-1), partner).item<float>());
    }

    [TestMethod]
    public void FlatnessPenaltyIsTheShareOfTheTextEachHeadSpreadsOver()
    {
        using var scope = NewDisposeScope();
        // Text 1 has 4 tokens: a uniform head (1) and a one-token head (1/4). Text 2 has 2 tokens and a padded step
        // (weight 0): a uniform head over its 2 tokens (1) and a 0.9 / 0.1 head, 1 / (2 x 0.82).
        var weights = tensor(new float[]
        {
            0.25f, 0.25f, 0.25f, 0.25f, 1, 0, 0, 0,
            0.5f, 0.5f, 0, 0, 0.9f, 0.1f, 0, 0,
        }).reshape(2, 2, 4);
        float expected = (1 + 0.25f + 1 + 1 / (2 * 0.82f)) / 4;
        Assert.AreEqual(expected, MultiHeadAttentionPooling1D.FlatnessPenalty(weights).item<float>(), 1e-5f);
        Assert.AreEqual(0f, MultiHeadAttentionPooling1D.FlatnessPenalty(zeros(1, 2, 3)).item<float>(), "a text with no token adds nothing");

        // Its gradient sharpens a spread head, and barely moves one that already peaks (where the Lin penalty keeps
        // pulling every head toward one token).
        var scores = tensor(new float[] { 1, 0, 0, 0, 5, 0, 0, 0 }).reshape(1, 2, 4).requires_grad_();
        var penalty = MultiHeadAttentionPooling1D.FlatnessPenalty(scores.softmax(-1));
        penalty.backward();
        var gradient = scores.grad!;
        var step = (scores - gradient).detach();
        Assert.IsLessThan(penalty.item<float>(), MultiHeadAttentionPooling1D.FlatnessPenalty(step.softmax(-1)).item<float>());
        Assert.IsGreaterThan(gradient[0, 1].abs().sum().item<float>(), gradient[0, 0].abs().sum().item<float>(), "the spread head moves more");
    }

    [TestMethod]
    public void MaxPoolingCreditsTheTokensThatSuppliedTheMaxima()
    {
        using var scope = NewDisposeScope();
        using var layer = new MaskedGlobalMaxPooling1D();
        // Token 1 supplies feature 0 (value 3), token 2 supplies feature 1 (value 1); token 0 nothing.
        var x = tensor(new float[] { 0, 0, 3, -1, 1, 1 }).reshape(1, 3, 2);
        var (output, weights) = layer.forward(x, ones(1, 3));
        CollectionAssert.AreEqual(new[] { 3f, 1f }, output.data<float>().ToArray());
        var w = weights.data<float>().ToArray();
        Assert.AreEqual(0f, w[0], 1e-6f);
        Assert.AreEqual(0.75f, w[1], 1e-6f);
        Assert.AreEqual(0.25f, w[2], 1e-6f);
    }

    [TestMethod]
    public void AdditiveAttentionIgnoresPaddingAndSumsTheProjection()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var layer = new AdditiveAttention1D(Dim, Hidden);
        var x = randn(1, 4, Dim);
        var query = randn(1, Hidden);
        var (alone, aloneWeights) = layer.forward(x, query, ones(1, 4));
        var padded = cat(new[] { x, randn(1, 3, Dim) }, 1);
        var (output, weights) = layer.forward(padded, query, cat(new[] { ones(1, 4), zeros(1, 3) }, 1));
        Assert.IsTrue(output.allclose(alone, atol: 1e-6));
        Assert.IsTrue(weights[.., 4..].max().item<float>() < 1e-6f);
        Assert.AreEqual(1f, weights.sum().item<float>(), 1e-5f);
        Assert.IsTrue(weights[.., ..4].allclose(aloneWeights, atol: 1e-7));

        var projection = layer.named_parameters().Single(p => p.name == "k_dense.weight").parameter;
        var expected = (aloneWeights.unsqueeze(-1) * matmul(x, projection.t()).tanh()).sum(1);
        Assert.IsTrue(alone.allclose(expected, atol: 1e-6));

        (output + weights.sum()).sum().backward();
        foreach (var (name, parameter) in layer.named_parameters())
            Assert.IsTrue(parameter.grad!.abs().sum().item<float>() > 0f, $"{name} got no gradient");
    }

    private static void AssertWeightedSum(Tensor x, Tensor weightsByHead, Tensor output, int heads)
    {
        var xs = x.data<float>().ToArray();
        var ws = weightsByHead.data<float>().ToArray();
        var outs = output.data<float>().ToArray();
        long batch = x.shape[0], seq = x.shape[1], dim = x.shape[2];
        for (long b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (long d = 0; d < dim; d++)
                {
                    double sum = 0;
                    for (long t = 0; t < seq; t++) sum += ws[(b * heads + h) * seq + t] * xs[(b * seq + t) * dim + d];
                    Assert.AreEqual(sum, outs[b * heads * dim + h * dim + d], 1e-5);
                }
    }

    [TestMethod]
    public void SlicedHeadsEachPoolOnlyTheirOwnSliceOfTheVector()
    {
        using var scope = NewDisposeScope();
        using var layer = Create("multihead-sliced");
        Assert.AreEqual(Dim, layer.OutputSize(Dim), "the heads side by side are as wide as the input");
        var x = randn(2, 5, Dim);
        var mask = tensor(new float[,] { { 1, 1, 1, 1, 1 }, { 1, 1, 1, 0, 0 } });
        var (output, weights) = layer.forward(x, mask);
        int slice = Dim / layer.Heads;
        for (int h = 0; h < layer.Heads; h++)
        {
            var columns = x[.., .., (h * slice)..((h + 1) * slice)];
            var expected = bmm(weights[.., h..(h + 1), ..], columns).squeeze(1);
            Assert.IsTrue(output[.., (h * slice)..((h + 1) * slice)].allclose(expected, atol: 1e-6), $"head {h} pools its own slice");
        }

        // A change to the first head's slice reaches only the first head's output (the scores read the whole vector, so
        // the weights may move; the other heads' pooled slices are sums over their own, unchanged, values).
        var changed = x.clone();
        changed[.., .., ..slice] += 5f;
        var (changedOutput, changedWeights) = layer.forward(changed, mask);
        for (int h = 1; h < layer.Heads; h++)
        {
            var expected = bmm(changedWeights[.., h..(h + 1), ..], x[.., .., (h * slice)..((h + 1) * slice)]).squeeze(1);
            Assert.IsTrue(changedOutput[.., (h * slice)..((h + 1) * slice)].allclose(expected, atol: 1e-5), $"head {h} reads no value of the first slice");
        }
    }

    [TestMethod]
    public void SlicedHeadsNeedAWidthThatDividesByTheHeads()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MultiHeadAttentionPooling1D(7, Hidden, heads: 3, sliced: true));
        StringAssert.Contains(error.Message, "divides by the 3 heads");
    }
}
