using MLNetAttention.Modules;
using MLNetAttention.Data;
using static TorchSharp.torch;

namespace MLNetAttention.Training.Matching;

/// <summary>Tokenized sentence pairs (ids without padding, each side at most the model's maximum length) and 0/1 labels.</summary>
public sealed class EncodedPairs
{
    /// <summary>Wraps already-encoded pairs.</summary>
    /// <param name="ids1">Token ids of the first sentences; none may be empty.</param>
    /// <param name="ids2">Token ids of the second sentences; none may be empty.</param>
    /// <param name="labels">1 = match, 0 = no match, per pair.</param>
    public EncodedPairs(IReadOnlyList<int[]> ids1, IReadOnlyList<int[]> ids2, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(ids1);
        ArgumentNullException.ThrowIfNull(ids2);
        ArgumentNullException.ThrowIfNull(labels);
        if (ids1.Count != ids2.Count || ids1.Count != labels.Count)
            throw new ArgumentException($"There are {ids1.Count} first sentences, {ids2.Count} second sentences and {labels.Count} labels; they must match.", nameof(labels));
        for (int i = 0; i < ids1.Count; i++)
        {
            if (ids1[i].Length == 0 || ids2[i].Length == 0)
                throw new ArgumentException($"Pair {i} has no tokens in text{(ids1[i].Length == 0 ? 1 : 2)}; an empty sentence cannot be matched.", ids1[i].Length == 0 ? nameof(ids1) : nameof(ids2));
            if (labels[i] is not (0 or 1))
                throw new ArgumentException($"Pair {i} has the label {labels[i]}; a matcher needs 0 or 1.", nameof(labels));
        }
        Ids1 = ids1;
        Ids2 = ids2;
        Labels = labels;
    }

    /// <summary>Token ids of the first sentences.</summary>
    public IReadOnlyList<int[]> Ids1 { get; }

    /// <summary>Token ids of the second sentences.</summary>
    public IReadOnlyList<int[]> Ids2 { get; }

    /// <summary>1 = match, 0 = no match.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Number of pairs.</summary>
    public int Count => Ids1.Count;

    /// <summary>
    /// The same pairs with each negative's second sentence replaced by the second sentence of a random positive pair
    /// of the same length in tokens whose first sentence differs (a negative with no such partner is kept as it is).
    /// Labels, order and the positives are unchanged.
    /// </summary>
    public EncodedPairs WithFreshNegatives(SplitMix64 random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var positivesByLength = Enumerable.Range(0, Count).Where(i => Labels[i] == 1)
            .GroupBy(i => Ids2[i].Length).ToDictionary(g => g.Key, g => g.ToArray());
        var ids2 = new int[Count][];
        for (int i = 0; i < Count; i++)
        {
            ids2[i] = Ids2[i];
            if (Labels[i] == 1 || !positivesByLength.TryGetValue(Ids2[i].Length, out var candidates)) continue;
            for (int attempt = 0; attempt < 20; attempt++)
            {
                int j = candidates[random.NextInt(candidates.Length)];
                if (Ids1[j].AsSpan().SequenceEqual(Ids1[i])) continue; // j is this sentence's own partner
                ids2[i] = Ids2[j];
                break;
            }
        }
        return new EncodedPairs(Ids1, ids2, Labels);
    }
}

/// <summary>
/// Batches of pairs of similar length (the longer side decides), each side padded on its own to a multiple of
/// <see cref="Masking.PaddingQuantum"/>.
/// </summary>
public static class PairBatches
{
    // Shuffle, then sort windows of this many batches by length: batches stay random across epochs.
    private const int BatchesPerSortWindow = 50;

    /// <summary>Batches of indices into rows of lengths <paramref name="lengths"/>: shuffled with <paramref name="random"/>, or in length order when it is null.</summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int batchSize, SplitMix64? random)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Must be at least 1.");
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        if (random is null)
        {
            Array.Sort(order, (a, b) => lengths[a].CompareTo(lengths[b]));
            return order.Chunk(batchSize).ToList();
        }
        random.Shuffle(order);
        var batches = new List<int[]>();
        int window = batchSize * BatchesPerSortWindow;
        for (int start = 0; start < order.Length; start += window)
        {
            var slice = order.AsSpan(start, Math.Min(window, order.Length - start)).ToArray();
            Array.Sort(slice, (a, b) => lengths[a].CompareTo(lengths[b]));
            batches.AddRange(slice.Chunk(batchSize));
        }
        random.Shuffle(batches);
        return batches;
    }

    /// <summary>Batches of pair indices (see <see cref="Plan(IReadOnlyList{int}, int, SplitMix64?)"/>).</summary>
    public static List<int[]> Plan(EncodedPairs data, int batchSize, SplitMix64? random)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Plan(Enumerable.Range(0, data.Count).Select(i => Math.Max(data.Ids1[i].Length, data.Ids2[i].Length)).ToArray(), batchSize, random);
    }

    /// <summary>The (batch, seq) int64 id tensor of <c>rows[indices]</c>, zero-padded to a multiple of the length quantum.</summary>
    public static Tensor Ids(IReadOnlyList<int[]> rows, IReadOnlyList<int> indices, Device? device = null)
    {
        int longest = indices.Max(i => rows[i].Length);
        int length = Masking.PaddedLength(longest);
        var buffer = new long[indices.Count * length];
        for (int row = 0; row < indices.Count; row++)
        {
            var ids = rows[indices[row]];
            for (int t = 0; t < ids.Length; t++) buffer[row * length + t] = ids[t];
        }
        return tensor(buffer, new long[] { indices.Count, length }, device: device);
    }

    /// <summary>The int64 label tensor of the pairs at <paramref name="indices"/>.</summary>
    public static Tensor Labels(EncodedPairs data, IReadOnlyList<int> indices, Device? device = null) =>
        tensor(indices.Select(i => (long)data.Labels[i]).ToArray(), device: device);
}
