namespace MLNetAttention.Faithfulness;

/// <summary>The statistics the faithfulness checks use: Kendall's tau-b and the Jensen-Shannon divergence.</summary>
public static class FaithfulnessStatistics
{
    /// <summary>
    /// Kendall's tau-b rank correlation of two equally long series, corrected for ties in either:
    /// (concordant − discordant) / sqrt((n0 − tiesX)(n0 − tiesY)), with n0 = n(n − 1)/2.
    /// </summary>
    /// <returns>A value in [−1, 1]; NaN when either series is constant or has fewer than two values.</returns>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count) throw new ArgumentException($"The series have {x.Count} and {y.Count} values; they must be equally long.", nameof(y));
        int n = x.Count;
        long concordant = 0, discordant = 0, tiedX = 0, tiedY = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                if (sx == 0) tiedX++;
                if (sy == 0) tiedY++;
                if (sx == 0 || sy == 0) continue;
                if (sx == sy) concordant++; else discordant++;
            }
        }
        double pairs = n * (n - 1) / 2.0;
        double denominator = Math.Sqrt((pairs - tiedX) * (pairs - tiedY));
        if (denominator == 0) return double.NaN;
        return Math.Clamp((concordant - discordant) / denominator, -1, 1);
    }

    /// <summary>Kendall's tau-b of two float series (see <see cref="KendallTauB(IReadOnlyList{double}, IReadOnlyList{double})"/>).</summary>
    public static double KendallTauB(IReadOnlyList<float> x, IReadOnlyList<float> y) =>
        KendallTauB(x.Select(v => (double)v).ToArray(), y.Select(v => (double)v).ToArray());

    /// <summary>
    /// The Jensen-Shannon divergence (natural log) of two distributions over the same outcomes: symmetric, 0 for
    /// identical distributions, at most ln 2. Each input is normalised to sum to 1 first.
    /// </summary>
    /// <exception cref="ArgumentException">Different lengths, a negative value, or a sum of 0.</exception>
    public static double JensenShannon(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        if (p.Count != q.Count) throw new ArgumentException($"The distributions have {p.Count} and {q.Count} outcomes; they must have the same.", nameof(q));
        double sp = Sum(p, nameof(p)), sq = Sum(q, nameof(q));
        return HeadDiversity.JensenShannon(p.Select(v => v / sp).ToArray(), q.Select(v => v / sq).ToArray());
    }

    /// <summary>The Jensen-Shannon divergence of two float distributions (see <see cref="JensenShannon(IReadOnlyList{double}, IReadOnlyList{double})"/>).</summary>
    public static double JensenShannon(IReadOnlyList<float> p, IReadOnlyList<float> q) =>
        JensenShannon(p.Select(v => (double)v).ToArray(), q.Select(v => (double)v).ToArray());

    private static double Sum(IReadOnlyList<double> values, string name)
    {
        double sum = 0;
        foreach (var v in values)
        {
            if (v < 0 || double.IsNaN(v)) throw new ArgumentException($"A probability is {v}; it must be 0 or more.", name);
            sum += v;
        }
        if (sum <= 0) throw new ArgumentException("The distribution sums to 0.", name);
        return sum;
    }
}
