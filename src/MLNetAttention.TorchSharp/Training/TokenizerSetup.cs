using MLNetAttention.Text;

namespace MLNetAttention.Training;

/// <summary>The vocabulary and maximum length every trainer derives from its training texts.</summary>
internal static class TokenizerSetup
{
    /// <summary>
    /// Builds the vocabulary from <paramref name="texts"/>; when the options set no maximum length, chooses one at
    /// <paramref name="percentile"/> of the texts' token counts, capped at <paramref name="cap"/>, and reports the choice.
    /// </summary>
    public static (AttentionTokenizer Tokenizer, MaxLengthChoice? Choice) Train(IReadOnlyCollection<string> texts,
        AttentionTokenizerOptions options, double percentile, int cap)
    {
        var tokenizer = AttentionTokenizer.Train(texts, options);
        if (tokenizer.Options.MaxLength != 0) return (tokenizer, null);
        var choice = tokenizer.ChooseMaxLength(texts, percentile);
        int maxLength = Math.Clamp(choice.MaxLength, 1, Math.Max(1, cap));
        return (tokenizer.WithOptions(tokenizer.Options with { MaxLength = maxLength }), choice);
    }

    /// <summary>The summary saved with a model: counts, the maximum-length choice and what training did.</summary>
    public static TrainingSummary Summarize(TrainingResult result, int trainCount, int validationCount, MaxLengthChoice? choice,
        int maxLength, int truncatedTrainTexts, Func<ClassificationMetrics, ClassificationMetrics>? relabel = null)
    {
        var best = result.History.FirstOrDefault(h => h.Epoch == result.BestEpoch)?.Validation;
        return new TrainingSummary
        {
            TrainCount = trainCount,
            ValidationCount = validationCount,
            MaxLengthChoice = choice?.ToString() ?? $"max length {maxLength} (set in the options)",
            TruncatedTrainTexts = truncatedTrainTexts,
            BestEpoch = result.BestEpoch,
            StoppedEarly = result.StoppedEarly,
            Interrupted = result.Interrupted,
            CheckpointDirectory = result.CheckpointDirectory,
            RareNgramRowsReset = result.RareNgramRowsReset,
            History = result.History,
            Validation = best is null || relabel is null ? best : relabel(best),
        };
    }
}
