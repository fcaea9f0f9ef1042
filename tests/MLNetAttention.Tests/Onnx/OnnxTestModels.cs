using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Onnx;

/// <summary>Small random-weight classifiers on a real vocabulary, and helpers to run them in TorchSharp and ONNX Runtime.</summary>
internal static class OnnxTestModels
{
    public const int MaxLength = 48;

    private static readonly List<TextExample> Corpus = BundledSamples.ReadTexts("poetry-dynasty.train").Take(300).ToList();

    /// <summary>Real texts: Chinese poems, English and mixed sentences, of lengths from 1 token to past the maximum.</summary>
    public static readonly string[] Texts =
    [
        "月", "春风", Corpus[0].Text, Corpus[1].Text[..Math.Min(7, Corpus[1].Text.Length)],
        Corpus[2].Text + Corpus[3].Text + Corpus[4].Text, .. Text.TestTexts.Sentences, Corpus[5].Text,
    ];

    public static AttentionTokenizer Tokenizer(TokenizationMode mode = TokenizationMode.Char) =>
        AttentionTokenizer.Train(Corpus.Select(r => r.Text).Concat(Text.TestTexts.Sentences),
            new AttentionTokenizerOptions { Mode = mode, MinFrequency = 2, MaxLength = MaxLength });

    public static AttentionClassifier Build(EncoderKind encoder, PoolingKind pooling, int bigrams = 0,
        TokenizationMode mode = TokenizationMode.Char, long seed = 7, int denseDim = 10,
        long bigramHashStride = 0, bool separateHeadKeys = false, bool trigrams = false, TextClassifierOptions? companion = null,
        int heads = 3, bool slicedHeads = false, bool companionSingleHead = false, PoolingKind? companionPooling = null)
    {
        var tokenizer = Tokenizer(mode);
        manual_seed(seed);
        var network = new TextClassifier(new TextClassifierOptions
        {
            VocabularySize = tokenizer.VocabularySize, NumClasses = 3, EmbeddingDim = 16, EncoderDim = 12,
            AttentionHiddenDim = 8, DenseDim = denseDim, Heads = heads, Encoder = encoder, Pooling = pooling,
            MaxLength = MaxLength, BigramBuckets = bigrams, BigramDim = 6, Dropout = 0.3, BigramHashStride = bigramHashStride,
            SeparateHeadKeys = separateHeadKeys, SlicedHeads = slicedHeads, Trigrams = trigrams, Companion = companion,
            CompanionSingleHead = companionSingleHead, CompanionPooling = companionPooling,
        });
        // A fresh bigram table is zero: random rows make parity tests cover the bigram path.
        if (bigrams > 0)
            using (no_grad())
                network.named_parameters().Single(p => p.name == "bigram_embedding.weight").parameter.normal_(0, 1);
        return AttentionClassifier.Create(network, tokenizer, ["negative", "neutral", "positive"]);
    }

    /// <summary>
    /// Real sentence pairs: every text against the texts reversed, so both sides hold lengths from 1 token to past
    /// the maximum, each padded differently within a batch.
    /// </summary>
    public static readonly (string Text1, string Text2)[] Pairs = Texts.Zip(Texts.Reverse()).Append((Texts[2], Texts[2])).ToArray();

    /// <summary>
    /// A small random-weight matcher (widths 8 to 16) on the real vocabulary; the triplet's calibration is set off its
    /// default and the cross matcher's relative-position bias (5 steps each way) is random.
    /// </summary>
    public static AttentionMatcher BuildMatcher(MatcherKind kind, EncoderKind encoder, int attentionHiddenDim = 8,
        TokenizationMode mode = TokenizationMode.Char, long seed = 7)
    {
        var tokenizer = Tokenizer(mode);
        manual_seed(seed);
        var network = TextMatcher.Create(new TextMatcherOptions
        {
            Kind = kind, VocabularySize = tokenizer.VocabularySize, EmbeddingDim = 16, Encoder = encoder, EncoderDim = 12,
            AttentionHiddenDim = attentionHiddenDim, DenseDim = 10, ProjectionDim = 6, Dropout = 0.3, MaxLength = MaxLength,
            CompareDim = 10, MaxRelativeDistance = 5, CompositionKernel = 3,
        });
        if (network is TripletMatcher triplet) triplet.SetCalibration(7.5f, -1.25f);
        // A fresh relative-position bias is zero: random values make parity tests cover it (and its clipping).
        if (network is CrossAttentionMatcher)
            using (no_grad())
                network.named_parameters().Single(p => p.name == "relative_position_bias").parameter.normal_(0, 1);
        return AttentionMatcher.Create(network, tokenizer);
    }

    /// <summary>Both sides' ids (first MaxLength tokens), each padded with 0 to its longest.</summary>
    public static (long[,] Ids1, long[,] Ids2) PaddedPairIds(AttentionTokenizer tokenizer, IReadOnlyList<(string Text1, string Text2)> pairs) =>
        (PaddedIds(tokenizer, pairs.Select(p => p.Text1).ToArray()), PaddedIds(tokenizer, pairs.Select(p => p.Text2).ToArray()));

    /// <summary>Probabilities (batch x 2) and both weight rows from the TorchSharp matcher in eval mode.</summary>
    public static (float[] Probabilities, float[] Weights1, float[] Weights2) RunTorch(AttentionMatcher matcher, long[,] ids1, long[,] ids2)
    {
        matcher.Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (logits, weights1, weights2) = matcher.Network.forward(tensor(ids1), tensor(ids2));
        return (logits.softmax(-1).data<float>().ToArray(), weights1.contiguous().data<float>().ToArray(), weights2.contiguous().data<float>().ToArray());
    }

