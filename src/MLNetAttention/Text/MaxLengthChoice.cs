using System.Globalization;

namespace MLNetAttention.Text;

/// <summary>
/// A maximum input length chosen from the token counts of a set of texts, with the statistics behind it.
/// <see cref="ToString"/> gives a line such as "max length 64 (95th percentile; longest 212)".
/// </summary>
public sealed class MaxLengthChoice
{
    private MaxLengthChoice(int maxLength, double percentile, int textCount, double meanTokenCount, int longestTokenCount, int truncatedTextCount)
    {
        MaxLength = maxLength;
        Percentile = percentile;
        TextCount = textCount;
        MeanTokenCount = meanTokenCount;
        LongestTokenCount = longestTokenCount;
        TruncatedTextCount = truncatedTextCount;
    }

    /// <summary>The chosen maximum length in tokens; at least 1.</summary>
    public int MaxLength { get; }

    /// <summary>The percentage of texts the length had to fit (100 = the longest text).</summary>
    public double Percentile { get; }

    /// <summary>Number of texts measured.</summary>
    public int TextCount { get; }

    /// <summary>Mean number of tokens per text.</summary>
    public double MeanTokenCount { get; }

    /// <summary>Number of tokens in the longest text.</summary>
    public int LongestTokenCount { get; }

    /// <summary>Number of texts with more than <see cref="MaxLength"/> tokens.</summary>
    public int TruncatedTextCount { get; }

    /// <summary>
    /// Chooses the smallest length that at least <paramref name="percentile"/> percent of the texts fit into
    /// (nearest-rank percentile; 100 gives the longest text).
    /// </summary>
    /// <param name="tokenCounts">Number of tokens of each text.</param>
    /// <param name="percentile">Greater than 0 and at most 100.</param>
    /// <exception cref="ArgumentException"><paramref name="tokenCounts"/> is empty or has a negative count.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is not in (0, 100].</exception>
    public static MaxLengthChoice FromTokenCounts(IEnumerable<int> tokenCounts, double percentile = 100)
    {
        ArgumentNullException.ThrowIfNull(tokenCounts);
        if (!(percentile > 0 && percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "The percentile must be greater than 0 and at most 100.");
        int[] sorted = tokenCounts.ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException("There are no token counts to choose from.", nameof(tokenCounts));
        Array.Sort(sorted);
        if (sorted[0] < 0)
            throw new ArgumentException($"Token counts cannot be negative (found {sorted[0]}).", nameof(tokenCounts));

        int rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        int maxLength = Math.Max(1, sorted[Math.Clamp(rank, 1, sorted.Length) - 1]);
        int truncated = sorted.Count(count => count > maxLength);
        return new MaxLengthChoice(maxLength, percentile, sorted.Length, sorted.Average(), sorted[^1], truncated);
    }

    /// <summary>Describes the choice, e.g. "max length 64 (95th percentile; longest 212)".</summary>
    public override string ToString()
    {
        if (Percentile >= 100)
            return string.Create(CultureInfo.InvariantCulture, $"max length {MaxLength} (longest text)");
        return string.Create(CultureInfo.InvariantCulture, $"max length {MaxLength} ({Ordinal(Percentile)} percentile; longest {LongestTokenCount})");
    }

    private static string Ordinal(double value)
    {
        string number = value.ToString("0.##", CultureInfo.InvariantCulture);
        if (value != Math.Floor(value))
            return number + "th";
        int n = (int)value;
        string suffix = (n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return number + suffix;
    }
}
