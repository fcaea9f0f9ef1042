using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// The conv encoder's layer as one autograd node: mask ⊙ ReLU(conv1d(mask ⊙ x) + b) with "same" padding, over
/// (batch, seq, dim) inputs. The forward builds the k shifted copies as one strided view of a single padded copy and
/// multiplies them with the bias folded into the product; the backward is written out (two products, a shifted sum
/// and the ReLU and padding masks). libtorch's generic graph for the same computation (two pads, a concatenation,
/// a separate bias add, ReLU and two mask products, each with its own backward) took a few per cent more, all of it
/// in the forward: at batch 16 and 64 steps on one thread, 4.55 against 4.24-4.30 ms in float32 and 2.67-3.14 against
/// 2.55-2.88 ms in bfloat16 (benchmarks' <c>conv-profile</c>).
/// </summary>
internal sealed class MaskedConvolution : autograd.SingleTensorFunction<MaskedConvolution>
{
    /// <inheritdoc/>
    public override string Name => nameof(MaskedConvolution);

    /// <summary>
    /// Applies the layer. <paramref name="weight"/> is conv1d's (out, in, k), k odd; the computation runs in
    /// <paramref name="format"/> (bfloat16 inside a <see cref="MixedPrecision"/> scope) and returns x's type.
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor mask, Tensor weight, Tensor bias, ScalarType format) =>
        apply(x, mask, weight, bias, format);

    /// <inheritdoc/>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x, mask, weight, bias, format) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (ScalarType)vars[4]);
        using var noGrad = no_grad();
        // TorchSharp would fill an unused output's gradient from a tensor it allocates here, which the caller's dispose
        // scope may free before backward runs; an undefined gradient is handled in backward instead.
        ctx.set_materialize_grads(false);
        long batch = x.shape[0], steps = x.shape[1], dim = x.shape[2], outputs = weight.shape[0], kernel = weight.shape[2];
        long half = kernel / 2;
        var stepMask = mask.to_type(format).view(batch, steps, 1);
        var padded = nn.functional.pad(x.to_type(format) * stepMask, new long[] { 0, 0, half, half });
        // Row t of each text is the k consecutive padded steps t..t+k-1: contiguous in the padded copy, so one strided view.
        var columns = padded.as_strided(new[] { batch, steps, kernel * dim }, new[] { (steps + 2 * half) * dim, dim, 1L })
            .contiguous().view(batch * steps, kernel * dim);
        // (out, in, k) -> (out, k * in), the order of the columns.
        var flatWeight = weight.permute(0, 2, 1).reshape(outputs, kernel * dim).to_type(format);
        var features = addmm(bias.to_type(format), columns, flatWeight.t(), 1, 1).relu_().mul_(stepMask.view(batch * steps, 1));
        ctx.save_for_backward(new List<Tensor> { columns, flatWeight, features, stepMask });
        ctx.save_data("shape", new[] { batch, steps, dim, outputs, kernel });
        ctx.save_data("types", new[] { x.dtype, weight.dtype });
        return features.view(batch, steps, outputs).to_type(x.dtype);
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (columns, flatWeight, features, stepMask) = (saved[0], saved[1], saved[2], saved[3]);
        var shape = (long[])ctx.get_data("shape");
        var types = (ScalarType[])ctx.get_data("types");
        long batch = shape[0], steps = shape[1], dim = shape[2], outputs = shape[3], kernel = shape[4];
        long half = kernel / 2;
        if (gradOutput is null || gradOutput.IsInvalid) return new List<Tensor> { null!, null!, null!, null!, null! };
        // Through the padding mask and ReLU at once: a kept feature is exactly one that came out positive.
        // A scalar held in a variable, so it cannot be finalized during the native call (see Masking.FromIds).
        using var zero = 0f.ToScalar();
        var gradient = gradOutput.reshape(batch * steps, outputs).to_type(features.dtype).mul(features.gt(zero));
        var weightGradient = gradient.t().mm(columns).view(outputs, kernel, dim).permute(0, 2, 1).to_type(types[1]).contiguous();
        var biasGradient = gradient.sum(0, type: types[1]);
        var columnGradient = gradient.mm(flatWeight).view(batch, steps, kernel, dim);
        // Block j of row t is step t + (j - half), so step s collects block j of row s - (j - half).
        var inputGradient = columnGradient.select(2, half).clone();
        for (long j = 0; j < kernel; j++)
        {
            long offset = j - half;
            if (offset == 0 || Math.Abs(offset) >= steps) continue;
            if (offset > 0) inputGradient[.., (int)offset..].add_(columnGradient[.., ..(int)(steps - offset), (int)j]);
            else inputGradient[.., ..(int)(steps + offset)].add_(columnGradient[.., (int)(-offset).., (int)j]);
        }
        inputGradient.mul_(stepMask);
        return new List<Tensor> { inputGradient.to_type(types[0]), null!, weightGradient, biasGradient, null! };
    }
}
