using System.CommandLine;
using MLNetAttention.Data;
using MLNetAttention.Models;
using MLNetAttention.Onnx;
using MLNetAttention.Text;
using MLNetAttention.Training;
using MLNetAttention.Training.Matching;

namespace MLNetAttention.Cli;

/// <summary>Where a classifier's options start before the flags given on the command line apply.</summary>
internal enum TrainPreset
{
    /// <summary>The original's architecture and the library defaults.</summary>
    Default,

    /// <summary><see cref="AttentionClassifierOptions.Ngram"/>: our most accurate configuration.</summary>
    Ngram,
}

/// <summary>How a classifier's model directory stores its weights (<c>train --storage</c>).</summary>
internal enum CompanionNetwork
{
    /// <summary>The preset's choice: conv for ngram on characters, none otherwise.</summary>
    Auto,

    /// <summary>One network.</summary>
    None,

    /// <summary>A conv + attention network beside the model's, their predictions and weights averaged.</summary>
    Conv,

    /// <summary>A copy of the model's network, trained apart (after it, with the seed + 1), their predictions and weights averaged.</summary>
    Ngram,
}

internal enum ModelStorage
{
    /// <summary>The preset's choice: compact for ngram, full otherwise.</summary>
    Auto,

    /// <summary>weights.bin and model.onnx, every bigram bucket in float32: the weights exactly as trained, twice.</summary>
    Full,

    /// <summary>One copy, in model.onnx, with only the bigram rows training touched, in int8 with per-row scales.</summary>
    Compact,

    /// <summary>As <see cref="Compact"/> with float32 rows: the trained weights exactly.</summary>
    CompactFloat32,
}

