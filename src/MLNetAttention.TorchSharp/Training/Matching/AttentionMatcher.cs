using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using static TorchSharp.torch;

namespace MLNetAttention.Training.Matching;

/// <summary>
/// A trained attention-pooling sentence-pair matcher (siamese, interactive, triplet or cross-attention): the tokenizer and the
/// TorchSharp network, with training, prediction (match, probability, both sentences' token weights and, for the
/// cross-attention matcher, their alignment),
/// evaluation and a model directory. Labels are "0" (no match) and "1" (match).
/// </summary>
public sealed partial class AttentionMatcher : IDisposable
{
    private const int PredictionBatchSize = 64;

    /// <summary>The labels, in output order: "0" = no match, "1" = match.</summary>
    public static IReadOnlyList<string> Labels { get; } = new[] { "0", "1" };

    private AttentionMatcher(TextMatcher network, AttentionTokenizer tokenizer, TrainingOptions training, TrainingSummary? summary)
    {
        Network = network;
        Tokenizer = tokenizer;
        TrainingOptions = training;
        Summary = summary;
    }

    /// <summary>Wraps an untrained <paramref name="network"/> and its <paramref name="tokenizer"/> (tests, exporters), in eval mode.</summary>
    internal static AttentionMatcher Create(TextMatcher network, AttentionTokenizer tokenizer)
    {
        if (tokenizer.VocabularySize != network.Options.VocabularySize)
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabularySize} tokens but the network was built for {network.Options.VocabularySize}.", nameof(tokenizer));
        network.eval();
        return new AttentionMatcher(network, tokenizer, new TrainingOptions(), summary: null);
    }

    /// <summary>The TorchSharp network (in eval mode).</summary>
    public TextMatcher Network { get; }

    /// <summary>The tokenizer; its <see cref="AttentionTokenizerOptions.MaxLength"/> is the model's maximum sentence length.</summary>
    public AttentionTokenizer Tokenizer { get; }

    /// <summary>How the model was trained.</summary>
    public TrainingOptions TrainingOptions { get; }

    /// <summary>What training reported, when the model was trained or saved with it.</summary>
    public TrainingSummary? Summary { get; }

    /// <summary>The matcher kind.</summary>
    public MatcherKind Kind => Network.Options.Kind;

    /// <summary>The model's maximum sentence length in tokens.</summary>
    public int MaxLength => Network.Options.MaxLength;

    /// <summary>
    /// Builds a vocabulary from both sides of <paramref name="train"/>, chooses the maximum sentence length, trains
    /// the matcher the options name and returns it holding the best validation epoch.
    /// </summary>
    /// <param name="train">Training pairs, labels "0" or "1" (both must occur).</param>
    /// <param name="validation">Validation pairs; null to hold out <see cref="TrainingOptions.ValidationFraction"/> of the first sentences of <paramref name="train"/> with all their pairs.</param>
    /// <param name="options">Tokenizer, model and training options; null for the defaults (siamese).</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="cancellation">Interrupts training after the current step (the summary says so; the model holds the last weights).</param>
    /// <exception cref="ArgumentException">An empty set, an empty sentence or a label other than 0/1 (the message names the set and row).</exception>
    public static AttentionMatcher Train(IEnumerable<PairExample> train, IEnumerable<PairExample>? validation = null,
        AttentionMatcherOptions? options = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new AttentionMatcherOptions();
        options.Training.Validate();
        var trainRows = train.ToList();
        if (trainRows.Count == 0)
            throw new ArgumentException("The training set is empty: no pair was read. Check the file and its text1/text2/label columns.", nameof(train));
        CheckRows(trainRows, "training");
        if (trainRows.Select(r => r.Label.Trim()).Distinct().Count() < 2)
            throw new ArgumentException($"All {trainRows.Count} training pairs have the label '{trainRows[0].Label.Trim()}'; a matcher needs both 0 and 1.", nameof(train));

        List<PairExample> validationRows;
        if (validation is not null)
        {
            validationRows = validation.ToList();
            CheckRows(validationRows, "validation");
        }
        else
        {
            (trainRows, validationRows) = HoldOut(trainRows, options.Training.ValidationFraction, options.Training.Seed);
        }

        if (options.Training.Threads > 0) set_num_threads(options.Training.Threads);
        var sentences = trainRows.SelectMany(r => new[] { r.Text1, r.Text2 }).ToList();
        var (tokenizer, choice) = TokenizerSetup.Train(sentences, options.Tokenizer, options.MaxLengthPercentile, options.MaxLengthCap);
        var modelOptions = options.Model.Clone();
        modelOptions.VocabularySize = tokenizer.VocabularySize;
        modelOptions.MaxLength = tokenizer.Options.MaxLength;

        var trainData = Encode(tokenizer, trainRows, "training", out int truncated);
        var validationData = validationRows.Count > 0 ? Encode(tokenizer, validationRows, "validation", out _) : null;

        manual_seed(options.Training.Seed);
        var network = TextMatcher.Create(modelOptions);
        try
        {
            var result = MatcherTrainer.Train(network, trainData, validationData, options.Training, progress, cancellation);
            var summary = TokenizerSetup.Summarize(result, trainData.Count, validationData?.Count ?? 0, choice,
                modelOptions.MaxLength, truncated);
            return new AttentionMatcher(network, tokenizer, options.Training, summary);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Scores one pair: match or not, the probability and both sentences' token weights.</summary>
    /// <exception cref="ArgumentException">A sentence is null, empty or has no token.</exception>
    public MatchPrediction Predict(string text1, string text2) => Predict(new[] { (text1, text2) })[0];

    /// <summary>Scores many pairs in length-sorted batches; results are in input order.</summary>
    /// <exception cref="ArgumentException">A sentence is null, empty or has no token (the message names the pair).</exception>
    public IReadOnlyList<MatchPrediction> Predict(IEnumerable<(string Text1, string Text2)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var inputs = pairs.ToList();
        var windows1 = new TokenWindow[inputs.Count];
        var windows2 = new TokenWindow[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            windows1[i] = Window(inputs[i].Text1, i, "text1");
            windows2[i] = Window(inputs[i].Text2, i, "text2");
        }
        var ids1 = windows1.Select(w => w.Ids).ToArray();
        var ids2 = windows2.Select(w => w.Ids).ToArray();
        var results = new MatchPrediction[inputs.Count];
        Network.eval();
        using var noGrad = no_grad();
        var lengths = Enumerable.Range(0, inputs.Count).Select(i => Math.Max(ids1[i].Length, ids2[i].Length)).ToArray();
        foreach (var batch in PairBatches.Plan(lengths, PredictionBatchSize, random: null))
        {
            using var scope = NewDisposeScope();
            Tensor logits, weights1, weights2;
            Tensor? alignment = null;
            if (Network is CrossAttentionMatcher cross)
                (logits, weights1, weights2, alignment) = cross.Align(PairBatches.Ids(ids1, batch), PairBatches.Ids(ids2, batch));
            else
                (logits, weights1, weights2) = Network.forward(PairBatches.Ids(ids1, batch), PairBatches.Ids(ids2, batch));
            var a = alignment?.data<float>().ToArray();
            var probabilities = logits.softmax(-1)[.., 1].data<float>().ToArray();
            var w1 = weights1.data<float>().ToArray();
            var w2 = weights2.data<float>().ToArray();
            int length1 = (int)weights1.shape[1], length2 = (int)weights2.shape[1];
            for (int r = 0; r < batch.Length; r++)
            {
                int index = batch[r];
                var (text1, text2) = inputs[index];
                results[index] = new MatchPrediction
                {
                    Text1 = text1, Text2 = text2, Probability = probabilities[r],
                    Tokens1 = Tokens(text1, windows1[index], w1.AsSpan(r * length1, length1)),
                    Tokens2 = Tokens(text2, windows2[index], w2.AsSpan(r * length2, length2)),
                    TruncatedTokens1 = windows1[index].TextTokenCount - windows1[index].Ids.Length,
                    TruncatedTokens2 = windows2[index].TextTokenCount - windows2[index].Ids.Length,
                    Alignment = a is null ? null : MatchPrediction.AlignmentOf(a, r, length1, length2, ids1[index].Length, ids2[index].Length),
                };
            }
        }
        return results;
    }

    /// <summary>Accuracy, macro-F1, per-class scores (the F1 of class "1" is the usual matching F1) and the confusion matrix.</summary>
    /// <exception cref="ArgumentException">An empty set, an empty sentence or a label other than 0/1 (the message names the row).</exception>
    public ClassificationMetrics Evaluate(IEnumerable<PairExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var rows = examples.ToList();
        if (rows.Count == 0) throw new ArgumentException("The evaluation set is empty.", nameof(examples));
        CheckRows(rows, "test");
        return MatcherTrainer.Evaluate(Network, Encode(Tokenizer, rows, "test", out _));
    }

    /// <summary>
    /// How many tokens of <paramref name="text"/> lie past <see cref="MaxLength"/>: the tokens <see cref="Predict(string, string)"/>
    /// and <see cref="Evaluate"/> do not score (0 when the sentence fits). Check a set with it before scoring to report
    /// sentences that would be cut.
    /// </summary>
    /// <param name="text">A sentence.</param>
    /// <returns>The number of tokens past the maximum length.</returns>
    public int TokensPastMaxLength(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Tokenizer.EncodeToIds(text, MaxLength, out int dropped);
        return dropped;
    }

    /// <inheritdoc/>
    public void Dispose() => Network.Dispose();

    private TokenWindow Window(string? text, int index, string side)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException($"Pair {index}: {side} is empty; both sentences of a pair are needed to match them.", side);
        // The first MaxLength tokens, as in training; the rest are counted, not scored.
        var window = Tokenizer.EncodeWindows(text, MaxLength, MaxLength)[0];
        if (window.Ids.Length == 0)
            throw new ArgumentException($"Pair {index}: {side} has no tokens; there is nothing to match.", side);
        return window;
    }

    private TokenWeight[] Tokens(string text, TokenWindow window, ReadOnlySpan<float> weights) =>
        TokenWeights.Of(text, window, Tokenizer, weights);

    private static void CheckRows(IReadOnlyList<PairExample> rows, string setName)
    {
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i] ?? throw new ArgumentException($"The {setName} pair at row {i + 1} is null.");
            if (string.IsNullOrWhiteSpace(row.Text1) || string.IsNullOrWhiteSpace(row.Text2))
                throw new ArgumentException($"The {setName} pair at row {i + 1} has an empty {(string.IsNullOrWhiteSpace(row.Text1) ? "text1" : "text2")}. Remove it or read the data leniently.");
            if (row.Label?.Trim() is not ("0" or "1"))
                throw new ArgumentException($"The {setName} pair at row {i + 1} has the label '{row.Label}'; a matcher needs 0 (no match) or 1 (match).");
        }
    }

    private static EncodedPairs Encode(AttentionTokenizer tokenizer, IReadOnlyList<PairExample> rows, string setName, out int truncatedTexts)
    {
        int maxLength = tokenizer.Options.MaxLength;
        var ids1 = new int[rows.Count][];
        var ids2 = new int[rows.Count][];
        var labels = new int[rows.Count];
        int truncated = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            ids1[i] = tokenizer.EncodeToIds(rows[i].Text1, maxLength, out int dropped1);
            ids2[i] = tokenizer.EncodeToIds(rows[i].Text2, maxLength, out int dropped2);
            if (ids1[i].Length == 0 || ids2[i].Length == 0)
                throw new ArgumentException($"The {setName} pair at row {i + 1} has no tokens in {(ids1[i].Length == 0 ? "text1" : "text2")}. Remove it or read the data leniently.");
            truncated += (dropped1 > 0 ? 1 : 0) + (dropped2 > 0 ? 1 : 0);
            labels[i] = rows[i].Label.Trim() == "1" ? 1 : 0;
        }
        truncatedTexts = truncated;
        return new EncodedPairs(ids1, ids2, labels);
    }

    // A seeded hold-out by first sentence: all pairs of a held-out text1 go to validation, so no anchor is in both.
    private static (List<PairExample> Train, List<PairExample> Validation) HoldOut(List<PairExample> rows, double fraction, long seed)
    {
        if (fraction <= 0) return (rows, new List<PairExample>());
        var anchors = rows.Select(r => r.Text1).Distinct(StringComparer.Ordinal).ToArray();
        SplitMix64.ForStream(seed, 0x5EED).Shuffle(anchors);
        int held = Math.Min((int)Math.Round(anchors.Length * fraction), anchors.Length - 1);
        var heldOut = anchors.Take(held).ToHashSet(StringComparer.Ordinal);
        return (rows.Where(r => !heldOut.Contains(r.Text1)).ToList(), rows.Where(r => heldOut.Contains(r.Text1)).ToList());
    }
}
