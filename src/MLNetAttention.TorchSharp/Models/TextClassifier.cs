using MLNetAttention.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Models;

/// <summary>
/// The attention-pooling text classifier: Embedding (Glorot normal, padding row 0 zero) -> dropout ->
/// encoder -> pooling -> dropout -> Dense -> exact GELU -> Dense(classes). The forward pass takes token
/// ids (batch, seq), 0 = padding, and returns the logits and the pooling weights.
/// </summary>
public sealed class TextClassifier : nn.Module<Tensor, (Tensor Logits, Tensor Weights)>
{
    private readonly RowSparseEmbedding embedding;
    private readonly RowSparseEmbedding? bigram_embedding;
    private readonly Linear? bigram_projection;
    private readonly InvertedDropout? bigram_dropout;
    private readonly InvertedDropout embedding_dropout;
    private readonly SequenceEncoder encoder;
    private readonly PoolingLayer pooling;
    private readonly InvertedDropout pooled_dropout;
    private readonly Linear? dense;
    private readonly Linear output;
    private readonly TextClassifier? companion;

    /// <summary>Where the companion network's parameters sit in <c>state_dict()</c>: the field's registered name and a dot.</summary>
    internal const string CompanionParameterPrefix = nameof(companion) + ".";

    /// <summary>Builds the model described by <paramref name="options"/> with fresh weights.</summary>
    public TextClassifier(TextClassifierOptions options) : base(nameof(TextClassifier))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options.Clone();

