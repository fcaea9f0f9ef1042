using MLNetAttention.Training;
using MLNetAttention.Visualization;

namespace MLNetAttention.Faithfulness;

/// <summary>
/// Turns <see cref="ExplainerComparison.Explain"/>'s per-text scores into the <see cref="ExplanationRow"/>s that the
/// HTML report and the figures draw side by side under each text (<see cref="WeightedText.Explanations"/>).
/// </summary>
public static class ExplanationRows
{
    /// <summary>The explainers shown by default: attention, leave-one-out, gradient × input and integrated gradients.</summary>
    public static readonly IReadOnlyList<ExplainerKind> DefaultExplainers = Array.AsReadOnly(new[]
    {
        ExplainerKind.Attention, ExplainerKind.LeaveOneOut, ExplainerKind.GradientTimesInput, ExplainerKind.IntegratedGradients,
    });

    /// <summary>
    /// One row per attribution of <paramref name="explanation"/>, in its order, aligned with <paramref name="prediction"/>'s
    /// tokens. Both come from the first <see cref="AttentionClassifier.MaxLength"/> tokens of the same text, so a truncated
    /// text has rows for its scored tokens only.
    /// </summary>
    /// <param name="explanation">The explainers' scores of one text.</param>
    /// <param name="prediction">The same text's prediction by the same model.</param>
    /// <exception cref="ArgumentException">The explained ids are not the prediction's tokens (another text or model).</exception>
    public static IReadOnlyList<ExplanationRow> From(TextExplanation explanation, ClassPrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentNullException.ThrowIfNull(prediction);
        if (explanation.Ids.Length != prediction.Tokens.Count)
            throw new ArgumentException(
                $"The explanation has {explanation.Ids.Length} tokens and the prediction {prediction.Tokens.Count}; explain the same text with the same model.", nameof(explanation));
        for (int i = 0; i < explanation.Ids.Length; i++)
            if (explanation.Ids[i] != prediction.Tokens[i].Id)
                throw new ArgumentException(
                    $"Token {i} is id {explanation.Ids[i]} in the explanation and {prediction.Tokens[i].Id} in the prediction; explain the same text with the same model.", nameof(explanation));
        return explanation.Attributions.Select(a => new ExplanationRow(a.Explainer, a.Scores)).ToArray();
    }

    /// <summary>
    /// The views of <paramref name="predictions"/> with every selected explainer's scores of each as
    /// <see cref="WeightedText.Explanations"/> (a text without tokens gets none).
    /// </summary>
    /// <param name="classifier">The classifier that made the predictions.</param>
    /// <param name="predictions">Its predictions.</param>
    /// <param name="trueLabels">The gold label of each prediction (null where unknown), or null for none.</param>
    /// <param name="options">
    /// Which explainers (<see cref="DefaultExplainers"/> when null), the steps of integrated gradients and the erase mode of
    /// leave-one-out.
    /// </param>
    /// <exception cref="ArgumentException">The labels do not match the predictions, a prediction is not the classifier's, or no chosen explainer applies to the model.</exception>
    public static IReadOnlyList<WeightedText> Explain(AttentionClassifier classifier, IReadOnlyList<ClassPrediction> predictions,
        IReadOnlyList<string?>? trueLabels = null, ExplainerComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(predictions);
        if (trueLabels is not null && trueLabels.Count != predictions.Count)
            throw new ArgumentException($"{trueLabels.Count} true labels for {predictions.Count} predictions.", nameof(trueLabels));
        options ??= new ExplainerComparisonOptions { Explainers = DefaultExplainers };
        var texts = predictions.Select((p, i) => WeightedText.FromPrediction(p, trueLabels?[i])).ToArray();
        // Explain refuses texts without tokens: they keep the plain view.
        var explained = Enumerable.Range(0, predictions.Count).Where(i => predictions[i].Tokens.Count > 0).ToArray();
        if (explained.Length == 0) return texts;
        var explanations = ExplainerComparison.Explain(classifier, explained.Select(i => predictions[i].Text).ToArray(), options);
        for (int k = 0; k < explained.Length; k++)
        {
            int i = explained[k];
            texts[i] = texts[i].WithExplanations(From(explanations[k], predictions[i]));
        }
        return texts;
    }

    /// <summary>Predicts <paramref name="texts"/> and returns their views with the explainers' rows (see <see cref="Explain(AttentionClassifier, IReadOnlyList{ClassPrediction}, IReadOnlyList{string}, ExplainerComparisonOptions)"/>).</summary>
    /// <param name="classifier">The classifier.</param>
    /// <param name="texts">Texts, none empty.</param>
    /// <param name="trueLabels">The gold label of each text (null where unknown), or null for none.</param>
    /// <param name="options">Which explainers (<see cref="DefaultExplainers"/> when null) and their settings.</param>
    public static IReadOnlyList<WeightedText> Explain(AttentionClassifier classifier, IReadOnlyList<string> texts,
        IReadOnlyList<string?>? trueLabels = null, ExplainerComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(texts);
        return Explain(classifier, classifier.Predict(texts), trueLabels, options);
    }
}
