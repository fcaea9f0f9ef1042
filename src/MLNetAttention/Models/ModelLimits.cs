namespace MLNetAttention.Models;

/// <summary>
/// The largest architecture the options accept. Far above anything useful on a CPU, they exist so that a damaged
/// model.json or ONNX metadata is refused with a named error before any allocation.
/// </summary>
public static class ModelLimits
{
    /// <summary>Tokens in a vocabulary.</summary>
    public const int MaxVocabulary = 10_000_000;

    /// <summary>Classes of a classifier.</summary>
    public const int MaxClasses = 100_000;

    /// <summary>Any layer's width (embedding, encoder, attention, dense, projection, kernel).</summary>
    public const int MaxWidth = 16_384;

    /// <summary>Attention heads.</summary>
    public const int MaxHeads = 256;

    /// <summary>Tokens per text.</summary>
    public const int MaxLength = 1_000_000;

    /// <summary>Hashed bigram buckets.</summary>
    public const int MaxBigramBuckets = 200_000_000;

    /// <summary>Values in one embedding table (2^31: 8 GB of float32).</summary>
    public const long MaxTableValues = 1L << 31;
}
