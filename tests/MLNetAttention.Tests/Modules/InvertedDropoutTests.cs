using MLNetAttention.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Modules;

[TestClass]
public sealed class InvertedDropoutTests
{
    [TestMethod]
    [DataRow(0.1)]
    [DataRow(0.5)]
    public void TrainingZeroesAboutPAndKeepsTheMean(double p)
    {
        using var dropout = new InvertedDropout(p);
        dropout.train();
        // 100,003 elements: not a multiple of any SIMD width, so the scalar tail runs too.
        using var ones = torch.ones(100_003);
        using var output = dropout.forward(ones);

        double zeroed = output.eq(0).to_type(ScalarType.Float64).mean().item<double>();
        double mean = output.mean().item<float>();
        Assert.AreEqual(p, zeroed, 0.01, "share of zeroed elements");
        Assert.AreEqual(1.0, mean, 0.02, "inverted dropout keeps the expected value");
        Assert.IsTrue(output.data<float>().ToArray().All(v => v == 0 || Math.Abs(v - 1 / (1 - p)) < 1e-4), "survivors are scaled by 1 / (1 - p)");
    }

    [TestMethod]
    public void TheSeedFixesTheMaskAndEvalIsTheIdentity()
    {
        using var dropout = new InvertedDropout(0.3);
        dropout.train();
        using var input = torch.arange(1, 1001, dtype: ScalarType.Float32);
        manual_seed(9);
        var first = dropout.forward(input).data<float>().ToArray();
        var second = dropout.forward(input).data<float>().ToArray();
        manual_seed(9);
        var again = dropout.forward(input).data<float>().ToArray();

        CollectionAssert.AreEqual(first, again, "same seed, same mask");
        CollectionAssert.AreNotEqual(first, second, "each call draws a new mask");
        dropout.eval();
        CollectionAssert.AreEqual(input.data<float>().ToArray(), dropout.forward(input).data<float>().ToArray());
    }

    [TestMethod]
    public void GradientsFlowThroughTheKeptElementsOnly()
    {
        using var dropout = new InvertedDropout(0.5);
        dropout.train();
        using var input = torch.ones(64).requires_grad_(true);
        var output = dropout.forward(input);
        output.sum().backward();

        var kept = output.detach().ne(0).data<bool>().ToArray();
        var gradient = input.grad!.data<float>().ToArray();
        for (int i = 0; i < 64; i++) Assert.AreEqual(kept[i] ? 2f : 0f, gradient[i], 1e-6f, $"element {i}");
    }

    [TestMethod]
    public void ProbabilitiesOutsideZeroToOneAreRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InvertedDropout(1.0));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InvertedDropout(-0.1));
    }
}
