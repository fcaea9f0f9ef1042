using MLNetAttention.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Modules;

[TestClass]
public sealed class MaskedConvolutionTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(5)]
    public void ValuesAndGradientsMatchLibtorchsConvolution(int kernel)
    {
        manual_seed(kernel);
        const int batch = 3, steps = 9, dim = 4, outputs = 5;
        var x0 = randn(batch, steps, dim);
        // Texts of 9, 6 and 2 tokens: the padded steps must neither feed nor receive anything.
        var mask = tensor(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0 }, new long[] { batch, steps });
        var weight0 = randn(outputs, dim, kernel);
        var bias0 = randn(outputs);
        var upstream = randn(batch, steps, outputs);

        (Tensor Output, Tensor Input, Tensor Weight, Tensor Bias) Run(Func<Tensor, Tensor, Tensor, Tensor> layer)
        {
            var x = x0.clone().requires_grad_(true);
            var weight = weight0.clone().requires_grad_(true);
            var bias = bias0.clone().requires_grad_(true);
            var output = layer(x, weight, bias);
            (output * upstream).sum().backward();
            return (output.detach(), x.grad!, weight.grad!, bias.grad!);
        }

        var expected = Run((x, w, b) =>
        {
            var m = mask.unsqueeze(-1);
            var convolved = nn.functional.conv1d((x * m).transpose(1, 2), w, b, padding: kernel / 2).transpose(1, 2);
            return convolved.relu() * m;
        });
        var actual = Run((x, w, b) => MaskedConvolution.Apply(x, mask, w, b, ScalarType.Float32));

        Assert.IsTrue(expected.Output.allclose(actual.Output, rtol: 1e-5, atol: 1e-5), "outputs differ");
        Assert.IsTrue(expected.Input.allclose(actual.Input, rtol: 1e-5, atol: 1e-5), "input gradients differ");
        Assert.IsTrue(expected.Weight.allclose(actual.Weight, rtol: 1e-5, atol: 1e-5), "weight gradients differ");
        Assert.IsTrue(expected.Bias.allclose(actual.Bias, rtol: 1e-5, atol: 1e-5), "bias gradients differ");
        // Padded steps: zero out, zero gradient back.
        Assert.AreEqual(0f, actual.Output[1, 7].abs().sum().item<float>());
        Assert.AreEqual(0f, actual.Input[2, 5].abs().sum().item<float>());
        Assert.IsTrue(actual.Input[0].abs().sum().item<float>() > 0);
    }
}
