using TorchSharp;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// bfloat16 matrix products for training on CPUs that have them natively (AVX512-BF16 or AMX), as PyTorch's
/// CPU autocast: inside a <see cref="Enable"/> scope, the large products of the encoders and attention layers
/// take bfloat16 inputs and accumulate in float32; weights, gradients and optimizer state stay float32, and
/// inference (validation, prediction, ONNX) always runs in float32. On this project's machines the conv
/// encoder's forward and backward products took half the time. Outside a scope nothing changes.
/// </summary>
public static class MixedPrecision
{
    [ThreadStatic] private static bool active;

    /// <summary>Whether this CPU multiplies bfloat16 matrices natively (reads /proc/cpuinfo on Linux; false elsewhere).</summary>
    public static bool NativeBFloat16 { get; } = DetectNativeBFloat16();

    /// <summary>Whether the current thread is inside an <see cref="Enable"/> scope.</summary>
    public static bool Active => active;

    /// <summary>Turns bfloat16 products on for the current thread until the returned scope is disposed.</summary>
    public static IDisposable Enable() => new Scope();

    /// <summary>Whether <paramref name="input"/> should be computed in bfloat16 here: inside a scope, a float32 CPU tensor.</summary>
    public static bool AppliesTo(Tensor input) =>
        active && input.dtype == ScalarType.Float32 && input.device_type == DeviceType.CPU;

    /// <summary>x W^T + b: in bfloat16 inside an <see cref="Enable"/> scope for float32 CPU tensors, else as torch's linear.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        if (!AppliesTo(input)) return nn.functional.linear(input, weight, bias);
        using var scope = NewDisposeScope();
        var product = nn.functional.linear(input.to_type(ScalarType.BFloat16), weight.to_type(ScalarType.BFloat16)).to_type(ScalarType.Float32);
        if (bias is not null) product = product + bias;
        return product.MoveToOuterDisposeScope();
    }

    private static bool DetectNativeBFloat16()
    {
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo")) return false;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("flags", StringComparison.Ordinal))
                    return line.Split(' ', ':', '\t').Any(flag => flag is "avx512_bf16" or "amx_bf16");
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed class Scope : IDisposable
    {
        private readonly bool previous = active;
        private bool disposed;

        public Scope() => active = true;

        public void Dispose()
        {
            if (disposed) return;
            active = previous;
            disposed = true;
        }
    }
}
