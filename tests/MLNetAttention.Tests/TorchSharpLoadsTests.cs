using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Tests;

[TestClass]
public sealed class TorchSharpLoadsTests
{
    [TestMethod]
    public void TensorOpAndBackwardPassRun()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1f, 2f, 3f }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        CollectionAssert.AreEqual(new[] { 2f, 4f, 6f }, x.grad!.data<float>().ToArray());
        Assert.AreEqual(14f, y.item<float>());
    }
}
