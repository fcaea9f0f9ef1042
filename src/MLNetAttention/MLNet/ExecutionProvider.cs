using Microsoft.ML.OnnxRuntime;

namespace MLNetAttention.MLNet;

/// <summary>Chooses the device ONNX Runtime runs on, never handing a GPU id to the CPU-only package.</summary>
internal static class ExecutionProvider
{
    public const string Cuda = "CUDAExecutionProvider";

    /// <summary>Whether the loaded ONNX Runtime has the CUDA execution provider (the Microsoft.ML.OnnxRuntime.Gpu package).</summary>
    public static bool IsCudaAvailable()
    {
        try
        {
            return OrtEnv.Instance().GetAvailableProviders().Contains(Cuda, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The GPU id to pass to ApplyOnnxModel: the requested one when CUDA is there, else null (or an error without fallback).</summary>
    /// <exception cref="InvalidOperationException">A GPU was requested, CUDA is missing and <paramref name="fallbackToCpu"/> is false.</exception>
    public static int? Resolve(int? gpuDeviceId, bool fallbackToCpu, Func<bool> isCudaAvailable)
    {
        if (gpuDeviceId is not { } id)
            return null;
        ArgumentOutOfRangeException.ThrowIfNegative(id, nameof(AttentionPoolOptions.GpuDeviceId));
        if (isCudaAvailable())
            return id;
        if (fallbackToCpu)
            return null;
        throw new InvalidOperationException(
            $"GPU device {id} was requested, but ONNX Runtime has no {Cuda} (only CPU is available: the Microsoft.ML.OnnxRuntime package is CPU-only). " +
            "Reference Microsoft.ML.OnnxRuntime.Gpu instead of Microsoft.ML.OnnxRuntime, or set AttentionPoolOptions.FallbackToCpu = true to score on the CPU.");
    }
}
