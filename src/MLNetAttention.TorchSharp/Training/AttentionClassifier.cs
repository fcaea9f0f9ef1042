using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Text;
using static TorchSharp.torch;

namespace MLNetAttention.Training;

/// <summary>
/// A trained attention-pooling text classifier: the tokenizer, the labels and the TorchSharp network, with
/// training, prediction (label, probabilities and per-token weights), evaluation and a model directory.
/// </summary>
public sealed partial class AttentionClassifier : IDisposable
{
    private const int PredictionBatchSize = 64;

    private AttentionClassifier(TextClassifier network, AttentionTokenizer tokenizer, IReadOnlyList<string> labels,
        TrainingOptions training, TrainingSummary? summary)
    {
        Network = network;
        Tokenizer = tokenizer;
        Labels = labels;
        TrainingOptions = training;
        Summary = summary;
    }

    // Wraps an existing network (tests build small random ones to check the ONNX export).
    internal static AttentionClassifier Create(TextClassifier network, AttentionTokenizer tokenizer, IReadOnlyList<string> labels)
    {
        if (labels.Count != network.Options.NumClasses)
            throw new ArgumentException($"{labels.Count} labels but the network has {network.Options.NumClasses} outputs.", nameof(labels));
        network.eval();
        return new AttentionClassifier(network, tokenizer, labels.ToArray(), new TrainingOptions(), summary: null);
    }

    /// <summary>The TorchSharp network (in eval mode).</summary>
    public TextClassifier Network { get; }

    /// <summary>The tokenizer; its <see cref="AttentionTokenizerOptions.MaxLength"/> is the model's maximum length.</summary>
    public AttentionTokenizer Tokenizer { get; }

    /// <summary>
    /// How the bigram table was stored where this classifier was loaded from: <see cref="EmbeddingTableStorage.Dense"/>
    /// for a trained one or a full directory; a compact directory's storage otherwise. Exports keep it unless told otherwise.
    /// </summary>
    public EmbeddingTableStorage BigramTable { get; private init; }

    /// <summary>
    /// How the token embeddings were stored where this classifier was loaded from: <see cref="EmbeddingTableStorage.Dense"/>
    /// for a trained one or a full directory, <see cref="EmbeddingTableStorage.Int8"/> for a compact one. Exports keep it unless told otherwise.
    /// </summary>
    public EmbeddingTableStorage TokenTable { get; private init; }

    /// <summary>Class names; the network's output i is <c>Labels[i]</c>.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>How the model was trained.</summary>
    public TrainingOptions TrainingOptions { get; }

    /// <summary>What training reported (history, maximum-length choice, truncation), when the model was trained or saved with it.</summary>
    public TrainingSummary? Summary { get; private set; }

    /// <summary>The model's maximum length in tokens.</summary>
    public int MaxLength => Network.Options.MaxLength;

