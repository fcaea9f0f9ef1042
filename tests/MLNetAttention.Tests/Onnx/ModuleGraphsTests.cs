using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetAttention.Modules;
using MLNetAttention.Onnx;
using static TorchSharp.torch;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace MLNetAttention.Tests.Onnx;

/// <summary>The per-module sub-graphs on their own, as the matcher exporter will compose them.</summary>
[TestClass]
public sealed class ModuleGraphsTests
{
    [TestMethod]
    public void AdditiveAttentionSubGraphMatchesTheModule()
    {
        manual_seed(3);
        using var module = new AdditiveAttention1D(inputDim: 6, hiddenDim: 5);
        module.eval();
        long[,] ids = { { 4, 9, 2, 7, 0, 0 }, { 3, 0, 0, 0, 0, 0 }, { 5, 6, 7, 8, 9, 2 } };
        var x = randn(3, 6, 6);
        var query = randn(3, 5);

        var g = new OnnxGraphBuilder();
        var idsInput = g.Input("ids", DataType.Int64, "batch", "seq");
        var xInput = g.Input("x", DataType.Float, "batch", "seq", 6L);
        var queryInput = g.Input("query", DataType.Float, "batch", 5L);
        var (mask, _) = ModuleGraphs.Mask(g, idsInput);
        var (output, weights) = ModuleGraphs.AdditiveAttention(g, ParameterSet.From(module), "", xInput, queryInput, mask);
        g.Output(output, "output", DataType.Float, "batch", 5L);
        g.Output(weights, "weights", DataType.Float, "batch", "seq");
        var model = new global::Onnx.ModelProto { IrVersion = OnnxGraphBuilder.IrVersion, Graph = g.Graph };
        model.OpsetImport.Add(new global::Onnx.OperatorSetIdProto { Domain = "", Version = OnnxGraphBuilder.Opset });
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model));

        var flatIds = new long[18];
        Buffer.BlockCopy(ids, 0, flatIds, 0, 18 * sizeof(long));
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("ids", new DenseTensor<long>(flatIds, [3, 6])),
            NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(x.data<float>().ToArray(), [3, 6, 6])),
            NamedOnnxValue.CreateFromTensor("query", new DenseTensor<float>(query.data<float>().ToArray(), [3, 5])),
        ]);
        using var noGrad = no_grad();
        var (expectedOutput, expectedWeights) = module.forward(x, query, Masking.FromIds(tensor(ids)));
        Assert.IsLessThanOrEqualTo(1e-5f, OnnxTestModels.MaxAbsDiff(expectedOutput.data<float>().ToArray(), results.First(r => r.Name == "output").AsTensor<float>().ToArray()));
        Assert.IsLessThanOrEqualTo(1e-5f, OnnxTestModels.MaxAbsDiff(expectedWeights.data<float>().ToArray(), results.First(r => r.Name == "weights").AsTensor<float>().ToArray()));
    }
}
