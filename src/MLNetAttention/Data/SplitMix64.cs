namespace MLNetAttention.Data;

/// <summary>
/// SplitMix64: a tiny seeded generator whose output is fixed by its definition, so splits are identical on every
/// .NET version and platform (System.Random's algorithm is not guaranteed).
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>An independent generator for one stream (say, one epoch) of a seeded run.</summary>
    public static SplitMix64 ForStream(long seed, long stream) =>
        new((ulong)seed ^ ((ulong)stream * 0x9E3779B97F4A7C15UL));

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) without modulo bias.</summary>
    /// <param name="n">The exclusive upper bound; at least 1.</param>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong bound = (ulong)n;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do { r = Next(); } while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>A uniform double in [0, 1) (53 random bits).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fisher-Yates shuffle in place.</summary>
    /// <param name="items">The list to shuffle.</param>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