    /// <summary>The cross-attention matcher's alignment (batch x seq1 x seq2, flattened) from <see cref="CrossAttentionMatcher.Align"/> in eval mode.</summary>
    public static float[] RunTorchAlignment(AttentionMatcher matcher, long[,] ids1, long[,] ids2)
    {
        var cross = (CrossAttentionMatcher)matcher.Network;
        cross.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (_, _, _, alignment) = cross.Align(tensor(ids1), tensor(ids2));
        return alignment.contiguous().data<float>().ToArray();
    }

    /// <summary>The alignment output (batch x seq1 x seq2, flattened) from ONNX Runtime, with its shape.</summary>
    public static (float[] Alignment, int[] Shape) RunOnnxAlignment(InferenceSession session, long[,] ids1, long[,] ids2)
    {
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input_ids_1", Flat(ids1)), NamedOnnxValue.CreateFromTensor("input_ids_2", Flat(ids2))]);
        var alignment = results.First(r => r.Name == "alignment").AsTensor<float>();
        return (alignment.ToArray(), alignment.Dimensions.ToArray());
    }

    private static DenseTensor<long> Flat(long[,] ids)
    {
        var flat = new long[ids.Length];
        Buffer.BlockCopy(ids, 0, flat, 0, flat.Length * sizeof(long));
        return new DenseTensor<long>(flat, [ids.GetLength(0), ids.GetLength(1)]);
    }

    /// <summary><paramref name="ids"/> with <paramref name="length"/> steps, padded on the right with 0.</summary>
    public static long[,] PadTo(long[,] ids, int length)
    {
        var padded = new long[ids.GetLength(0), length];
        for (int r = 0; r < ids.GetLength(0); r++)
            for (int t = 0; t < ids.GetLength(1); t++) padded[r, t] = ids[r, t];
        return padded;
    }

    /// <summary>Probabilities and both weight rows from ONNX Runtime, with the weights' shapes.</summary>
    public static (float[] Probabilities, float[] Weights1, float[] Weights2, int[] Shape1, int[] Shape2) RunOnnx(InferenceSession session, long[,] ids1, long[,] ids2)
    {
        static DenseTensor<long> Input(long[,] ids)
        {
            var flat = new long[ids.Length];
            Buffer.BlockCopy(ids, 0, flat, 0, flat.Length * sizeof(long));
            return new DenseTensor<long>(flat, [ids.GetLength(0), ids.GetLength(1)]);
        }
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids_1", Input(ids1)),
            NamedOnnxValue.CreateFromTensor("input_ids_2", Input(ids2)),
        ]);
        var probabilities = results.First(r => r.Name == "probabilities").AsTensor<float>();
        var weights1 = results.First(r => r.Name == "attention_weights_1").AsTensor<float>();
        var weights2 = results.First(r => r.Name == "attention_weights_2").AsTensor<float>();
        return (probabilities.ToArray(), weights1.ToArray(), weights2.ToArray(), weights1.Dimensions.ToArray(), weights2.Dimensions.ToArray());
    }

    /// <summary>The texts' ids (first MaxLength tokens), padded with 0 to the longest.</summary>
    public static long[,] PaddedIds(AttentionTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var rows = texts.Select(t => tokenizer.EncodeToIds(t, MaxLength, out _)).ToArray();
        int length = rows.Max(r => r.Length);
        var ids = new long[rows.Length, length];
        for (int r = 0; r < rows.Length; r++)
            for (int t = 0; t < rows[r].Length; t++) ids[r, t] = rows[r][t];
        return ids;
    }

    /// <summary>Probabilities (batch x classes) and weights (batch x heads x seq, flattened) from the TorchSharp network in eval mode.</summary>
    public static (float[] Probabilities, float[] Weights) RunTorch(AttentionClassifier classifier, long[,] ids)
    {
        classifier.Network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (logits, weights) = classifier.Network.forward(tensor(ids));
        return (logits.softmax(-1).data<float>().ToArray(), weights.contiguous().data<float>().ToArray());
    }

    /// <summary>Probabilities and weights from ONNX Runtime, with the weights' shape.</summary>
    public static (float[] Probabilities, float[] Weights, int[] WeightShape) RunOnnx(InferenceSession session, long[,] ids)
    {
        int batch = ids.GetLength(0), length = ids.GetLength(1);
        var flat = new long[batch * length];
        Buffer.BlockCopy(ids, 0, flat, 0, flat.Length * sizeof(long));
        var input = new DenseTensor<long>(flat, [batch, length]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input_ids", input)]);
        var probabilities = results.First(r => r.Name == "probabilities").AsTensor<float>();
        var weights = results.First(r => r.Name == "attention_weights").AsTensor<float>();
        return (probabilities.ToArray(), weights.ToArray(), weights.Dimensions.ToArray());
    }

    public static float MaxAbsDiff(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        float max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }

    public static string TempDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mlnet-attention-onnx-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static double MillisecondsPerRun(InferenceSession session, long[,] ids, int runs)
    {
        RunOnnx(session, ids);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) RunOnnx(session, ids);
        return watch.Elapsed.TotalMilliseconds / runs;
    }
}
