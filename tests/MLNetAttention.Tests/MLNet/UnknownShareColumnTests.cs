using Microsoft.ML;
using MLNetAttention.MLNet;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Tests.Onnx;

namespace MLNetAttention.Tests.MLNet;

[TestClass]
public sealed class UnknownShareColumnTests
{
    private sealed class ShareRow
    {
        public float UnknownShare { get; set; }
    }

    [TestMethod]
    public void TheTransformReportsTheUnknownShareOfEveryTextAsPredictionsDo()
    {
        using var classifier = OnnxTestModels.Build(EncoderKind.Conv, PoolingKind.Attention);
        string path = Path.Combine(OnnxTestModels.TempDirectory(), "unknown-share.onnx");
        OnnxExporter.Export(classifier, path);
        string[] texts = ["Съешь же ещё", "月 и луна", OnnxTestModels.Texts[2], "   "];
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        var scored = ml.Transforms.AttentionPool(path).Fit(data).Transform(data);
        var shares = ml.Data.CreateEnumerable<ShareRow>(scored, reuseRowObject: false).Select(r => r.UnknownShare).ToList();

        Assert.AreEqual(1f, shares[0], "no Cyrillic letter is in this vocabulary");
        Assert.IsTrue(shares[1] is > 0 and < 1, $"a mixed text is partly unknown ({shares[1]})");
        Assert.AreEqual(0f, shares[3], "a text without tokens has no unknown share");
        using var onnx = AttentionOnnxModel.Load(path);
        for (int i = 0; i < 3; i++)
            Assert.AreEqual(onnx.Predict(texts[i]).UnknownShare, shares[i], 1e-6f, texts[i]);
    }
}