        embedding = EncoderFactory.TokenEmbedding(options.VocabularySize, options.EmbeddingDim);
        if (options.BigramBuckets > 0)
        {
            bigram_embedding = new RowSparseEmbedding(options.BigramBuckets, options.BigramDim);
            // Rows start at zero so a bigram adds only what training gives it. A standard-normal start made each of
            // the million rows a large fixed random vector that rare bigrams never unlearn (poetry-dynasty 0.859 -> 0.874).
            using (no_grad()) bigram_embedding.Weight.zero_();
            bigram_projection = nn.Linear(options.BigramDim, options.EmbeddingDim, hasBias: false);
            bigram_dropout = new InvertedDropout(options.BigramDropout);
        }
        embedding_dropout = new InvertedDropout(options.Dropout);
        encoder = EncoderFactory.Encoder(options.Encoder, options.VocabularySize, options.EmbeddingDim, options.EncoderDim, options.MaxLength);
        int pooledDim = encoder.OutputDim;
        pooling = options.Pooling switch
        {
            PoolingKind.Attention => new AttentionPooling1D(pooledDim, options.AttentionHiddenDim),
            PoolingKind.MultiHead => new MultiHeadAttentionPooling1D(pooledDim, options.AttentionHiddenDim, options.Heads, options.SeparateHeadKeys, options.SlicedHeads),
            PoolingKind.Max => new MaskedGlobalMaxPooling1D(),
            _ => new MaskedMeanPooling1D(),
        };
        pooled_dropout = new InvertedDropout(options.Dropout);
        int pooledSize = pooling.OutputSize(pooledDim);
        // DenseDim 0: the pooled vector goes straight to the output layer (a linear read-out, as fastText's).
        dense = options.DenseDim > 0 ? nn.Linear(pooledSize, options.DenseDim) : null;
        output = nn.Linear(options.DenseDim > 0 ? options.DenseDim : pooledSize, options.NumClasses);
        if (options.ResolvedCompanion() is { } companionOptions) companion = new TextClassifier(companionOptions);
        RegisterComponents();
    }

    /// <summary>The options the model was built from (a copy).</summary>
    public TextClassifierOptions Options { get; }

    /// <summary>
    /// Computes the logits (batch, classes) and the weights (batch, seq) or (batch, heads, seq). With a companion network
    /// the logits are the log of both networks' averaged probabilities (so their softmax is that average) and the
    /// weights are both networks' weights averaged.
    /// </summary>
    /// <param name="ids">Token ids (batch, seq), int64, 0 = padding.</param>
    public override (Tensor Logits, Tensor Weights) forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var (logits, weights) = ForwardMembers(ids);
        return (Combine(logits).MoveToOuterDisposeScope(), Average(weights).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Each network's own logits and weights: this network's first, then its companion's. Training gives each network
    /// its own loss, so the two learn as if trained apart (on the same batches) and stay different.
    /// </summary>
    public (Tensor[] Logits, Tensor[] Weights) ForwardMembers(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var (logits, weights, _) = ForwardForTraining(ids, headLogits: false);
        foreach (var tensor in logits.Concat(weights)) tensor.MoveToOuterDisposeScope();
        return (logits, weights);
    }

    /// <summary>
    /// <see cref="ForwardMembers"/> plus, per network, the logits of each head classified alone (batch, heads, classes)
    /// when <paramref name="headLogits"/> is set and the network is multi-head (null otherwise): what
    /// <see cref="TextClassifierOptions.HeadSoloLoss"/> trains.
    /// </summary>
    internal (Tensor[] Logits, Tensor[] Weights, Tensor?[] HeadLogits) ForwardForTraining(Tensor ids, bool headLogits)
    {
        using var scope = NewDisposeScope();
        var mask = Masking.FromIds(ids);
        var ownIds = ids;
        if (training && Options.TokenDropout > 0)
        {
            // Word dropout: real tokens become unknown (id 1), padding stays padding.
            using var padding = 0L.ToScalar();
            using var unknown = 1L.ToScalar();
            var dropped = TrainingStepContext.Bernoulli(ids.shape, Options.TokenDropout).to(ids.device).logical_and(ids.gt(padding));
            ownIds = ids.masked_fill(dropped, unknown);
        }
        var (logits, weights, solo) = OwnFromEmbeddings(OwnEmbed(ownIds), mask, headLogits);
        logits.MoveToOuterDisposeScope();
        weights.MoveToOuterDisposeScope();
        solo?.MoveToOuterDisposeScope();
        if (companion is null) return ([logits], [weights], [solo]);
        var (companionLogits, companionWeights, companionSolo) = companion.ForwardForTraining(ids, headLogits);
        foreach (var tensor in companionLogits.Concat(companionWeights)) tensor.MoveToOuterDisposeScope();
        foreach (var tensor in companionSolo) tensor?.MoveToOuterDisposeScope();
        return ([logits, .. companionLogits], [weights, .. companionWeights], [solo, .. companionSolo]);
    }

    /// <summary>The number of networks whose predictions the model averages: 1, or 2 with a companion.</summary>
    public int Members => companion is null ? 1 : 2;

    /// <summary>The companion network's options as it was built (<see cref="TextClassifierOptions.ResolvedCompanion"/>), or null.</summary>
    internal TextClassifierOptions? CompanionOptions => companion?.Options;

    /// <summary>
    /// The second half of <see cref="forward"/>: from the embedded tokens (batch, seq, embedding) to the logits
    /// and weights. Attribution methods such as gradient x input differentiate with respect to its input. With a
    /// companion the input is both networks' embeddings side by side (see <see cref="Embed"/>).
    /// </summary>
    internal (Tensor Logits, Tensor Weights) FromEmbeddings(Tensor x, Tensor mask)
    {
        if (companion is null)
        {
            var (ownLogits, ownWeights, _) = OwnFromEmbeddings(x, mask, headLogits: false);
            return (ownLogits, ownWeights);
        }
        using var scope = NewDisposeScope();
        long own = Options.EmbeddingDim;
        var (logits, weights, _) = OwnFromEmbeddings(x[.., .., ..(int)own], mask, headLogits: false);
        var (companionLogits, companionWeights) = companion.FromEmbeddings(x[.., .., (int)own..], mask);
        return (Combine([logits, companionLogits]).MoveToOuterDisposeScope(), Average([weights, companionWeights]).MoveToOuterDisposeScope());
    }

    private (Tensor Logits, Tensor Weights, Tensor? HeadLogits) OwnFromEmbeddings(Tensor x, Tensor mask, bool headLogits)
    {
        var encoded = encoder.forward(embedding_dropout.forward(x), mask);
        var (pooled, weights) = pooling.forward(encoded, mask);
        Tensor? solo = null;
        if (headLogits && weights.dim() == 3)
        {
            // Each head alone: the other heads' vectors zeroed and this one scaled by the head count, as head dropout
            // scales a text that keeps one head of H; (batch, heads, classes).
            long batch = pooled.shape[0], heads = weights.shape[1];
            var eye = torch.eye(heads, dtype: pooled.dtype, device: pooled.device).reshape(1, heads, heads, 1);
            using var headCount = ((float)heads).ToScalar();
            var alone = (pooled.reshape(batch, 1, heads, -1) * eye * headCount).reshape(batch * heads, -1);
            solo = ReadOut(alone).reshape(batch, heads, -1);
        }
        if (training && Options.HeadDropout > 0 && weights.dim() == 3)
        {
            // Head dropout: a text loses whole heads' vectors, so no head can lean on another to carry the signal.
            long heads = weights.shape[1];
            var drop = TrainingStepContext.Bernoulli(new[] { pooled.shape[0], heads, 1L }, Options.HeadDropout).to(pooled.device);
            using var kept = ((float)(1 - Options.HeadDropout)).ToScalar();
            var keep = drop.logical_not().to(pooled.dtype) / kept;
            pooled = (pooled.reshape(pooled.shape[0], heads, -1) * keep).reshape(pooled.shape[0], -1);
        }
        return (ReadOut(pooled), weights, solo);
    }

    // Pooled vector -> logits: dropout, the optional dense layer with GELU, the output layer.
    private Tensor ReadOut(Tensor pooled)
    {
        var dropped = pooled_dropout.forward(pooled);
        var hidden = dense is null ? dropped : nn.functional.gelu(dense.forward(dropped));
        return output.forward(hidden);
    }

    /// <summary>
    /// The log of the members' averaged probabilities (softmax of it is that average); a single member's logits pass
    /// through unchanged.
    /// </summary>
    internal static Tensor Combine(Tensor[] logits)
    {
        if (logits.Length == 1) return logits[0].alias();
        using var scope = NewDisposeScope();
        var logProbabilities = stack(logits.Select(l => l.log_softmax(-1)).ToArray(), 0);
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var logMembers = Math.Log(logits.Length).ToScalar();
        return (logProbabilities.logsumexp(0) - logMembers).MoveToOuterDisposeScope();
    }

    private static Tensor Average(Tensor[] weights)
    {
        if (weights.Length == 1) return weights[0].alias();
        using var scope = NewDisposeScope();
        // A single-head companion (TextClassifierOptions.CompanionSingleHead) joins each of the heads.
        var heads = weights.FirstOrDefault(w => w.dim() == 3);
        var shaped = heads is null ? weights : weights.Select(w => w.dim() == 3 ? w : w.unsqueeze(1).expand_as(heads)).ToArray();
        return stack(shaped, 0).mean(new long[] { 0 }).MoveToOuterDisposeScope();
    }

    /// <summary>The loss term the options add to the cross-entropy (the multi-head diversity, overlap and flatness penalties), or null.</summary>
    public Tensor? Regularizer(Tensor weights)
    {
        if (weights.dim() != 3) return null;
        Tensor? penalty = null;
        if (Options.DiversityPenalty > 0)
            penalty = MultiHeadAttentionPooling1D.DiversityPenalty(weights) * Options.DiversityPenalty;
        if (Options.HeadOverlapPenalty > 0)
        {
            var overlap = MultiHeadAttentionPooling1D.OverlapPenalty(weights) * Options.HeadOverlapPenalty;
            penalty = penalty is null ? overlap : penalty + overlap;
        }
        if (Options.HeadFlatnessPenalty > 0)
        {
            var flatness = MultiHeadAttentionPooling1D.FlatnessPenalty(weights) * Options.HeadFlatnessPenalty;
            penalty = penalty is null ? flatness : penalty + flatness;
        }
        return penalty;
    }

    /// <summary>
    /// The first half of <see cref="forward"/>: token embeddings plus, when enabled, hashed bigram embeddings; with a
    /// companion, its embeddings follow this network's along the last axis.
    /// </summary>
    internal Tensor Embed(Tensor ids)
    {
        if (companion is null) return OwnEmbed(ids);
        using var scope = NewDisposeScope();
        return cat([OwnEmbed(ids), companion.Embed(ids)], -1).MoveToOuterDisposeScope();
    }

    private Tensor OwnEmbed(Tensor ids)
    {
        var x = embedding.forward(ids);
        if (bigram_embedding is null || bigram_projection is null || bigram_dropout is null) return x;
        // Bigram of each token with the next one; the step after the last token is padding (0)
        // whether or not the batch is padded, so this stays padding-invariant.
        // Scalars held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var stride = Options.EffectiveBigramHashStride.ToScalar();
        using var bucketCount = ((long)Options.BigramBuckets).ToScalar();
        var next = nn.functional.pad(ids[.., 1..], new long[] { 0, 1 });
        var buckets = (ids * stride + next).remainder(bucketCount);
        Tensor rows;
        if (Options.Trigrams)
        {
            // Padded first, then shifted, so a one-token text still gets a step: id 0 past the end, as for bigrams.
            var afterNext = nn.functional.pad(ids, new long[] { 0, 2 })[.., 2..];
            var trigrams = (buckets * stride + afterNext).remainder(bucketCount);
            // One lookup for both, so a row-wise optimizer sees each row once per step.
            rows = bigram_embedding.forward(stack(new[] { buckets, trigrams }, -1)).sum(-2);
        }
        else
        {
            rows = bigram_embedding.forward(buckets);
        }
        var bigrams = bigram_projection.forward(bigram_dropout.forward(rows));
        return x + bigrams * Masking.FromIds(ids).unsqueeze(-1);
    }

    /// <summary>
    /// Resets to zero, in this network and its companion, every bigram (and trigram) row whose n-grams occur in fewer
    /// than <paramref name="minTexts"/> of <paramref name="texts"/>: such a row then reads as an n-gram never seen,
    /// which is what it is for nearly every new text, and a compact export leaves it out. Returns the rows reset.
    /// </summary>
    /// <param name="texts">The training texts' token ids, as the model reads them (unpadded).</param>
    /// <param name="minTexts">The fewest texts an n-gram bucket must occur in to keep its row.</param>
    internal long ForgetRareNgrams(IReadOnlyList<int[]> texts, int minTexts)
    {
        long reset = companion?.ForgetRareNgrams(texts, minTexts) ?? 0;
        if (bigram_embedding is null || minTexts <= 1) return reset;
        int buckets = Options.BigramBuckets;
        var textCounts = new int[buckets];
        // The last text that counted each bucket, so a text repeating an n-gram counts it once.
        var lastText = new int[buckets];
        Array.Fill(lastText, -1);
        for (int t = 0; t < texts.Count; t++)
            foreach (long bucket in NgramBuckets(texts[t]))
                if (lastText[bucket] != t) { lastText[bucket] = t; textCounts[bucket]++; }
        var rare = new List<long>();
        using (no_grad())
        {
            // Rows already zero (never looked up) need no reset; only rare rows that training moved are counted.
            var moved = bigram_embedding.Weight.ne(0).any(1).data<bool>().ToArray();
            for (int b = 0; b < buckets; b++)
                if (moved[b] && textCounts[b] < minTexts) rare.Add(b);
            if (rare.Count > 0)
            {
                using var rows = tensor(rare.ToArray(), dtype: ScalarType.Int64, device: bigram_embedding.Weight.device);
                bigram_embedding.Weight.index_fill_(0, rows, 0f);
            }
        }
        return reset + rare.Count;
    }

    // The bucket of each bigram (and trigram) OwnEmbed looks up for ids, in the same arithmetic.
    private IEnumerable<long> NgramBuckets(int[] ids)
    {
        long stride = Options.EffectiveBigramHashStride, buckets = Options.BigramBuckets;
        for (int i = 0; i < ids.Length; i++)
        {
            long next = i + 1 < ids.Length ? ids[i + 1] : 0;
            long bigram = (ids[i] * stride + next) % buckets;
            yield return bigram;
            if (Options.Trigrams)
            {
                long afterNext = i + 2 < ids.Length ? ids[i + 2] : 0;
                yield return (bigram * stride + afterNext) % buckets;
            }
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            embedding.Dispose(); bigram_embedding?.Dispose(); bigram_projection?.Dispose(); bigram_dropout?.Dispose();
            embedding_dropout.Dispose(); encoder.Dispose(); pooling.Dispose();
            pooled_dropout.Dispose(); dense?.Dispose(); output.Dispose(); companion?.Dispose();
        }
        base.Dispose(disposing);
    }
}
