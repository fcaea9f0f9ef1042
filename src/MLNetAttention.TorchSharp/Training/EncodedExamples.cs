namespace MLNetAttention.Training;

/// <summary>Tokenized texts (ids without padding, each at most the model's maximum length) and class indices.</summary>
public sealed class EncodedExamples
{
    /// <summary>Wraps already-encoded examples.</summary>
    /// <param name="ids">Token ids per example; none may be empty.</param>
    /// <param name="labels">Class index per example.</param>
    public EncodedExamples(IReadOnlyList<int[]> ids, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(labels);
        if (ids.Count != labels.Count)
            throw new ArgumentException($"There are {ids.Count} id rows but {labels.Count} labels.", nameof(labels));
        for (int i = 0; i < ids.Count; i++)
            if (ids[i].Length == 0)
                throw new ArgumentException($"Example {i} has no tokens; an empty text cannot be classified.", nameof(ids));
        Ids = ids;
        Labels = labels;
    }

    /// <summary>Token ids per example.</summary>
    public IReadOnlyList<int[]> Ids { get; }

    /// <summary>Class index per example.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Ids.Count;

    /// <summary>The examples at <paramref name="indices"/>, in that order.</summary>
    public EncodedExamples Subset(IReadOnlyList<int> indices) =>
        new(indices.Select(i => Ids[i]).ToArray(), indices.Select(i => Labels[i]).ToArray());
}
