using MLNetAttention.Models;
using MLNetAttention.Text;

namespace MLNetAttention.Training;

/// <summary>Everything <see cref="AttentionClassifier.Train"/> needs: tokenizer, architecture and training settings.</summary>
public sealed class AttentionClassifierOptions
{
    /// <summary>Default cap on the chosen maximum length, in tokens.</summary>
    public const int DefaultMaxLengthCap = 512;

    /// <summary>How texts become tokens. Its <see cref="AttentionTokenizerOptions.MaxLength"/>, when 0, is chosen from the training texts.</summary>
    public AttentionTokenizerOptions Tokenizer { get; set; } = new();

    /// <summary>The architecture. <see cref="TextClassifierOptions.VocabularySize"/>, <see cref="TextClassifierOptions.NumClasses"/> and <see cref="TextClassifierOptions.MaxLength"/> are filled in from the data.</summary>
    public TextClassifierOptions Model { get; set; } = new();

    /// <summary>Optimizer, epochs, early stopping and the seed.</summary>
    public TrainingOptions Training { get; set; } = new();

    /// <summary>When the tokenizer's maximum length is 0: the percentile of training-text lengths to cover (100 = the longest, as the original).</summary>
    public double MaxLengthPercentile { get; set; } = 100;

    /// <summary>Upper bound on a chosen maximum length.</summary>
    public int MaxLengthCap { get; set; } = DefaultMaxLengthCap;

    /// <summary>Epochs of the <see cref="Ngram"/> configuration (more overfit: 8 epochs scored 0.870 against 0.874 on poetry-dynasty).</summary>
    public const int NgramEpochs = 5;

    /// <summary>
    /// The <see cref="Ngram"/> configuration's maximum length for texts written with spaces: long enough for nearly every
    /// review or e-mail (a tenth of imdb's reviews run past 512 tokens; reading them whole scored 0.915 against 0.911).
    /// </summary>
    public const int NgramMixedMaxLength = 2048;

    /// <summary>
    /// Head overlap penalty that multi-head pooling on characters trains with by default (<see cref="Default"/> and
    /// <see cref="Ngram"/>): with <see cref="CharHeadDropout"/> it leaves no head near uniform and makes every head's
    /// top characters evidence on poetry-dynasty, at one head's accuracy (docs/benchmarks.md).
    /// </summary>
    public const double CharHeadOverlapPenalty = 0.01;

    /// <summary>Head dropout that multi-head pooling on characters trains with by default (see <see cref="CharHeadOverlapPenalty"/>).</summary>
    public const double CharHeadDropout = 0.3;

    /// <summary>
    /// Solo-head loss that multi-head pooling on characters trains with (<see cref="Default"/>, and <see cref="Ngram"/>
    /// with its mean-pooling companion): with <see cref="CharHeadOverlapPenalty"/> and <see cref="CharHeadDropout"/> every
    /// head's top characters were evidence on each of three poetry-dynasty seeds with the conv network, against two of
    /// three without it (docs/benchmarks.md).
    /// </summary>
    public const double CharHeadSoloLoss = 1;

    /// <summary>
    /// Head flatness penalty of <see cref="Ngram"/>'s multi-head variant on characters: with the solo-head loss alone its
    /// heads sat nearer uniform than one head; 0.01 lifts them at the same accuracy, where 0.03 made them copies and cost
    /// 0.8 points (docs/benchmarks.md).
    /// </summary>
    public const double NgramCharHeadFlatnessPenalty = 0.01;