internal static class TrainCommand
{
    public static Command Create()
    {
        // The flags' displayed defaults are the library's, which a classifier without --preset starts from.
        var defaults = AttentionClassifierOptions.Default();
        var data = new Option<string>("--data") { Description = DataSources.Help, Required = true };
        var validation = new Option<string?>("--valid") { Description = "Validation file; default: hold out --valid-fraction of the training data." };
        var test = new Option<string?>("--test") { Description = "Test file scored after training; default: the dataset's test split, if it has one." };
        var output = new Option<string>("--out") { Description = "The model directory to write.", DefaultValueFactory = _ => "model" };
        var preset = new Option<TrainPreset>("--preset")
        {
            DefaultValueFactory = _ => TrainPreset.Default,
            Description = "default | ngram: where the options start; flags given explicitly override them. ngram = attention over token + "
                + "4M hashed-bigram embeddings, no encoder, all data, 5 epochs decaying linearly (our most accurate).",
        };
        var storage = new Option<ModelStorage>("--storage")
        {
            DefaultValueFactory = _ => ModelStorage.Auto,
            Description = "auto | full | compact | compactfloat32: how the model directory keeps the weights. full = weights.bin "
                + "and model.onnx, every bigram bucket; compact = one copy in model.onnx with only the bigram rows training touched, int8 "
                + "with per-row scales (a 4M-bucket poetry model: 520 MB full, about 20 MB compact). auto = compact for --preset ngram, full otherwise.",
        };
        var task = new Option<string>("--task") { Description = "classify (one text, a label) | match (a pair of sentences, 0/1).", DefaultValueFactory = _ => "classify" };
        task.AcceptOnlyFromAmong("classify", "match");
        var matcher = new Option<MatcherKind>("--matcher") { Description = "With --task match: siamese | interactive | triplet | cross (soft alignment, the most accurate).", DefaultValueFactory = _ => MatcherKind.Siamese };
        var encoder = new Option<EncoderKind>("--encoder") { Description = "conv | bilstm | resconv | none (default conv; resconv for --task match, none for --matcher cross).", DefaultValueFactory = _ => EncoderKind.Conv };
        var pooling = new Option<PoolingKind>("--pooling") { Description = "attention | multihead | max | mean.", DefaultValueFactory = _ => PoolingKind.Attention };
        var heads = new Option<int>("--heads") { Description = "Heads for multihead pooling.", DefaultValueFactory = _ => defaults.Model.Heads };
        var diversity = new Option<double>("--diversity-penalty") { Description = "Multihead pooling: weight of the diversity penalty ||A A^T - I||^2 that keeps heads apart (0 = off; it also makes every head sharp; on small data sets --sliced-heads --head-overlap-penalty 0.03 --head-dropout 0.6 separates heads at the same accuracy, as the demo trains).", DefaultValueFactory = _ => defaults.Model.DiversityPenalty };
        var overlap = new Option<double>("--head-overlap-penalty") { Description = "Multihead pooling: weight of the penalty on the squared cosine similarity between heads' weights (0 = off; the default with --tokenizer char, 0 with mixed); unlike --diversity-penalty it does not push heads to be sharp, only apart.", DefaultValueFactory = _ => defaults.Model.HeadOverlapPenalty };
        var flatness = new Option<double>("--head-flatness-penalty") { Description = "Multihead pooling: weight of the penalty on each head's similarity to uniform weights (0 = off; 0.01 with --preset ngram --pooling multihead on characters); it keeps every head off uniform, pushing hardest on the flattest.", DefaultValueFactory = _ => defaults.Model.HeadFlatnessPenalty };
        var separateKeys = new Option<bool>("--separate-head-keys") { Description = "Multihead pooling: one scoring projection per head (true) or one shared by all heads, as the original (false).", DefaultValueFactory = _ => defaults.Model.SeparateHeadKeys };
        var slicedHeads = new Option<bool>("--sliced-heads") { Description = "Multihead pooling: each head pools its own slice of the token vectors (true; the width must divide by --heads) or the whole vector (false).", DefaultValueFactory = _ => defaults.Model.SlicedHeads };
        var headSolo = new Option<double>("--head-solo-loss") { Description = "Multihead pooling: weight of the loss of each head classifying the text alone, the other heads zeroed (0 = off; 1 with --tokenizer char, 0 with mixed); it makes every head find evidence of its own.", DefaultValueFactory = _ => defaults.Model.HeadSoloLoss };
        var companionSolo = new Option<double>("--companion-head-solo-loss") { Description = "Multihead pooling with a companion network: the companion's weight of the solo-head loss (by default the same as --head-solo-loss; 0 trains the loss on the first network only)." };
        var headPairing = new Option<double>("--companion-head-pairing") { Description = "Multihead pooling with a companion network: weight of the penalty on head h of the two networks looking at different tokens (0 = off); the model reports head h as the two averaged.", DefaultValueFactory = _ => defaults.Model.CompanionHeadPairing };
        var companionSingleHead = new Option<bool>("--companion-single-head") { Description = "Multihead pooling with a companion network: the companion pools with one attention head, and the model reports head h as the first network's head h averaged with it (false = head h of both networks averaged).", DefaultValueFactory = _ => defaults.Model.CompanionSingleHead };
        var companionPooling = new Option<PoolingKind>("--companion-pooling") { Description = "With a companion network: attention | mean | max (or multihead with --pooling multihead), how the companion pools (default: as the first network; mean for --preset ngram --pooling multihead on characters). mean leaves it without attention, so the model's head h is the first network's head h averaged with uniform weights and ranks tokens as that head does." };
        var headDropout = new Option<double>("--head-dropout") { Description = "Multihead pooling: probability of dropping a whole head's vector per text during training (0 = off; the default with --tokenizer char, 0 with mixed; 0.6 with --sliced-heads and --head-overlap-penalty 0.03 on a few thousand texts, as the demo).", DefaultValueFactory = _ => defaults.Model.HeadDropout };
        var embeddingDim = new Option<int>("--embedding-dim") { DefaultValueFactory = _ => defaults.Model.EmbeddingDim, Description = "Token embedding width." };
        var hiddenDim = new Option<int>("--hidden-dim") { DefaultValueFactory = _ => defaults.Model.EncoderDim, Description = "Encoder output width." };
        var dropout = new Option<double>("--dropout") { DefaultValueFactory = _ => defaults.Model.Dropout, Description = "Dropout after the embeddings and after the pooling." };
        var bigrams = new Option<int>("--bigram-buckets") { DefaultValueFactory = _ => 0, Description = "Hash buckets for token-bigram embeddings (0 = off)." };
        var maxBigramRows = new Option<int>("--max-bigram-rows") { Description = "With a compact --storage: keep at most this many bigram rows, those with the largest norm (as fastText's quantize -cutoff); 0 = every row training touched.", DefaultValueFactory = _ => 0 };
        var companion = new Option<CompanionNetwork>("--companion")
        {
            DefaultValueFactory = _ => CompanionNetwork.Auto,
            Description = "auto | none | conv | ngram: a second network in the model; the model predicts their averaged probabilities and shows their averaged weights. "
                + "conv = conv + attention (the default architecture), trained beside the model on the same batches, each with its own loss. "
                + "ngram = a copy of the model's network trained apart, after it, with the seed + 1 (twice the training time; with --preset ngram --tokenizer mixed "
                + "--min-ngram-texts 3 it lifts imdb from 0.920 to 0.922 in 56 MB). auto = conv for --preset ngram on characters, none otherwise.",
        };
        var trigrams = new Option<bool>("--trigrams") { Description = "Also hash token trigrams into the bigram table (needs --bigram-buckets or --preset ngram)." };
        var minNgramTexts = new Option<int>("--min-ngram-texts") { DefaultValueFactory = _ => defaults.Training.MinNgramTexts, Description = "After training, reset the bigram/trigram rows whose n-grams occur in fewer training texts than this (as unseen n-grams; a compact directory leaves them out). 0 or 1 keeps every row; --preset ngram on words uses 2." };
        var bigramDim = new Option<int>("--bigram-dim") { DefaultValueFactory = _ => defaults.Model.BigramDim, Description = "Width of each hashed bigram embedding (projected to --embedding-dim)." };
        var bigramDropout = new Option<double>("--bigram-dropout") { DefaultValueFactory = _ => defaults.Model.BigramDropout, Description = "Dropout on the bigram embeddings." };
        var tokenDropout = new Option<double>("--token-dropout") { DefaultValueFactory = _ => 0, Description = "Share of training tokens replaced by <unk> (word dropout)." };
        var denseDim = new Option<int>("--dense-dim") { DefaultValueFactory = _ => defaults.Model.DenseDim, Description = "Width of the Dense + GELU layer before the output; 0 = a linear read-out of the pooled vector." };
        var decay = new Option<LearningRateDecay>("--lr-decay") { DefaultValueFactory = _ => LearningRateDecay.None, Description = "none | linear: the rate falls step by step to 0 at the last epoch, as fastText." };
        var averageSteps = new Option<int>("--average-steps") { DefaultValueFactory = _ => 0, Description = "Validate and keep a moving average of the weights over about this many steps (0 = off)." };
        var tokenizer = new Option<TokenizationMode>("--tokenizer") { DefaultValueFactory = _ => TokenizationMode.Char, Description = "char (every non-space character) | mixed (CJK characters, Latin words, punctuation)." };
        var minFrequency = new Option<int>("--min-freq") { DefaultValueFactory = _ => defaults.Tokenizer.MinFrequency, Description = "Tokens seen fewer times become <unk> (the original's 16)." };
        var maxLength = new Option<int>("--max-length") { DefaultValueFactory = _ => 0, Description = "Maximum tokens per text; 0 = choose from the data (see --length-percentile), capped at 512." };
        var percentile = new Option<double>("--length-percentile") { DefaultValueFactory = _ => defaults.MaxLengthPercentile, Description = "Percentile of training lengths the chosen maximum length covers." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Training.Epochs, Description = "Maximum epochs." };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => defaults.Training.BatchSize, Description = "Examples per step." };
        var learningRate = new Option<double>("--lr") { DefaultValueFactory = _ => defaults.Training.LearningRate, Description = "Learning rate." };
        var optimizer = new Option<OptimizerKind>("--optimizer") { DefaultValueFactory = _ => OptimizerKind.Adam, Description = "adam | adamw." };
        var weightDecay = new Option<double>("--weight-decay") { DefaultValueFactory = _ => 0, Description = "Weight decay." };
        var schedule = new Option<string?>("--lr-schedule") { Description = "Learning rate by epoch, e.g. \"0:1e-3,5:1e-4\"." };
        var precision = new Option<TrainingPrecision>("--precision") { DefaultValueFactory = _ => TrainingPrecision.Auto, Description = "auto | float32 | bfloat16: format of the training steps' large matrix products (auto = bfloat16 where the CPU has it natively; prediction is always float32)." };
        var clip = new Option<double>("--clip") { DefaultValueFactory = _ => defaults.Training.GradientClipNorm, Description = "Gradient-norm clip (0 = off)." };
        var classWeights = new Option<bool>("--class-weights") { Description = "Weight classes by (N/C)/count, for unbalanced data." };
        var validFraction = new Option<double>("--valid-fraction") { DefaultValueFactory = _ => defaults.Training.ValidationFraction, Description = "Held-out fraction when --valid is not given." };
        var patience = new Option<int>("--patience") { DefaultValueFactory = _ => defaults.Training.Patience, Description = "Epochs without a better validation accuracy before stopping (0 = never)." };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => defaults.Training.Seed, Description = "Seed: the same seed and --threads give identical models on CPU." };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 0, Description = "libtorch threads (0 = default)." };
        var wholeBatches = new Option<bool>("--whole-batches") { Description = "Run each classifier batch whole on all threads instead of as two halves at once, each on half of them (the default with 2+ threads: faster for small models, same gradient)." };
        var resume = new Option<string?>("--resume") { Description = "Continue from the checkpoint an interrupted run wrote." };
        var textColumn = new Option<string>("--text-column") { DefaultValueFactory = _ => "text", Description = "Text column of CSV/TSV/JSONL files." };
        var labelColumn = new Option<string>("--label-column") { DefaultValueFactory = _ => "label", Description = "Label column of CSV/TSV/JSONL files." };
        var resampleNegatives = new Option<bool>("--resample-negatives") { Description = "With --task match: give every negative pair a fresh random partner of the same length each epoch (for random negatives such as couplet-match, not curated ones)." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip (and count) bad rows instead of stopping at the first." };

        var command = new Command("train", "Train an attention-pooling classifier (or, with --task match, a sentence-pair matcher) and write a model directory.")
        {
            data, validation, test, output, preset, storage, maxBigramRows, companion, task, matcher, encoder, pooling, heads, diversity, overlap, flatness, separateKeys, slicedHeads, headDropout, headSolo, companionSolo, headPairing, companionSingleHead, companionPooling, embeddingDim, hiddenDim, dropout, bigrams,
            trigrams, minNgramTexts, bigramDim, bigramDropout, tokenDropout, denseDim, decay, averageSteps, tokenizer, minFrequency, maxLength, percentile, epochs, batchSize, learningRate, optimizer, weightDecay,
            schedule, precision, clip, classWeights, validFraction, patience, seed, threads, wholeBatches, resume, textColumn, labelColumn, lenient, resampleNegatives,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync(() =>
        {
            var readerOptions = new ReaderOptions { Lenient = parse.GetValue(lenient) };
            var report = new ReadReport();
            string text = parse.GetValue(textColumn)!, label = parse.GetValue(labelColumn)!;
            // A flag given on the command line wins; otherwise the preset's (or the library's) value stands, which the
            // flags' displayed defaults repeat.
            T Given<T>(Option<T> option, T fallback) => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : fallback;
            // The flags shared by both tasks are mapped here once.
            AttentionTokenizerOptions MapTokenizer(AttentionTokenizerOptions tokenizerOptions) => tokenizerOptions with
            {
                MinFrequency = Given(minFrequency, tokenizerOptions.MinFrequency), MaxLength = Given(maxLength, tokenizerOptions.MaxLength),
            };
            void MapTraining(TrainingOptions training)
            {
                training.Epochs = Given(epochs, training.Epochs);
                training.BatchSize = Given(batchSize, training.BatchSize);
                training.LearningRate = Given(learningRate, training.LearningRate);
                training.Optimizer = Given(optimizer, training.Optimizer);
                training.WeightDecay = Given(weightDecay, training.WeightDecay);
                training.LearningRateSchedule = ParseSchedule(parse.GetValue(schedule)) ?? training.LearningRateSchedule;
                training.GradientClipNorm = Given(clip, training.GradientClipNorm);
                training.Precision = Given(precision, training.Precision);
                training.Decay = Given(decay, training.Decay);
                training.AverageWeightsOverSteps = Given(averageSteps, training.AverageWeightsOverSteps);
                training.ClassWeights = Given(classWeights, training.ClassWeights);
                training.ValidationFraction = Given(validFraction, training.ValidationFraction);
                training.Patience = Given(patience, training.Patience);
                training.Seed = Given(seed, training.Seed);
                training.Threads = Given(threads, training.Threads);
                training.ResampleNegatives = Given(resampleNegatives, training.ResampleNegatives);
                training.MinNgramTexts = Given(minNgramTexts, training.MinNgramTexts);
                if (parse.GetValue(wholeBatches)) training.SplitBatchAcrossThreads = false;
            }
            if (parse.GetValue(task) == "match")
            {
                if (parse.GetResult(preset) is { Implicit: false })
                    throw new UsageException("--preset applies to --task classify; matchers take their options from the flags alone.");
                if (parse.GetResult(storage) is { Implicit: false } || parse.GetResult(maxBigramRows) is { Implicit: false })
                    throw new UsageException("--storage and --max-bigram-rows apply to --task classify; a matcher directory keeps weights.bin and model.onnx.");
                if (parse.GetResult(minNgramTexts) is { Implicit: false })
                    throw new UsageException("--min-ngram-texts applies to --task classify: a matcher has no bigram table.");
                if (parse.GetResult(companion) is { Implicit: false })
                    throw new UsageException("--companion applies to --task classify; a matcher is one network.");
                if (parse.GetValue(resume) is not null)
                    throw new UsageException("--resume is not supported with --task match yet: matchers train without checkpoints.");
                var matchOptions = new AttentionMatcherOptions
                {
                    Tokenizer = MapTokenizer(new AttentionTokenizerOptions { Mode = parse.GetValue(tokenizer) }),
                    MaxLengthPercentile = parse.GetValue(percentile),
                    Model = new TextMatcherOptions
                    {
                        Kind = parse.GetValue(matcher),
                        // Matchers default to the original's ResConv encoder; the cross matcher aligns the token
                        // embeddings themselves (its relative-position bias carries the order), which learned best.
                        Encoder = parse.GetResult(encoder) is { Implicit: false } ? parse.GetValue(encoder)
                            : parse.GetValue(matcher) == MatcherKind.Cross ? EncoderKind.None : EncoderKind.ResConv,
                        EmbeddingDim = parse.GetValue(embeddingDim), EncoderDim = parse.GetValue(hiddenDim), Dropout = parse.GetValue(dropout),
                    },
                };
                MapTraining(matchOptions.Training);
                CheckBeforeTraining(matchOptions.Training, parse.GetValue(output)!);
                return TrainMatcher(parse.GetValue(data)!, parse.GetValue(validation), parse.GetValue(test), parse.GetValue(output)!,
                    matchOptions, readerOptions, report, label, cancellation);
            }
            var source = DataSources.Resolve(parse.GetValue(data)!, readerOptions, report, text, label, Console.Error);
            string? validationPath = parse.GetValue(validation);
            string? testPath = parse.GetValue(test);
            var mode = parse.GetValue(tokenizer);
            var options = parse.GetValue(preset) == TrainPreset.Ngram
                ? AttentionClassifierOptions.Ngram(mode, parse.GetValue(pooling))
                : AttentionClassifierOptions.Default(mode);
            options.Tokenizer = MapTokenizer(options.Tokenizer);
            options.MaxLengthPercentile = Given(percentile, options.MaxLengthPercentile);
            var model = options.Model;
            model.Encoder = Given(encoder, model.Encoder);
            model.Pooling = Given(pooling, model.Pooling);
            model.Heads = Given(heads, model.Heads);
            model.DiversityPenalty = Given(diversity, model.DiversityPenalty);
            model.HeadOverlapPenalty = Given(overlap, model.HeadOverlapPenalty);
            model.HeadFlatnessPenalty = Given(flatness, model.HeadFlatnessPenalty);
            model.SeparateHeadKeys = Given(separateKeys, model.SeparateHeadKeys);
            model.SlicedHeads = Given(slicedHeads, model.SlicedHeads);
            model.HeadDropout = Given(headDropout, model.HeadDropout);
            model.HeadSoloLoss = Given(headSolo, model.HeadSoloLoss);
            model.CompanionHeadPairing = Given(headPairing, model.CompanionHeadPairing);
            model.CompanionSingleHead = Given(companionSingleHead, model.CompanionSingleHead);
            if (parse.GetResult(companionSolo) is { Implicit: false }) model.CompanionHeadSoloLoss = parse.GetValue(companionSolo);
            if (parse.GetResult(companionPooling) is { Implicit: false }) model.CompanionPooling = parse.GetValue(companionPooling);
            model.EmbeddingDim = Given(embeddingDim, model.EmbeddingDim);
            model.EncoderDim = Given(hiddenDim, model.EncoderDim);
            model.Dropout = Given(dropout, model.Dropout);
            model.BigramBuckets = Given(bigrams, model.BigramBuckets);
            model.BigramDim = Given(bigramDim, model.BigramDim);
            model.Trigrams = Given(trigrams, model.Trigrams);
            model.BigramDropout = Given(bigramDropout, model.BigramDropout);
            model.TokenDropout = Given(tokenDropout, model.TokenDropout);
            model.DenseDim = Given(denseDim, model.DenseDim);
            var companionChoice = parse.GetValue(companion);
            model.Companion = companionChoice switch
            {
                CompanionNetwork.None => null,
                CompanionNetwork.Conv => model.Companion ?? AttentionClassifierOptions.ConvCompanion(),
                // A copy of the network as the flags left it, trained apart: on the same batches it would end as a copy.
                CompanionNetwork.Ngram => model.CloneWithoutCompanion(),
                _ => model.Companion,
            };
            // The preset's multi-head recipe mean-pools its conv companion; no companion, an n-gram one or a single-head one
            // pools as the flags say.
            if ((companionChoice is CompanionNetwork.None or CompanionNetwork.Ngram || model.CompanionSingleHead)
                && parse.GetResult(companionPooling) is null or { Implicit: true })
                model.CompanionPooling = null;
            options.Training.CompanionApart = companionChoice == CompanionNetwork.Ngram;
            if (options.Training.CompanionApart && parse.GetValue(resume) is not null)
                throw new UsageException("--resume is not supported with --companion ngram: its two networks train in turn and keep no checkpoint; train again without --resume.");
            MapTraining(options.Training);
            var exportOptions = ExportOptionsFor(parse.GetValue(storage), parse.GetValue(preset));
            if (parse.GetValue(maxBigramRows) is int limit and not 0)
            {
                if (limit < 0 || exportOptions.BigramTable is null or EmbeddingTableStorage.Dense)
                    throw new UsageException($"--max-bigram-rows {limit}: give a positive row count, with a compact --storage (compact or compactfloat32; --preset ngram is compact by default).");
                exportOptions.MaxBigramRows = limit;
            }
            string outputDirectory = parse.GetValue(output)!;
            CheckBeforeTraining(options.Training, outputDirectory, options.Model);
            string checkpoint = Path.Combine(outputDirectory, "checkpoint");

            Console.Error.WriteLine($"training on {source.Description}");
            var trainRows = source.Train().ToList();
            var validationRows = validationPath is null ? null : DataSources.ReadFile(validationPath, readerOptions, report, text, label).ToList();
            using var reporter = new ProgressReporter();
            AttentionClassifier classifierTrained;
            try
            {
                classifierTrained = AttentionClassifier.Train(trainRows, validationRows, options, reporter, checkpoint, cancellation, parse.GetValue(resume));
            }
            catch (OperationCanceledException) when (options.Training.CompanionApart)
            {
                // Two networks trained in turn keep no checkpoint: nothing was written.
                Console.Error.WriteLine($"interrupted: --companion ngram keeps no checkpoint; nothing was written to {outputDirectory}");
                return ExitCodes.Interrupted;
            }
            using var classifier = classifierTrained;
            var summary = classifier.Summary!;
            // A named dataset's cached split is not read through the report: "read 0 rows" would only mislead.
            if (report.RowsRead + report.RowsSkipped > 0) Console.Error.WriteLine(report.ToString());
            Console.Error.WriteLine($"{summary.MaxLengthChoice}; {summary.TruncatedTrainTexts} of {summary.TrainCount} training texts truncated");
            if (summary.RareNgramRowsReset > 0)
                Console.Error.WriteLine($"{summary.RareNgramRowsReset:N0} n-gram rows reset: their n-grams occur in fewer than {options.Training.MinNgramTexts} training texts");
            if (summary.Interrupted)
            {
                Console.Error.WriteLine($"interrupted: checkpoint written to {summary.CheckpointDirectory}; continue with --resume {summary.CheckpointDirectory}");
                return ExitCodes.Interrupted;
            }
            OnnxExporter.SaveWithOnnx(classifier, outputDirectory, exportOptions);
            string onnxPath = Path.Combine(outputDirectory, OnnxExporter.OnnxFileName);
            Console.Error.WriteLine($"best epoch {summary.BestEpoch}{(summary.StoppedEarly ? " (stopped early)" : "")}; model written to {outputDirectory} (ONNX: {onnxPath}); {ModelSize.Describe(outputDirectory)}");

            var testRows = testPath is not null ? DataSources.ReadFile(testPath, readerOptions, report, text, label).ToList() : source.Test?.Invoke().ToList();
            if (testRows is { Count: > 0 })
            {
                // A compact directory rounds (and may prune) the bigram rows: score what was written, not the network in memory.
                bool rounded = classifier.Network.Options.BigramBuckets > 0 && exportOptions.BigramTable is not (null or EmbeddingTableStorage.Dense);
                using var written = rounded ? AttentionClassifier.Load(outputDirectory) : null;
                var metrics = (written ?? classifier).Evaluate(testRows);
                MetricsPrinter.PrintTable(metrics, Console.Out);
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static OnnxExportOptions ExportOptionsFor(ModelStorage storage, TrainPreset preset)
    {
        if (storage == ModelStorage.Auto) storage = preset == TrainPreset.Ngram ? ModelStorage.Compact : ModelStorage.Full;
        var options = OnnxExportOptions.Compact();
        switch (storage)
        {
            case ModelStorage.Full: return new OnnxExportOptions();
            case ModelStorage.CompactFloat32: options.BigramTable = EmbeddingTableStorage.TouchedRows; break;
        }
        return options;
    }

    private static int TrainMatcher(string data, string? validationPath, string? testPath, string outputDirectory,
        AttentionMatcherOptions options, ReaderOptions readerOptions, ReadReport report, string label, CancellationToken cancellation)
    {
        var source = DataSources.ResolvePairs(data, readerOptions, report, label, Console.Error);
        Console.Error.WriteLine($"training a {options.Model.Kind.ToString().ToLowerInvariant()} matcher on {source.Description}");
        var trainRows = source.Train().ToList();
        var validationRows = validationPath is null ? null : DataSources.ReadPairFile(validationPath, readerOptions, report, label).ToList();
        using var reporter = new ProgressReporter();
        using var matcher = AttentionMatcher.Train(trainRows, validationRows, options, reporter, cancellation);
        var summary = matcher.Summary!;
        if (report.RowsRead + report.RowsSkipped > 0) Console.Error.WriteLine(report.ToString());
        Console.Error.WriteLine($"{summary.MaxLengthChoice}; {summary.TruncatedTrainTexts} of {2 * summary.TrainCount} training sentences longer than {matcher.MaxLength} tokens, truncated");
        if (summary.Interrupted)
        {
            Console.Error.WriteLine("interrupted: matchers write no checkpoint; nothing was saved.");
            return ExitCodes.Interrupted;
        }
        OnnxExporter.SaveWithOnnx(matcher, outputDirectory);
        string onnxPath = Path.Combine(outputDirectory, OnnxExporter.OnnxFileName);
        Console.Error.WriteLine($"best epoch {summary.BestEpoch}{(summary.StoppedEarly ? " (stopped early)" : "")}; model written to {outputDirectory} (ONNX: {onnxPath}); {ModelSize.Describe(outputDirectory)}");
        var testRows = testPath is not null ? PairLengths.ReadLocated(() => DataSources.ReadPairFile(testPath, readerOptions, report, label), report)
            : source.Test is { } readTest ? PairLengths.ReadLocated(readTest, report) : null;
        if (testRows is { Count: > 0 })
        {
            // The model is already saved: test sentences past the chosen maximum length are scored truncated and counted.
            PairLengths.Check(matcher, testRows, truncate: true, "test", Console.Error);
            MetricsPrinter.PrintTable(matcher.Evaluate(testRows.Select(r => r.Pair)), Console.Out, MatchPrediction.NameOf);
        }
        return ExitCodes.Success;
    }

    // Invalid settings are a usage error (exit 1), and an output that cannot be written fails now (exit 3), not after a long run.
    private static void CheckBeforeTraining(TrainingOptions training, string outputDirectory, TextClassifierOptions? model = null)
    {
        try
        {
            training.Validate();
            if (model is not null)
            {
                // The vocabulary and the classes come from the data; the rest of the architecture can be checked now.
                var architecture = model.Clone();
                architecture.VocabularySize = Math.Max(architecture.VocabularySize, 2);
                architecture.NumClasses = Math.Max(architecture.NumClasses, 2);
                architecture.Validate();
            }
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        AttentionClassifier.CheckSaveTarget(outputDirectory);
    }

    private static SortedDictionary<int, double>? ParseSchedule(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var schedule = new SortedDictionary<int, double>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':');
            if (pieces.Length != 2 || !int.TryParse(pieces[0], out int epoch)
                || !double.TryParse(pieces[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double rate))
                throw new ArgumentException($"--lr-schedule entry '{part}' is not EPOCH:RATE (e.g. \"0:1e-3,5:1e-4\").");
            schedule[epoch] = rate;
        }
        return schedule;
    }
}
