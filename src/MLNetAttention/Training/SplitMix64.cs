namespace MLNetAttention.Training;

/// <summary>
/// A small seeded generator whose sequence never changes across .NET versions (System.Random's
/// algorithm is an implementation detail), so shuffles and splits are reproducible everywhere.
/// </summary>
public sealed class SplitMix64
{
    private ulong state;

    /// <summary>Creates a generator from a seed; streams derived from (seed, stream) are independent.</summary>
    public SplitMix64(long seed, long stream = 0) => state = (ulong)seed ^ ((ulong)stream * 0x9E3779B97F4A7C15UL);

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive) => (int)(NextUInt64() % (ulong)maxExclusive);

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
