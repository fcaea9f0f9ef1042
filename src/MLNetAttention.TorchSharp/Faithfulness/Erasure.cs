using MLNetAttention.Data;
using MLNetAttention.Text;

namespace MLNetAttention.Faithfulness;

/// <summary>Chooses which tokens of a text to erase and erases them.</summary>
public static class Erasure
{
    /// <summary>
    /// The number of tokens to erase from a text of <paramref name="length"/> tokens: ceil(fraction × length),
    /// at least 1 and at most length − 1 (so one token always remains); 0 for a one-token text.
    /// </summary>
    /// <param name="fraction">The fraction of the length, in (0, 1].</param>
    /// <param name="length">The text's length in tokens.</param>
    public static int KFor(double fraction, int length)
    {
        if (length <= 1) return 0;
        int k = (int)Math.Ceiling(fraction * length - 1e-9);
        return Math.Clamp(k, 1, length - 1);
    }

    /// <summary>The positions of the <paramref name="k"/> highest weights, highest first; ties go to the earlier position.</summary>
    /// <param name="weights">One weight per token.</param>
    /// <param name="k">How many positions (at most the length).</param>
    public static int[] TopK(IReadOnlyList<float> weights, int k) => Ranked(weights, descending: true, k);

    /// <summary>The positions of the <paramref name="k"/> lowest weights, lowest first; ties go to the earlier position.</summary>
    /// <param name="weights">One weight per token.</param>
    /// <param name="k">How many positions (at most the length).</param>
    public static int[] BottomK(IReadOnlyList<float> weights, int k) => Ranked(weights, descending: false, k);

    /// <summary><paramref name="k"/> distinct positions of 0..length−1 drawn uniformly (a partial Fisher-Yates shuffle).</summary>
    /// <param name="length">The text's length in tokens.</param>
    /// <param name="k">How many positions (at most <paramref name="length"/>).</param>
    /// <param name="random">The generator; the same state gives the same positions.</param>
    public static int[] RandomK(int length, int k, SplitMix64 random)
    {
        ArgumentNullException.ThrowIfNull(random);
        CheckK(k, length);
        var order = new int[length];
        for (int i = 0; i < length; i++) order[i] = i;
        for (int i = 0; i < k; i++)
        {
            int j = i + random.NextInt(length - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..k];
    }

    /// <summary>
    /// A copy of <paramref name="ids"/> with the tokens at <paramref name="positions"/> erased: replaced by
    /// <see cref="AttentionTokenizer.UnknownId"/>, or removed (the result is then shorter by the number of distinct positions).
    /// </summary>
    /// <param name="ids">Token ids without padding.</param>
    /// <param name="positions">Positions to erase (0-based, each below the length).</param>
    /// <param name="mode">Replace or remove.</param>
    public static int[] Erase(IReadOnlyList<int> ids, IReadOnlyCollection<int> positions, EraseMode mode)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(positions);
        var erase = new bool[ids.Count];
        foreach (int p in positions)
        {
            if (p < 0 || p >= ids.Count) throw new ArgumentOutOfRangeException(nameof(positions), p, $"A position must be in 0..{ids.Count - 1}.");
            erase[p] = true;
        }
        if (mode == EraseMode.Unknown)
        {
            var replaced = new int[ids.Count];
            for (int i = 0; i < replaced.Length; i++) replaced[i] = erase[i] ? AttentionTokenizer.UnknownId : ids[i];
            return replaced;
        }
        var kept = new List<int>(ids.Count);
        for (int i = 0; i < ids.Count; i++) if (!erase[i]) kept.Add(ids[i]);
        return kept.ToArray();
    }

    private static int[] Ranked(IReadOnlyList<float> weights, bool descending, int k)
    {
        ArgumentNullException.ThrowIfNull(weights);
        CheckK(k, weights.Count);
        var order = Enumerable.Range(0, weights.Count).ToArray();
        // A stable sort: equal weights keep text order.
        var sorted = descending
            ? order.OrderByDescending(i => weights[i]).ThenBy(i => i)
            : order.OrderBy(i => weights[i]).ThenBy(i => i);
        return sorted.Take(k).ToArray();
    }

    private static void CheckK(int k, int length)
    {
        if (k < 0 || k > length) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in 0..{length} (the text's length).");
    }
}