    /// <summary>
    /// Creates the default configuration (the CLI's <c>train</c> without a preset): the original's conv + attention
    /// network. Multi-head pooling on characters adds <see cref="CharHeadOverlapPenalty"/>, <see cref="CharHeadDropout"/>
    /// and <see cref="CharHeadSoloLoss"/>: without them two of four poetry heads sat near uniform and their top characters
    /// moved the prediction less than random ones; on words no recipe measured beat plain heads.
    /// </summary>
    /// <param name="tokenization">How texts become tokens.</param>
    public static AttentionClassifierOptions Default(TokenizationMode tokenization = TokenizationMode.Char) => new()
    {
        Tokenizer = new AttentionTokenizerOptions { Mode = tokenization },
        Model = new TextClassifierOptions
        {
            HeadOverlapPenalty = tokenization == TokenizationMode.Char ? CharHeadOverlapPenalty : 0,
            HeadDropout = tokenization == TokenizationMode.Char ? CharHeadDropout : 0,
            HeadSoloLoss = tokenization == TokenizationMode.Char ? CharHeadSoloLoss : 0,
        },
    };

    /// <summary>
    /// The conv + attention network the <see cref="Ngram"/> configuration trains beside its bigram network (and
    /// <c>train --companion conv</c> adds): the default architecture with dropout 0.4 instead of 0.2, because it trains
    /// for the bigram network's five epochs where on its own it stops after one to three (poetry-dynasty 0.8935
    /// against 0.8911 with 0.2, seed 1).
    /// </summary>
    public static TextClassifierOptions ConvCompanion() => new() { Encoder = EncoderKind.Conv, Dropout = 0.4 };

    /// <summary>
    /// Creates the most accurate configuration we measured (the CLI's <c>--preset ngram</c>): attention pooling straight
    /// over token embeddings plus hashed token-bigram embeddings (4M buckets x 16, zero-initialised, projected and added
    /// per position), Dense 128 + GELU, trained on all the training texts (no held-out split, so no early stopping) for
    /// <see cref="NgramEpochs"/> epochs of Adam, updated row by row on the tables, with the rate decaying linearly to 0.
    /// </summary>
    /// <remarks>
    /// Test accuracy over three seeds, scored from the compact directory: poetry-dynasty 0.891 (with the companion),
    /// imdb 0.920, spam 0.994 (with trigrams), above fastText with bigrams and ML.NET's SDCA on the same splits
    /// (docs/benchmarks.md). The bigram table holds 64M floats in training; saved with <c>OnnxExportOptions.Compact()</c>
    /// (as <c>train --preset ngram</c> does) only the rows training kept remain, in int8, with int8 token embeddings:
    /// about 18 MB for poetry-dynasty and spam and 42 MB for imdb instead of 520 MB.
    /// </remarks>
    /// <param name="tokenization">
    /// <see cref="TokenizationMode.Char"/> for Chinese and other unsegmented scripts (tokens seen at least twice join the
    /// vocabulary); <see cref="TokenizationMode.Mixed"/> for languages written with spaces (at least 5 times, at most
    /// <see cref="NgramMixedMaxLength"/> tokens, no companion, word trigrams beside the bigrams, n-grams of one training
    /// text dropped after training).
    /// </param>
    /// <param name="pooling">
    /// <see cref="PoolingKind.Attention"/> (one head), or <see cref="PoolingKind.MultiHead"/> for the multi-head variant:
    /// on characters its conv companion then mean-pools (<see cref="TextClassifierOptions.CompanionPooling"/>), so each of
    /// the model's heads ranks characters as one head of the bigram network, which trains with the solo-head loss and
    /// <see cref="NgramCharHeadFlatnessPenalty"/>. Averaged head by head with the conv network's own attention, a weak
    /// head of either network had sunk the pair on two seeds of four; this way every head's top characters were evidence
    /// on poetry-dynasty's seeds at the preset's accuracy (docs/benchmarks.md). On words the heads are plain.
    /// </param>
    public static AttentionClassifierOptions Ngram(TokenizationMode tokenization = TokenizationMode.Char, PoolingKind pooling = PoolingKind.Attention)
    {
        // The multi-head variant on characters: a mean-pooling companion, the solo-head loss and the flatness penalty.
        bool headsOnCharacters = tokenization == TokenizationMode.Char && pooling == PoolingKind.MultiHead;
        return new()
        {
            Tokenizer = tokenization == TokenizationMode.Char
                ? new AttentionTokenizerOptions { Mode = tokenization, MinFrequency = 2 }
                : new AttentionTokenizerOptions { Mode = tokenization, MinFrequency = 5, MaxLength = NgramMixedMaxLength },
            Model = new TextClassifierOptions
            {
                Encoder = EncoderKind.None, Pooling = pooling,
                BigramBuckets = 4_000_000, BigramDim = 16, BigramDropout = 0, TokenDropout = 0,
                // For characters, conv + attention beside the bigram network: it reads characters in context where the
                // bigram network memorises pairs, so their averaged prediction beats either (poetry-dynasty 0.891 against
                // 0.883). On English reviews the conv network overfits in five epochs and pulled imdb down (0.9105 against
                // 0.9151) at a third of the scoring speed, so words get none here (NgramTwin adds a second n-gram network).
                Companion = tokenization == TokenizationMode.Char ? ConvCompanion() : null,
                // Word trigrams lift imdb from 0.915 to 0.920; on characters they did not help (poetry-dynasty 0.885).
                Trigrams = tokenization != TokenizationMode.Char,
                // Used only with multi-head pooling (--pooling multihead). On characters a light head overlap penalty with
                // head dropout keeps heads apart at one head's accuracy; the mean-pooling companion, the solo-head loss and
                // the flatness penalty (the pooling parameter's variant) make every head's top characters evidence. On words
                // the heads differ without help and the pair cost imdb 0.7 points.
                HeadOverlapPenalty = tokenization == TokenizationMode.Char ? CharHeadOverlapPenalty : 0,
                HeadDropout = tokenization == TokenizationMode.Char ? CharHeadDropout : 0,
                CompanionPooling = headsOnCharacters ? PoolingKind.Mean : null,
                HeadSoloLoss = headsOnCharacters ? CharHeadSoloLoss : 0,
                HeadFlatnessPenalty = headsOnCharacters ? NgramCharHeadFlatnessPenalty : 0,
            },
            Training = new TrainingOptions
            {
                Epochs = NgramEpochs, Decay = LearningRateDecay.Linear, ValidationFraction = 0,
                // Most word bigrams and trigrams of reviews and e-mails occur in one text only: dropping their rows after
                // training halves the compact model (imdb 79 to 48 MB, spam 31 to 16 MB) at no measured cost.
                MinNgramTexts = tokenization == TokenizationMode.Char ? 0 : 2,
            },
        };
    }