    /// <summary>
    /// Builds a vocabulary from <paramref name="train"/>, chooses the maximum length, trains a network and
    /// returns the classifier holding the best validation epoch.
    /// </summary>
    /// <param name="train">Training examples (at least two distinct labels).</param>
    /// <param name="validation">Validation examples; null to hold out <see cref="TrainingOptions.ValidationFraction"/> of <paramref name="train"/>.</param>
    /// <param name="options">Tokenizer, model and training options; null for the defaults.</param>
    /// <param name="progress">Receives training progress.</param>
    /// <param name="checkpointDirectory">Where an interrupted run leaves a resumable checkpoint.</param>
    /// <param name="cancellation">Interrupts training after the current step.</param>
    /// <param name="resume">A checkpoint directory to continue from.</param>
    public static AttentionClassifier Train(IEnumerable<TextExample> train, IEnumerable<TextExample>? validation = null,
        AttentionClassifierOptions? options = null, IProgress<TrainingProgress>? progress = null,
        string? checkpointDirectory = null, CancellationToken cancellation = default, string? resume = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new AttentionClassifierOptions();
        options.Training.Validate();
        var trainRows = train.ToList();
        if (trainRows.Count == 0)
            throw new ArgumentException("The training set is empty: no example was read. Check the file and its text/label columns.", nameof(train));
        var labels = trainRows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
            throw new ArgumentException($"The label column has only one class ('{labels[0]}') in {trainRows.Count} training examples; a classifier needs at least two.", nameof(train));

        List<TextExample> validationRows;
        if (validation is not null)
        {
            validationRows = validation.ToList();
        }
        else
        {
            (trainRows, validationRows) = HoldOut(trainRows, options.Training.ValidationFraction, options.Training.Seed);
        }
        ClassificationMetrics.ThrowOnUnknownLabels(validationRows, labels, "validation");

        if (options.Training.Threads > 0) set_num_threads(options.Training.Threads);
        var (tokenizer, choice) = TokenizerSetup.Train(trainRows.Select(r => r.Text).ToList(), options.Tokenizer,
            options.MaxLengthPercentile, options.MaxLengthCap);

        var modelOptions = options.Model.Clone();
        modelOptions.VocabularySize = tokenizer.VocabularySize;
        modelOptions.NumClasses = labels.Length;
        modelOptions.MaxLength = tokenizer.Options.MaxLength;

        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var trainData = Encode(tokenizer, trainRows, labelIndex, "training", out int truncatedTrain);
        var validationData = validationRows.Count > 0 ? Encode(tokenizer, validationRows, labelIndex, "validation", out _) : null;

        bool apart = options.Training.CompanionApart && modelOptions.Companion is not null;
        if (apart)
        {
            if (resume is not null)
                throw new ArgumentException("Resuming is not supported with CompanionApart: an interrupted run of two networks trained in turn keeps no checkpoint; train again.", nameof(resume));
            checkpointDirectory = null;
        }
        manual_seed(options.Training.Seed);
        var network = new TextClassifier(modelOptions);
        try
        {
            var result = apart
                ? TrainApart(network, trainData, validationData, options.Training, progress, cancellation)
                : ClassifierTrainer.Train(network, trainData, validationData, options.Training, progress,
                    checkpointDirectory, cancellation, resume);
            var summary = TokenizerSetup.Summarize(result, trainData.Count, validationData?.Count ?? 0, choice,
                modelOptions.MaxLength, truncatedTrain, v => Relabel(v, labels));
            return new AttentionClassifier(network, tokenizer, labels, options.Training, summary);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains <paramref name="network"/>'s two members one after the other, each as a model of its own (the companion
    /// with the seed + 1, so its initial weights and batch order differ), then loads both into it.
    /// </summary>
    private static TrainingResult TrainApart(TextClassifier network, EncodedExamples train, EncodedExamples? validation,
        TrainingOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        var ownOptions = network.Options.CloneWithoutCompanion();
        var companionOptions = network.Options.ResolvedCompanion()!;
        var companionTraining = options.Clone();
        companionTraining.Seed = options.Seed + 1;
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        TrainingResult? first = null;
        foreach (var (prefix, memberOptions, memberTraining) in new[] { ("", ownOptions, options), (TextClassifier.CompanionParameterPrefix, companionOptions, companionTraining) })
        {
            manual_seed(memberTraining.Seed);
            using var member = new TextClassifier(memberOptions);
            var result = ClassifierTrainer.Train(member, train, validation, memberTraining, progress, null, cancellation);
            // Half a model is no model to keep, and two networks trained in turn keep no checkpoint to resume.
            if (result.Interrupted) throw new OperationCanceledException("Training was cancelled before both networks had trained; nothing was kept.", cancellation);
            foreach (var (name, tensor) in member.state_dict()) weights[prefix + name] = tensor.detach().clone();
            if (first is null) { first = result; continue; }
            first.RareNgramRowsReset += result.RareNgramRowsReset;
            first.StoppedEarly |= result.StoppedEarly;
        }
        try
        {
            network.load_state_dict(weights);
        }
        finally
        {
            foreach (var tensor in weights.Values) tensor.Dispose();
        }
        network.eval();
        return first!;
    }

    /// <summary>Scores one text: the label, the probabilities and each token's weights.</summary>
    /// <exception cref="ArgumentException">The text is null, empty or has no token.</exception>
    public ClassPrediction Predict(string text) => Predict(new[] { text })[0];

    /// <summary>Scores many texts in length-sorted batches; results are in input order.</summary>
    public IReadOnlyList<ClassPrediction> Predict(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var inputs = texts.ToList();
        var windows = new TokenWindow[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(inputs[i]))
                throw new ArgumentException($"Text {i} is empty; there is nothing to classify.", nameof(texts));
            // The first MaxLength tokens, as in training; the rest are counted, not scored.
            windows[i] = Tokenizer.EncodeWindows(inputs[i], MaxLength, MaxLength)[0];
        }
        var results = new ClassPrediction[inputs.Count];
        var data = new EncodedExamples(windows.Select(w => w.Ids).ToArray(), new int[inputs.Count]);
        Network.eval();
        using var noGrad = no_grad();
        foreach (var batch in LengthBuckets.Plan(data, PredictionBatchSize, random: null))
        {
            using var scope = NewDisposeScope();
            var (logits, weights) = Network.forward(LengthBuckets.Ids(data, batch));
            var probabilities = logits.softmax(-1).data<float>().ToArray();
            var byHead = weights.dim() == 2 ? weights.unsqueeze(1) : weights;
            int heads = (int)byHead.shape[1], length = (int)byHead.shape[2], classes = Labels.Count;
            var weightValues = byHead.data<float>().ToArray();
            for (int r = 0; r < batch.Length; r++)
            {
                int index = batch[r];
                results[index] = TokenWeights.Prediction(inputs[index], windows[index], Tokenizer, Labels,
                    probabilities.AsSpan(r * classes, classes), weightValues.AsSpan(r * heads * length), heads, length);
            }
        }
        return results;
    }

    /// <summary>Accuracy, macro-F1, per-class scores and the confusion matrix on labelled examples.</summary>
    /// <exception cref="ArgumentException">A label never seen in training (the message names them).</exception>
    public ClassificationMetrics Evaluate(IEnumerable<TextExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var rows = examples.ToList();
        if (rows.Count == 0) throw new ArgumentException("The evaluation set is empty.", nameof(examples));
        ClassificationMetrics.ThrowOnUnknownLabels(rows, Labels, "test");
        var labelIndex = Labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        var data = Encode(Tokenizer, rows, labelIndex, "test", out _);
        return ClassifierTrainer.Evaluate(Network, data, Labels);
    }

    /// <summary>
    /// Each of the model's networks as a classifier of its own, with its own prediction and weights: this network
    /// alone, then its companion (<see cref="TextClassifierOptions.Companion"/>) alone; one classifier for a model of one
    /// network. They hold copies of the parameters and share the tokenizer and labels; the caller disposes them.
    /// </summary>
    public IReadOnlyList<AttentionClassifier> SplitNetworks()
    {
        var networks = new List<(string Prefix, TextClassifierOptions Options)> { ("", Network.Options.CloneWithoutCompanion()) };
        if (Network.CompanionOptions is { } companion) networks.Add((TextClassifier.CompanionParameterPrefix, companion));
        var state = Network.state_dict();
        var parts = new List<AttentionClassifier>();
        // Building a module draws initial weights from the global generator; keep the caller's random stream intact.
        using var rngState = get_rng_state();
        try
        {
            foreach (var (prefix, options) in networks)
            {
                var network = new TextClassifier(options);
                var own = state.Where(p => p.Key.StartsWith(TextClassifier.CompanionParameterPrefix, StringComparison.Ordinal) == (prefix.Length > 0))
                    .ToDictionary(p => p.Key[prefix.Length..], p => p.Value);
                try
                {
                    using (no_grad()) network.load_state_dict(own, strict: true);
                }
                catch
                {
                    network.Dispose();
                    throw;
                }
                parts.Add(Create(network, Tokenizer, Labels));
            }
            return parts;
        }
        catch
        {
            foreach (var part in parts) part.Dispose();
            throw;
        }
        finally
        {
            set_rng_state(rngState);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Network.Dispose();

    private static EncodedExamples Encode(AttentionTokenizer tokenizer, IReadOnlyList<TextExample> rows,
        IReadOnlyDictionary<string, int> labelIndex, string setName, out int truncatedTexts)
    {
        int maxLength = tokenizer.Options.MaxLength;
        var ids = new int[rows.Count][];
        var labels = new int[rows.Count];
        int truncated = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            ids[i] = tokenizer.EncodeToIds(rows[i].Text, maxLength, out int dropped);
            if (ids[i].Length == 0)
                throw new ArgumentException($"The {setName} text at row {i + 1} has no tokens (it is empty or only whitespace). Remove it or read the data leniently.");
            if (dropped > 0) truncated++;
            labels[i] = labelIndex[rows[i].Label];
        }
        truncatedTexts = truncated;
        return new EncodedExamples(ids, labels);
    }

    // A seeded, stratified hold-out so every class appears in validation.
    private static (List<TextExample> Train, List<TextExample> Validation) HoldOut(List<TextExample> rows, double fraction, long seed)
    {
        if (fraction <= 0) return (rows, new List<TextExample>());
        var random = SplitMix64.ForStream(seed, stream: 0x5EED);
        var train = new List<TextExample>();
        var validation = new List<TextExample>();
        foreach (var group in rows.Select((row, index) => (row, index)).GroupBy(p => p.row.Label, StringComparer.Ordinal))
        {
            var members = group.Select(p => p.index).ToArray();
            random.Shuffle(members);
            int held = (int)Math.Round(members.Length * fraction);
            if (held >= members.Length) held = members.Length - 1;
            for (int i = 0; i < members.Length; i++) (i < held ? validation : train).Add(rows[members[i]]);
        }
        return (train, validation);
    }

    private static ClassificationMetrics Relabel(ClassificationMetrics metrics, IReadOnlyList<string> labels) =>
        new()
        {
            Accuracy = metrics.Accuracy, MacroF1 = metrics.MacroF1, Loss = metrics.Loss, Count = metrics.Count,
            Confusion = metrics.Confusion,
            PerClass = metrics.PerClass.Select((m, i) => m with { Label = labels[i] }).ToArray(),
        };
}

/// <summary>What training reported, saved in model.json.</summary>
public sealed class TrainingSummary
{
    /// <summary>Training examples used.</summary>
    public int TrainCount { get; init; }

    /// <summary>Validation examples used.</summary>
    public int ValidationCount { get; init; }

    /// <summary>How the maximum length was chosen, e.g. "max length 64 (95th percentile; longest 212)".</summary>
    public string MaxLengthChoice { get; init; } = "";

    /// <summary>Training texts longer than the maximum length (truncated).</summary>
    public int TruncatedTrainTexts { get; init; }

    /// <summary>The epoch whose weights the model holds.</summary>
    public int BestEpoch { get; init; }

    /// <summary>Whether early stopping ended training.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Whether training was interrupted (the model then holds the last weights).</summary>
    public bool Interrupted { get; init; }

    /// <summary>The resumable checkpoint an interrupted run wrote.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Bigram and trigram rows reset after training as rarer than <see cref="TrainingOptions.MinNgramTexts"/> texts.</summary>
    public long RareNgramRowsReset { get; init; }

    /// <summary>Validation metrics of the best epoch.</summary>
    public ClassificationMetrics? Validation { get; init; }

    /// <summary>Per-epoch results.</summary>
    public IReadOnlyList<EpochResult> History { get; init; } = Array.Empty<EpochResult>();
}
