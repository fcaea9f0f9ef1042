using System.Globalization;
using System.Text.Json.Serialization;

namespace MLNetAttention.Models;

/// <summary>The encoder between the embeddings and the pooling.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EncoderKind>))]
public enum EncoderKind
{
    /// <summary>Conv1D, kernel 3, same padding, ReLU: the original's default.</summary>
    Conv,
    /// <summary>A bidirectional LSTM (packed, so padding-invariant).</summary>
    BiLstm,
    /// <summary>Position embedding, LayerNorm and residual Conv1D blocks (k = 2, 3, 4) with GELU.</summary>
    ResConv,
    /// <summary>No encoder: the embeddings are pooled directly.</summary>
    None,
}

/// <summary>How token vectors become one text vector, and where the per-token weights come from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PoolingKind>))]
public enum PoolingKind
{
    /// <summary>AttentionPooling1D: one weight row.</summary>
    Attention,
    /// <summary>MultiHeadAttentionPooling1D: one weight row per head.</summary>
    MultiHead,
    /// <summary>Masked global max pooling; weights = the share of the maxima each token supplied.</summary>
    Max,
    /// <summary>Masked mean pooling; uniform weights (a baseline).</summary>
    Mean,
}

/// <summary>
/// Everything that defines a <c>TextClassifier</c>'s architecture. Saved with the model as JSON and
/// read by the ONNX exporter, so one definition serves training and export.
/// </summary>
public sealed class TextClassifierOptions : IJsonOnDeserializing
{
    /// <summary>Number of token ids, padding (0) and unknown (1) included.</summary>
    public int VocabularySize { get; set; }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; set; }

    /// <summary>Width of the token embeddings.</summary>
    public int EmbeddingDim { get; set; } = 128;

    /// <summary>The encoder.</summary>
    public EncoderKind Encoder { get; set; } = EncoderKind.Conv;

    /// <summary>Width of the encoder's output (for <see cref="EncoderKind.ResConv"/> and <see cref="EncoderKind.None"/> it is <see cref="EmbeddingDim"/>).</summary>
    public int EncoderDim { get; set; } = 128;

    /// <summary>The pooling.</summary>
    public PoolingKind Pooling { get; set; } = PoolingKind.Attention;

    /// <summary>Number of heads for <see cref="PoolingKind.MultiHead"/>.</summary>
    public int Heads { get; set; } = 4;

    /// <summary>Width of the attention scoring projection (the original's hdims).</summary>
    public int AttentionHiddenDim { get; set; } = 128;

    /// <summary>Width of the dense layer (with GELU) before the output; 0 = none, a linear read-out of the pooled vector as fastText's.</summary>
    public int DenseDim { get; set; } = 128;

    /// <summary>Dropout after the embeddings and after the pooling.</summary>
    public double Dropout { get; set; } = 0.2;

    /// <summary>During training, the probability of replacing each token by the unknown id ("word dropout").</summary>
    public double TokenDropout { get; set; }

    /// <summary>The longest input in tokens; the position embedding of <see cref="EncoderKind.ResConv"/> covers it.</summary>
    public int MaxLength { get; set; } = 256;

    /// <summary>
    /// Weight of the multi-head diversity penalty ||A A^T - I||_F^2 of Lin et al. (2017) in the loss (0 = off; only
    /// multi-head pooling uses it). Off by default: on the full data sets the heads differ without it (head diversity
    /// ratio above 2) and 0.1 cost 0.7 to 1.7 points; on a few thousand texts with early stopping the heads can come out
    /// as flat copies; there <see cref="HeadOverlapPenalty"/> 0.03 with <see cref="HeadDropout"/> 0.5 or 0.6 (the demo
    /// trains 0.6 with <see cref="SlicedHeads"/>) separates them at one head's accuracy, where this penalty makes every
    /// head sharp (docs/benchmarks.md).
    /// </summary>
    public double DiversityPenalty { get; set; }

    /// <summary>
    /// Weight of the head overlap penalty in the loss (0 = off; only multi-head pooling uses it): the mean squared
    /// cosine similarity between two heads' weights over the same text. Unlike <see cref="DiversityPenalty"/> it does
    /// not reward peaked heads for being peaked: heads that are equally flat have a cosine near 1 and are pushed apart,
    /// heads that already look at different tokens are left alone. 0 here; the training defaults for characters
    /// (<c>AttentionClassifierOptions.Default</c> and <c>Ngram</c>, so <c>train --pooling multihead</c>) use 0.01 with
    /// <see cref="HeadDropout"/> 0.3, which keeps heads off uniform on poetry-dynasty (docs/benchmarks.md).
    /// </summary>
    public double HeadOverlapPenalty { get; set; }

    /// <summary>
    /// Weight of the head flatness penalty in the loss (0 = off; only multi-head pooling uses it): each head's squared
    /// cosine similarity with uniform weights over the text's tokens, averaged over heads. That is the share of the
    /// text a head spreads over (1 for a uniform head, 1/length for a one-token head). It saturates: a head that
    /// already peaks on a few tokens gains almost nothing by sharpening further, where the Lin penalty keeps pulling
    /// every head toward one token. The overlap penalty treats a uniform head as apart from any peaked one; this one
    /// keeps every head off uniform, where its top tokens would be no evidence.
    /// </summary>
    public double HeadFlatnessPenalty { get; set; }

    /// <summary>
    /// Weight of the solo-head loss (0 = off; only multi-head pooling uses it): during training each head's pooled
    /// vector is also classified alone (the other heads zeroed, as head dropout keeping one head) and the mean of
    /// those cross-entropies joins the loss. A head the others can carry gets no gradient from the ensemble's loss
    /// alone and may settle near uniform or on tokens the classifier ignores; classifying alone, it must find
    /// evidence of its own. Adds no weights: the model and its ONNX graph are the same. 0 here; the conv network's
    /// training default for characters (<c>AttentionClassifierOptions.Default</c>, so <c>train --pooling multihead</c>)
    /// uses 1, with which every head's top characters were evidence on three of three poetry-dynasty seeds, and so does
    /// the <c>ngram</c> preset's multi-head variant on characters, beside a mean-pooling companion.
    /// </summary>
    public double HeadSoloLoss { get; set; }

    /// <summary>
    /// Weight of the solo-head loss for the <see cref="Companion"/> network; null (the default) trains it with
    /// <see cref="HeadSoloLoss"/>, as this network. 0 trains the loss on this network alone: with the <c>ngram</c>
    /// preset, whose bigram network's heads were the ones with weak evidence, that made them hold without turning the
    /// heads into copies (as the loss on both networks did), but the companion's heads then missed on other seeds
    /// (docs/benchmarks.md).
    /// </summary>
    public double? CompanionHeadSoloLoss { get; set; }

    /// <summary>
    /// Weight of the head pairing penalty (0 = off; only multi-head pooling with a <see cref="Companion"/> uses it): for
    /// each head, 1 minus the cosine similarity between this network's and the companion's weights for that head, each
    /// taken as its deviation from its mean weight over the text (flat heads' raw weights always look alike), averaged
    /// over heads. The model reports head h as both networks' head h averaged; two heads that look at different
    /// tokens blur into one whose top tokens neither network leans on much, so this asks each pair to look alike.
    /// </summary>
    public double CompanionHeadPairing { get; set; }

    /// <summary>
    /// Multi-head pooling with a <see cref="Companion"/>: the companion pools with one attention head instead of
    /// <see cref="Heads"/>, and the model reports head h as this network's head h averaged with the companion's one
    /// head (false = head h of both networks averaged). Two networks' heads of the same index have no reason to look at
    /// the same tokens, so a head of either network that carries little evidence sinks the pair; the companion's single
    /// attention carries its evidence into every head instead. Pooling other than multi-head is unchanged by it.
    /// </summary>
    public bool CompanionSingleHead { get; set; }

    /// <summary>
    /// How the <see cref="Companion"/> network pools, when not as this network does (null, the default: as this network,
    /// or one attention head with <see cref="CompanionSingleHead"/>). <see cref="PoolingKind.Mean"/> leaves the companion
    /// without attention: its weights are uniform, so the model's weights for head h are this network's head h averaged
    /// with uniform weights, which ranks the tokens exactly as that head does. <see cref="PoolingKind.MultiHead"/> is
    /// allowed only when this network pools with several heads, and then says explicitly what null says.
    /// </summary>
    public PoolingKind? CompanionPooling { get; set; }

    /// <summary>
    /// Multi-head pooling: one scoring projection per head instead of the original's one shared projection
    /// (the heads then differ by more than their output row).
    /// </summary>
    public bool SeparateHeadKeys { get; set; }

    /// <summary>
    /// Multi-head pooling: each head pools its own slice of the token vectors (width <see cref="PooledInputDim"/> /
    /// <see cref="Heads"/>) instead of the whole vector, and the heads' vectors side by side make one vector of the
    /// input's width, as in Transformer multi-head attention. The features of a slice reach the classifier only
    /// through its head, so a head cannot repeat what another pooled. The width must divide by the heads. Off by default:
    /// on full poetry-dynasty with the <c>ngram</c> preset it met the same goals as whole-vector heads, no more; the demo
    /// trains it on 2,700 poems, where it kept heads apart with fewer heads whose top tokens are no evidence
    /// (docs/benchmarks.md).
    /// </summary>
    public bool SlicedHeads { get; set; }

    /// <summary>
    /// Multi-head pooling: during training, the probability of zeroing a whole head's pooled vector for a text (0 = off).
    /// With the diversity penalty some heads settle on tokens the classifier ignores; dropping heads makes each one carry
    /// evidence on its own (docs/benchmarks.md).
    /// </summary>
    public double HeadDropout { get; set; }

    /// <summary>
    /// Number of hash buckets for token-bigram embeddings added to the token embeddings (0 = off).
    /// Bigrams are hashed inside the model from adjacent ids, so inputs stay plain token ids.
    /// </summary>
    public int BigramBuckets { get; set; }

    /// <summary>
    /// The stride every model saved before the option existed used, and the one a saved model without the field
    /// reads back as. It reduces the hash to (3 x id + next) mod buckets for 100k or 1M buckets, so all pairs share
    /// about 3 x vocabulary buckets whatever the table size.
    /// </summary>
    public const long LegacyBigramHashStride = 1_000_003;

    /// <summary>
    /// A bigram's bucket is (id x stride + next id) mod <see cref="BigramBuckets"/>. 0 (the default) uses the
    /// vocabulary size, which makes id x stride + next distinct for distinct pairs before the modulo, so pairs
    /// collide only by the table's size. On poetry-dynasty that scored 0.874 against 0.846 for
    /// <see cref="LegacyBigramHashStride"/> (both with the zero-initialised bigram table; fastText's own bucket
    /// count shows the same: 2M buckets 0.876, 30k 0.860).
    /// </summary>
    public long BigramHashStride { get; set; }

    /// <summary>The stride the hash uses: <see cref="BigramHashStride"/>, or the vocabulary size when that is 0.</summary>
    [JsonIgnore]
    public long EffectiveBigramHashStride => BigramHashStride > 0 ? BigramHashStride : VocabularySize;

    /// <summary>
    /// Also embed each token trigram, hashed into the same table as the bigrams (as fastText hashes every word n-gram
    /// into one table): bucket = (bigram bucket x stride + the id two steps on) mod <see cref="BigramBuckets"/>; a
    /// position adds its bigram's and its trigram's rows. Needs <see cref="BigramBuckets"/> &gt; 0. Default: false.
    /// </summary>
    public bool Trigrams { get; set; }

    /// <summary>
    /// A second network trained beside this one, on the same batches but with its own loss, whose class probabilities
    /// and weights the model averages with this network's (null = none). It reads the same token ids and pools as this
    /// network does (its vocabulary, classes, maximum length, pooling, heads and head options are this network's, see
    /// <see cref="ResolvedCompanion"/>); the rest of its architecture is its own. Networks that see a text differently
    /// make different mistakes: the <c>ngram</c> preset pairs its bigram network with a convolutional one
    /// (poetry-dynasty 0.886 and 0.860 alone, 0.893 averaged; docs/benchmarks.md).
    /// </summary>
    public TextClassifierOptions? Companion { get; set; }

    /// <summary>
    /// <see cref="Companion"/> as the model builds it: a copy with this network's vocabulary size, classes, maximum
    /// length, pooling, heads and multi-head options, so both networks' weights have one shape; null without a companion.
    /// </summary>
    public TextClassifierOptions? ResolvedCompanion()
    {
        if (Companion is null) return null;
        var resolved = Companion.Clone();
        resolved.VocabularySize = VocabularySize;
        resolved.NumClasses = NumClasses;
        resolved.MaxLength = MaxLength;
        resolved.Pooling = CompanionPooling ?? (CompanionSingleHead && Pooling == PoolingKind.MultiHead ? PoolingKind.Attention : Pooling);
        resolved.Heads = Heads;
        resolved.SeparateHeadKeys = SeparateHeadKeys;
        resolved.SlicedHeads = SlicedHeads;
        resolved.DiversityPenalty = DiversityPenalty;
        resolved.HeadOverlapPenalty = HeadOverlapPenalty;
        resolved.HeadFlatnessPenalty = HeadFlatnessPenalty;
        resolved.HeadDropout = HeadDropout;
        resolved.HeadSoloLoss = CompanionHeadSoloLoss ?? HeadSoloLoss;
        resolved.CompanionHeadSoloLoss = null;
        resolved.CompanionSingleHead = false;
        resolved.CompanionPooling = null;
        return resolved;
    }

    /// <summary>Width of the bigram embeddings before their projection to <see cref="EmbeddingDim"/>.</summary>
    public int BigramDim { get; set; } = 32;

    /// <summary>Dropout on the bigram embeddings: the bigram table memorises the training set quickly without it.</summary>
    public double BigramDropout { get; set; } = 0.5;

    /// <summary>Width of the vectors the encoder hands to the pooling.</summary>
    [JsonIgnore]
    public int PooledInputDim => Encoder is EncoderKind.ResConv or EncoderKind.None ? EmbeddingDim : EncoderDim;

    /// <summary>Number of weight rows per text: <see cref="Heads"/> for multi-head pooling, else 1.</summary>
    [JsonIgnore]
    public int WeightRows => Pooling == PoolingKind.MultiHead ? Heads : 1;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first option that cannot build a model.</summary>
    public void Validate()
    {
        Require(VocabularySize >= 2, nameof(VocabularySize), VocabularySize, "at least 2 (padding and unknown)");
        Require(NumClasses >= 2, nameof(NumClasses), NumClasses, "at least 2");
        Require(EmbeddingDim >= 1, nameof(EmbeddingDim), EmbeddingDim, "at least 1");
        Require(EncoderDim >= 1, nameof(EncoderDim), EncoderDim, "at least 1");
        Require(Encoder != EncoderKind.BiLstm || EncoderDim % 2 == 0, nameof(EncoderDim), EncoderDim, "even for the BiLstm encoder (two directions)");
        Require(Heads >= 1, nameof(Heads), Heads, "at least 1");
        Require(AttentionHiddenDim >= 1, nameof(AttentionHiddenDim), AttentionHiddenDim, "at least 1");
        Require(DenseDim >= 0, nameof(DenseDim), DenseDim, "0 (no hidden layer) or more");
        Require(Dropout is >= 0 and < 1, nameof(Dropout), Dropout, "in [0, 1)");
        Require(TokenDropout is >= 0 and < 1, nameof(TokenDropout), TokenDropout, "in [0, 1)");
        Require(MaxLength >= 1, nameof(MaxLength), MaxLength, "at least 1");
        Require(DiversityPenalty >= 0, nameof(DiversityPenalty), DiversityPenalty, "0 or more");
        Require(HeadOverlapPenalty >= 0, nameof(HeadOverlapPenalty), HeadOverlapPenalty, "0 or more");
        Require(HeadFlatnessPenalty >= 0, nameof(HeadFlatnessPenalty), HeadFlatnessPenalty, "0 or more");
        Require(HeadSoloLoss >= 0 && !double.IsInfinity(HeadSoloLoss), nameof(HeadSoloLoss), HeadSoloLoss, "0 or more");
        Require(CompanionHeadSoloLoss is null || (CompanionHeadSoloLoss >= 0 && !double.IsInfinity(CompanionHeadSoloLoss.Value)), nameof(CompanionHeadSoloLoss),
            CompanionHeadSoloLoss?.ToString(CultureInfo.InvariantCulture) ?? "null", "null (as HeadSoloLoss) or 0 or more");
        Require(CompanionHeadPairing >= 0 && !double.IsInfinity(CompanionHeadPairing), nameof(CompanionHeadPairing), CompanionHeadPairing, "0 or more");
        Require(!CompanionSingleHead || Companion is not null, nameof(CompanionSingleHead), CompanionSingleHead, "false unless the model has a Companion network");
        Require(!CompanionSingleHead || CompanionHeadPairing == 0, nameof(CompanionSingleHead), CompanionSingleHead,
            "false with CompanionHeadPairing (a single companion head has no head h to pair); set one of them");
        string companionPooling = CompanionPooling?.ToString() ?? "null";
        Require(CompanionPooling is null || Companion is not null, nameof(CompanionPooling), companionPooling, "null unless the model has a Companion network");
        Require(CompanionPooling != PoolingKind.MultiHead || Pooling == PoolingKind.MultiHead, nameof(CompanionPooling), companionPooling,
            "Attention, Mean, Max or null; MultiHead only when this network pools with several heads (the companion takes its heads)");
        Require(CompanionPooling is null || !CompanionSingleHead, nameof(CompanionPooling), companionPooling,
            "null with CompanionSingleHead (both say how the companion pools); set one of them");
        Require(CompanionPooling is null or PoolingKind.MultiHead || CompanionHeadPairing == 0, nameof(CompanionPooling), companionPooling,
            "null or MultiHead with CompanionHeadPairing (a companion without heads has no head h to pair); set one of them");
        Require(HeadDropout is >= 0 and < 1, nameof(HeadDropout), HeadDropout, "in [0, 1)");
        Require(!SlicedHeads || Pooling != PoolingKind.MultiHead || PooledInputDim % Heads == 0, nameof(SlicedHeads), SlicedHeads,
            $"false unless the pooled width ({PooledInputDim}) divides by the heads ({Heads}); change --heads or the encoder width");
        Require(BigramBuckets >= 0, nameof(BigramBuckets), BigramBuckets, "0 (off) or more");
        Require(BigramHashStride >= 0, nameof(BigramHashStride), BigramHashStride, "0 (the vocabulary size) or more");
        Require(BigramDim >= 1, nameof(BigramDim), BigramDim, "at least 1");
        Require(!Trigrams || BigramBuckets > 0, nameof(Trigrams), Trigrams, "false unless BigramBuckets is set (trigrams share the bigram table)");
        Require(BigramDropout is >= 0 and < 1, nameof(BigramDropout), BigramDropout, "in [0, 1)");
        // Upper bounds, so that a damaged or hostile model.json fails here instead of asking libtorch for terabytes.
        Require(VocabularySize <= ModelLimits.MaxVocabulary, nameof(VocabularySize), VocabularySize, $"at most {ModelLimits.MaxVocabulary:N0}");
        Require(NumClasses <= ModelLimits.MaxClasses, nameof(NumClasses), NumClasses, $"at most {ModelLimits.MaxClasses:N0}");
        foreach (var (name, value) in new[] { (nameof(EmbeddingDim), EmbeddingDim), (nameof(EncoderDim), EncoderDim),
            (nameof(AttentionHiddenDim), AttentionHiddenDim), (nameof(DenseDim), DenseDim), (nameof(BigramDim), BigramDim) })
            Require(value <= ModelLimits.MaxWidth, name, value, $"at most {ModelLimits.MaxWidth:N0}");
        Require(Heads <= ModelLimits.MaxHeads, nameof(Heads), Heads, $"at most {ModelLimits.MaxHeads}");
        Require(MaxLength <= ModelLimits.MaxLength, nameof(MaxLength), MaxLength, $"at most {ModelLimits.MaxLength:N0}");
        Require(BigramBuckets <= ModelLimits.MaxBigramBuckets, nameof(BigramBuckets), BigramBuckets, $"at most {ModelLimits.MaxBigramBuckets:N0}");
        Require((long)VocabularySize * EmbeddingDim <= ModelLimits.MaxTableValues, nameof(EmbeddingDim), EmbeddingDim,
            $"small enough that the embedding table ({VocabularySize:N0} × {EmbeddingDim:N0}) holds at most {ModelLimits.MaxTableValues:N0} values");
        Require((long)BigramBuckets * BigramDim <= ModelLimits.MaxTableValues, nameof(BigramDim), BigramDim,
            $"small enough that the bigram table ({BigramBuckets:N0} × {BigramDim:N0}) holds at most {ModelLimits.MaxTableValues:N0} values");
        if (ResolvedCompanion() is { } companion)
        {
            Require(companion.Companion is null, nameof(Companion), "a network with a companion of its own", "a network without one (one companion per model)");
            try
            {
                companion.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{nameof(Companion)}.{e.Message}", $"{nameof(Companion)}.{e.ParamName}", e);
            }
        }
    }

    private static void Require(bool condition, string name, object value, string expected)
    {
        if (!condition) throw new ArgumentException($"{name} is {value}; it must be {expected}.", name);
    }

    /// <summary>A copy of these options.</summary>
    public TextClassifierOptions Clone()
    {
        var copy = (TextClassifierOptions)MemberwiseClone();
        copy.Companion = Companion?.Clone();
        return copy;
    }

    /// <summary>A copy of this network's options without its companion: the network alone, or a twin to serve as one.</summary>
    public TextClassifierOptions CloneWithoutCompanion()
    {
        var copy = (TextClassifierOptions)MemberwiseClone();
        copy.Companion = null;
        // Options about the companion mean nothing without one.
        copy.CompanionSingleHead = false;
        copy.CompanionPooling = null;
        return copy;
    }

    // Saved options without the field come from models trained with the legacy hash: keep scoring them with it.
    void IJsonOnDeserializing.OnDeserializing()
    {
        BigramHashStride = LegacyBigramHashStride;
    }
}
