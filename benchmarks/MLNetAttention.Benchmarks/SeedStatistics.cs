namespace MLNetAttention.Benchmarks;

/// <summary>The mean and sample standard deviation of one figure over seeds, as every results table reports it.</summary>
internal static class SeedStatistics
{
    /// <summary>Mean and sample standard deviation (0 for a single run).</summary>
    public static (double Mean, double Std) Of(IReadOnlyCollection<double> values)
    {
        double mean = values.Average();
        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Count - 1));
        return (mean, std);
    }
}
