using MLNetAttention.Text;

namespace MLNetAttention.Onnx;

public sealed partial class AttentionOnnxModel
{
    /// <summary>
    /// Leave-one-out importance of every scored token of each text: p(x)_y − p(x without token i)_y, y the predicted
    /// class. The token is deleted (the ids after it move left, as <c>ExplainerComparison</c>'s default erase mode does);
    /// a one-token text erased to nothing is scored as a single unknown token. Needs no TorchSharp: the variants are
    /// scored by this ONNX model, in batches of equal length.
    /// </summary>
    /// <param name="texts">Texts, none empty.</param>
    /// <returns>Per text, one score per token of its prediction's <see cref="ClassPrediction.Tokens"/>.</returns>
    /// <exception cref="ArgumentException">A text is empty or only whitespace.</exception>
    public IReadOnlyList<float[]> LeaveOneOut(IEnumerable<string> texts) => LeaveOneOut(Predict(texts));

    /// <summary>
    /// Leave-one-out importance of every token of each prediction (see <see cref="LeaveOneOut(IEnumerable{string})"/>),
    /// for predictions this model (or the same model in TorchSharp) made: their token ids, predicted class and its
    /// probability are reused, so only the erased variants are scored.
    /// </summary>
    /// <param name="predictions">The predictions.</param>
    /// <returns>Per prediction, one score per token of <see cref="ClassPrediction.Tokens"/>, in token order.</returns>
    /// <exception cref="ArgumentException">A prediction has other labels than this model, or more tokens than it accepts.</exception>
    public IReadOnlyList<float[]> LeaveOneOut(IReadOnlyList<ClassPrediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        int classes = Info.Labels.Count;
        var variants = new List<(int Text, int Token, int[] Ids)>();
        for (int t = 0; t < predictions.Count; t++)
        {
            var prediction = predictions[t] ?? throw new ArgumentException($"Prediction {t} is null.", nameof(predictions));
            if (prediction.Labels.Count != classes || !prediction.Labels.SequenceEqual(Info.Labels))
                throw new ArgumentException($"Prediction {t} has the labels {string.Join(", ", prediction.Labels)}; this model has {string.Join(", ", Info.Labels)}.", nameof(predictions));
            if (prediction.Tokens.Count > Info.MaxLength)
                throw new ArgumentException($"Prediction {t} has {prediction.Tokens.Count} tokens; the model accepts at most {Info.MaxLength}.", nameof(predictions));
            var ids = prediction.Tokens.Select(token => token.Id).ToArray();
            for (int i = 0; i < ids.Length; i++)
            {
                var without = new int[ids.Length - 1];
                ids.AsSpan(0, i).CopyTo(without);
                ids.AsSpan(i + 1).CopyTo(without.AsSpan(i));
                variants.Add((t, i, without.Length > 0 ? without : [AttentionTokenizer.UnknownId]));
            }
        }

        var scores = predictions.Select(p => new float[p.Tokens.Count]).ToArray();
        // Variants of equal length share a batch, so none is padded.
        foreach (var group in variants.GroupBy(v => v.Ids.Length))
            foreach (var batch in group.Chunk(BatchSize))
            {
                int length = group.Key;
                var ids = new long[batch.Length * length];
                for (int r = 0; r < batch.Length; r++)
                    for (int i = 0; i < length; i++) ids[r * length + i] = batch[r].Ids[i];
                var (probabilities, _, _) = Run(ids, batch.Length, length);
                for (int r = 0; r < batch.Length; r++)
                {
                    var (text, token, _) = batch[r];
                    var prediction = predictions[text];
                    scores[text][token] = prediction.Probability - probabilities[r * classes + prediction.LabelIndex];
                }
            }
        return scores;
    }
}
