namespace MLNetAttention.Models;

/// <summary>
/// How an exported model stores an embedding table. Rows of the <c>ngram</c> preset's 4M-bucket bigram table that no
/// training text touched stay zero, so a compact export keeps only the touched rows and a row index (a rank per
/// bucket within its block, two plain Gathers) maps each bucket to its row (untouched buckets to a zero row); the token embedding,
/// whose rows are all used, can be stored in int8 whole. Every form loads in ONNX Runtime and in ML.NET's OnnxTransformer.
/// </summary>
public enum EmbeddingTableStorage
{
    /// <summary>Every bucket, float32: the full-size table, exactly as trained.</summary>
    Dense = 0,

    /// <summary>Touched rows only, float32: the same predictions as <see cref="Dense"/>, bit for bit.</summary>
    TouchedRows = 1,

    /// <summary>
    /// Touched rows only, int8 with one float32 scale per row (the row's largest magnitude / 127): about a third of
    /// the float32 size; each weight is within half a step (scale / 2) of the trained one. (Float16 rows were measured
    /// too: larger than int8 at the same accuracy, and ML.NET's OnnxTransformer refuses float16 initializers.)
    /// </summary>
    TouchedRowsInt8 = 2,

    /// <summary>
    /// Every row, int8 with one float32 scale per row, looked up by a plain Gather: for tables whose rows are all in use
    /// (the token embedding), a quarter of the float32 size without a row lookup.
    /// </summary>
    Int8 = 3,
}
