using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>Builds the token embedding and encoder that classifiers and matchers share.</summary>
internal static class EncoderFactory
{
    /// <summary>The token embedding: Glorot normal, with the padding row 0 zero.</summary>
    public static RowSparseEmbedding TokenEmbedding(int vocabularySize, int embeddingDim)
    {
        var embedding = new RowSparseEmbedding(vocabularySize, embeddingDim, paddingIndex: 0);
        using (no_grad())
        {
            nn.init.xavier_normal_(embedding.Weight);
            embedding.Weight[0].zero_();
        }
        return embedding;
    }

    /// <summary>
    /// The encoder of <paramref name="kind"/>. A ResConv encoder's positions cover <paramref name="maxLength"/>
    /// rounded up to the padding quantum (batches pad that far) and start at the token embeddings' scale.
    /// </summary>
    public static SequenceEncoder Encoder(EncoderKind kind, int vocabularySize, int embeddingDim, int encoderDim, int maxLength) => kind switch
    {
        EncoderKind.Conv => new ConvEncoder(embeddingDim, encoderDim),
        EncoderKind.BiLstm => new BiLstmEncoder(embeddingDim, encoderDim),
        EncoderKind.ResConv => new ResConvEncoder(embeddingDim, Masking.PaddedLength(maxLength),
            positionInitStd: Math.Sqrt(2.0 / (vocabularySize + embeddingDim))),
        _ => new IdentityEncoder(embeddingDim),
    };
}
