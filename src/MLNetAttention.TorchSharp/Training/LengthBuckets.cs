using MLNetAttention.Modules;
using MLNetAttention.Data;
using static TorchSharp.torch;

namespace MLNetAttention.Training;

/// <summary>
/// Groups examples of similar length into batches so little compute goes to padding. Padded lengths are
/// rounded up to a multiple of <see cref="Masking.PaddingQuantum"/> to keep the number of shapes small.
/// </summary>
public static class LengthBuckets
{
    // Shuffle, then sort windows of this many batches by length: batches stay random across epochs. Poetry's long tail
    // made windows of 50 batches compute 9 % padding (lengths spread widely among a window's longest texts); windows
    // of 200 compute 3 %.
    private const int BatchesPerSortWindow = 200;

    /// <summary>Batches of example indices for one epoch: shuffled with <paramref name="random"/>, or in length order when it is null.</summary>
    public static List<int[]> Plan(EncodedExamples data, int batchSize, SplitMix64? random)
    {
        var order = Enumerable.Range(0, data.Count).ToArray();
        if (random is null)
        {
            Array.Sort(order, (a, b) => data.Ids[a].Length.CompareTo(data.Ids[b].Length));
            return order.Chunk(batchSize).ToList();
        }
        random.Shuffle(order);
        var batches = new List<int[]>();
        int window = batchSize * BatchesPerSortWindow;
        for (int start = 0; start < order.Length; start += window)
        {
            var slice = order.AsSpan(start, Math.Min(window, order.Length - start)).ToArray();
            Array.Sort(slice, (a, b) => data.Ids[a].Length.CompareTo(data.Ids[b].Length));
            batches.AddRange(slice.Chunk(batchSize));
        }
        random.Shuffle(batches);
        return batches;
    }

    /// <summary>The (batch, seq) int64 id tensor of the examples at <paramref name="indices"/>, zero-padded.</summary>
    public static Tensor Ids(EncodedExamples data, int[] indices, Device? device = null)
    {
        int longest = indices.Max(i => data.Ids[i].Length);
        int length = Masking.PaddedLength(longest);
        var buffer = new long[indices.Length * length];
        for (int row = 0; row < indices.Length; row++)
        {
            var ids = data.Ids[indices[row]];
            for (int t = 0; t < ids.Length; t++) buffer[row * length + t] = ids[t];
        }
        return tensor(buffer, new long[] { indices.Length, length }, device: device);
    }

    /// <summary>The int64 label tensor of the examples at <paramref name="indices"/>.</summary>
    public static Tensor Labels(EncodedExamples data, int[] indices, Device? device = null) =>
        tensor(indices.Select(i => (long)data.Labels[i]).ToArray(), device: device);
}
