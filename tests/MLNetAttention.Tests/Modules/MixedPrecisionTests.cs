using MLNetAttention.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Modules;

[TestClass]
public sealed class MixedPrecisionTests
{
    [TestMethod]
    public void OutsideAScopeLinearIsExactlyTorchsLinear()
    {
        manual_seed(2);
        using var x = randn(5, 7);
        using var w = randn(3, 7);
        using var b = randn(3);

        var expected = nn.functional.linear(x, w, b).data<float>().ToArray();
        var actual = MixedPrecision.Linear(x, w, b).data<float>().ToArray();

        CollectionAssert.AreEqual(expected, actual);
        Assert.IsFalse(MixedPrecision.Active);
    }

    [TestMethod]
    public void InsideAScopeProductsAreBFloat16CloseAndGradientsReachFloat32Weights()
    {
        manual_seed(3);
        using var x = randn(64, 128).requires_grad_(true);
        using var w = randn(32, 128).requires_grad_(true);
        var exact = nn.functional.linear(x, w).detach().data<float>().ToArray();

        Tensor y;
        using (MixedPrecision.Enable())
        {
            Assert.IsTrue(MixedPrecision.Active);
            y = MixedPrecision.Linear(x, w);
        }
        Assert.IsFalse(MixedPrecision.Active, "leaving the scope restores float32");
        y.sum().backward();

        Assert.AreEqual(ScalarType.Float32, y.dtype);
        Assert.AreEqual(ScalarType.Float32, w.grad!.dtype);
        var approximate = y.detach().data<float>().ToArray();
        // bfloat16 keeps 8 significant bits: products of 128 terms land within a few percent of their scale.
        double scale = exact.Select(Math.Abs).Average();
        double worst = exact.Zip(approximate, (e, a) => Math.Abs(e - a)).Max();
        Assert.IsTrue(worst < 0.05 * scale, $"worst error {worst} against a mean magnitude {scale}");
        Assert.IsTrue(worst > 0, "the products did run in bfloat16");
    }
}