    /// <summary>
    /// <see cref="Ngram"/> with a copy of its n-gram network as companion, trained apart
    /// (<see cref="TrainingOptions.CompanionApart"/>), and only the rows of n-grams found in three or more training texts
    /// kept (the CLI's <c>--preset ngram --companion ngram --min-ngram-texts 3</c>). On imdb the pair scores 0.9221 over
    /// three seeds in 56 MB where one network scores 0.9202 in 42 MB; on spam's 4,752 e-mails it scored less than one
    /// network in more room (docs/benchmarks.md), so it suits large corpora of words.
    /// </summary>
    /// <param name="tokenization">How texts become tokens (see <see cref="Ngram"/>).</param>
    public static AttentionClassifierOptions NgramTwin(TokenizationMode tokenization = TokenizationMode.Mixed)
    {
        var options = Ngram(tokenization);
        options.Model.Companion = options.Model.CloneWithoutCompanion();
        options.Training.CompanionApart = true;
        options.Training.MinNgramTexts = NgramTwinMinTexts;
        return options;
    }

    /// <summary>The <see cref="NgramTwin"/> configuration's <see cref="TrainingOptions.MinNgramTexts"/>: 3 keeps both networks within imdb's 60 MB (one network 28.8 MB, 0.9190 against 0.9192 at 2).</summary>
    public const int NgramTwinMinTexts = 3;
}
