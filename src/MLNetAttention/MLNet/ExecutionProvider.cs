using Microsoft.ML.OnnxRuntime;

namespace MLNetAttention.MLNet;

/// <summary>Chooses the device ONNX Runtime runs on, never handing a GPU id to the CPU-only package.</summary>
internal static class ExecutionProvider
{
    public const string Cuda = "CUDAExecutionProvider";

    /// <summary>
    /// Whether ONNX Runtime can run on CUDA device <paramref name="deviceId"/>. The GPU build lists the CUDA provider even on
    /// a machine without the CUDA libraries, so the provider is actually appended to a throw-away session configuration,
    /// which loads it.
    /// </summary>
    public static bool IsCudaAvailable(int deviceId = 0)
    {
        try
        {
            if (!OrtEnv.Instance().GetAvailableProviders().Contains(Cuda, StringComparer.Ordinal))
                return false;
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(deviceId);
            return true;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The GPU id to pass to ApplyOnnxModel: the requested one when CUDA is there, else null (or an error without fallback).</summary>
    /// <exception cref="InvalidOperationException">A GPU was requested, CUDA is missing and <paramref name="fallbackToCpu"/> is false.</exception>
    public static int? Resolve(int? gpuDeviceId, bool fallbackToCpu, Func<int, bool> isCudaAvailable)
    {
        if (gpuDeviceId is not { } id)
            return null;
        ArgumentOutOfRangeException.ThrowIfNegative(id, nameof(AttentionPoolOptions.GpuDeviceId));
        if (isCudaAvailable(id))
            return id;
        if (fallbackToCpu)
            return null;
        throw new InvalidOperationException(
            $"GPU device {id} was requested, but ONNX Runtime cannot start its {Cuda} there: either the application references the CPU-only " +
            "Microsoft.ML.OnnxRuntime (reference Microsoft.ML.OnnxRuntime.Gpu instead), or the CUDA and cuDNN libraries that ONNX Runtime's GPU build " +
            "loads, or the device itself, are missing on this machine. Set AttentionPoolOptions.FallbackToCpu = true to score on the CPU.");
    }
}
