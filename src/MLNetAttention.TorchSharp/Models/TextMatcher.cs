using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>
/// A pair matcher: takes the token ids of two sentences, ids1 (batch, seq1) and ids2 (batch, seq2), 0 = padding,
/// and returns two-class logits (column 1 = match) and each sentence's pooling weights, (batch, seq1) and
/// (batch, seq2), which sum to 1 over the real tokens and are 0 on padding.
/// </summary>
public abstract class TextMatcher : nn.Module<Tensor, Tensor, (Tensor Logits, Tensor Weights1, Tensor Weights2)>
{
    /// <summary>Creates the matcher with its module name and (a validated copy of) its options.</summary>
    protected TextMatcher(string name, TextMatcherOptions options) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options.Clone();
    }

    /// <summary>The options the model was built from (a copy).</summary>
    public TextMatcherOptions Options { get; }

    /// <summary>The loss term added to the training loss (the L2 penalty on the head's dense weight), or null.</summary>
    public abstract Tensor? Regularizer();

    /// <summary>Builds the matcher <paramref name="options"/> describes, with fresh weights.</summary>
    public static TextMatcher Create(TextMatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Kind switch
        {
            MatcherKind.Interactive => new InteractiveMatcher(options),
            MatcherKind.Triplet => new TripletMatcher(options),
            MatcherKind.Cross => new CrossAttentionMatcher(options),
            _ => new SiameseMatcher(options),
        };
    }
}

/// <summary>
/// The shared token encoder of the matchers: Embedding (Glorot normal, padding row 0 zero) -> dropout -> encoder.
/// Returns the encoded vectors (batch, seq, dim) and the mask (batch, seq).
/// </summary>
public sealed class MatchTokenEncoder : nn.Module<Tensor, (Tensor Encoded, Tensor Mask)>
{
    private readonly RowSparseEmbedding embedding;
    private readonly InvertedDropout embedding_dropout;
    private readonly SequenceEncoder encoder;

    /// <summary>Builds the encoder described by <paramref name="options"/>.</summary>
    public MatchTokenEncoder(TextMatcherOptions options) : base(nameof(MatchTokenEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        embedding = EncoderFactory.TokenEmbedding(options.VocabularySize, options.EmbeddingDim);
        embedding_dropout = new InvertedDropout(options.Dropout);
        encoder = EncoderFactory.Encoder(options.Encoder, options.VocabularySize, options.EmbeddingDim, options.EncoderDim, options.MaxLength);
        RegisterComponents();
    }

    /// <summary>The width of the encoded vectors.</summary>
    public int OutputDim => encoder.OutputDim;

    /// <summary>Encodes token ids (batch, seq), 0 = padding.</summary>
    public override (Tensor Encoded, Tensor Mask) forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var mask = Masking.FromIds(ids);
        var encoded = encoder.forward(embedding_dropout.forward(embedding.forward(ids)), mask);
        return (encoded.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { embedding.Dispose(); embedding_dropout.Dispose(); encoder.Dispose(); }
        base.Dispose(disposing);
    }
}

/// <summary>
/// The matchers' head: [u, v, u*v, |u-v|] -> Dense(DenseDim) -> dropout -> exact GELU -> Dense(2).
/// Its dense weight carries the L2 penalty.
/// </summary>
public sealed class MatchHead : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly InvertedDropout dropout;
    private readonly Linear output;
    private readonly double l2;

    /// <summary>Creates the head for pooled vectors of width <paramref name="pooledDim"/>.</summary>
    public MatchHead(int pooledDim, TextMatcherOptions options) : base(nameof(MatchHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        dense = nn.Linear(4 * pooledDim, options.DenseDim);
        dropout = new InvertedDropout(options.Dropout);
        output = nn.Linear(options.DenseDim, 2);
        l2 = options.DenseL2;
        RegisterComponents();
    }

    /// <summary>The logits (batch, 2) of the pooled pair u, v (batch, dim).</summary>
    public override Tensor forward(Tensor u, Tensor v)
    {
        using var scope = NewDisposeScope();
        var features = cat(new[] { u, v, u * v, (u - v).abs() }, 1);
        var hidden = nn.functional.gelu(dropout.forward(dense.forward(features)));
        return output.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>L2 * sum(W^2) of the dense weight, or null when the penalty is off.</summary>
    public Tensor? Regularizer() => l2 > 0 ? dense.weight!.square().sum() * l2 : null;

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { dense.Dispose(); dropout.Dispose(); output.Dispose(); }
        base.Dispose(disposing);
    }
}
