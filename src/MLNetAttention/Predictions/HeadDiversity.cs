namespace MLNetAttention;

/// <summary>
/// How differently the heads of a multi-head pooling weigh the same texts: the mean pairwise Jensen–Shannon
/// divergence between the heads' weight distributions, next to the heads' mean divergence from uniform weights.
/// </summary>
/// <remarks>
/// Add predictions one at a time (a whole test set streams in constant memory), then read <see cref="Result"/>.
/// Texts of one token are skipped: every distribution over one token is the same. Divergences are in nats (at most
/// ln 2 ≈ 0.693). A single-head model gets only the divergence from uniform, which is how flat its weights are.
/// </remarks>
public sealed class HeadDiversity
{
    private readonly int _heads;
    private readonly double[,] _pairSums;
    private readonly double[] _uniformSums;
    private int _texts;

    /// <summary>Creates an empty accumulator for a model with <paramref name="heads"/> weight rows per text.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heads"/> is less than 1.</exception>
    public HeadDiversity(int heads)
    {
        if (heads < 1) throw new ArgumentOutOfRangeException(nameof(heads), heads, "A model has at least one head.");
        _heads = heads;
        _pairSums = new double[_heads, _heads];
        _uniformSums = new double[_heads];
    }

    /// <summary>Adds one prediction's weights.</summary>
    /// <exception cref="ArgumentException">The prediction has a different number of heads.</exception>
    public void Add(ClassPrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        if (prediction.Heads != _heads)
            throw new ArgumentException($"The prediction has {prediction.Heads} heads; this accumulator was made for {_heads}.", nameof(prediction));
        var rows = new double[_heads][];
        for (int h = 0; h < _heads; h++) rows[h] = new double[prediction.Tokens.Count];
        for (int t = 0; t < prediction.Tokens.Count; t++)
            for (int h = 0; h < _heads; h++) rows[h][t] = prediction.Tokens[t].Weights[h];
        Add(rows);
    }

    /// <summary>Adds one text's weights: one row per head, one value per token, each row a distribution.</summary>
    /// <exception cref="ArgumentException">The wrong number of rows, rows of different lengths, or a negative or non-finite weight.</exception>
    public void Add(IReadOnlyList<IReadOnlyList<double>> headWeights)
    {
        ArgumentNullException.ThrowIfNull(headWeights);
        if (headWeights.Count != _heads)
            throw new ArgumentException($"Expected {_heads} weight rows (one per head), got {headWeights.Count}.", nameof(headWeights));
        int length = headWeights[0].Count;
        var rows = new double[_heads][];
        for (int h = 0; h < _heads; h++)
        {
            if (headWeights[h].Count != length)
                throw new ArgumentException($"Head {h + 1} has {headWeights[h].Count} weights; head 1 has {length}. Every head weighs the same tokens.", nameof(headWeights));
            rows[h] = Normalized(headWeights[h], h);
        }
        if (length < 2) return;
        var uniform = new double[length];
        Array.Fill(uniform, 1.0 / length);
        for (int h = 0; h < _heads; h++)
        {
            _uniformSums[h] += JensenShannon(rows[h], uniform);
            for (int g = h + 1; g < _heads; g++) _pairSums[h, g] += JensenShannon(rows[h], rows[g]);
        }
        _texts++;
    }

    /// <summary>The figures over the texts added so far.</summary>
    public HeadDiversityResult Result
    {
        get
        {
            var fromUniform = _uniformSums.Select(s => _texts == 0 ? 0 : s / _texts).ToArray();
            var pairwise = new double[_heads][];
            for (int h = 0; h < _heads; h++) pairwise[h] = new double[_heads];
            double pairTotal = 0;
            for (int h = 0; h < _heads; h++)
                for (int g = h + 1; g < _heads; g++)
                {
                    double mean = _texts == 0 ? 0 : _pairSums[h, g] / _texts;
                    pairwise[h][g] = pairwise[g][h] = mean;
                    pairTotal += mean;
                }
            int pairs = _heads * (_heads - 1) / 2;
            return new HeadDiversityResult
            {
                Heads = _heads,
                Texts = _texts,
                MeanDivergenceFromUniform = fromUniform.Average(),
                HeadDivergenceFromUniform = fromUniform,
                MeanPairwiseDivergence = pairs == 0 ? null : pairTotal / pairs,
                PairwiseDivergence = pairwise,
            };
        }
    }

    /// <summary>
    /// The Jensen–Shannon divergence (nats, 0 to ln 2) of two distributions over the same outcomes, each summing to 1;
    /// 0 for equal ones.
    /// </summary>
    public static double JensenShannon(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(q);
        if (p.Count != q.Count) throw new ArgumentException($"The distributions have {p.Count} and {q.Count} outcomes.", nameof(q));
        double sum = 0;
        for (int i = 0; i < p.Count; i++)
        {
            double m = 0.5 * (p[i] + q[i]);
            if (p[i] > 0) sum += 0.5 * p[i] * Math.Log(p[i] / m);
            if (q[i] > 0) sum += 0.5 * q[i] * Math.Log(q[i] / m);
        }
        // Rounding can leave -1e-17 for equal distributions, or a hair over ln 2 for disjoint ones.
        return Math.Clamp(sum, 0, Math.Log(2));
    }

    private static double[] Normalized(IReadOnlyList<double> row, int head)
    {
        var values = new double[row.Count];
        double total = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double w = row[i];
            if (!double.IsFinite(w) || w < 0)
                throw new ArgumentException($"Head {head + 1} has weight {w} at token {i + 1}; weights are finite and non-negative.", nameof(row));
            values[i] = w;
            total += w;
        }
        if (values.Length > 0 && total <= 0)
            throw new ArgumentException($"Head {head + 1}'s weights sum to 0; a head's weights form a distribution.", nameof(row));
        // float weights sum to 1 only within rounding; renormalise so the divergence is exact for what they mean.
        for (int i = 0; i < values.Length; i++) values[i] /= total;
        return values;
    }
}

/// <summary>The head diversity of a model on a set of texts (see <see cref="HeadDiversity"/>).</summary>
public sealed class HeadDiversityResult
{
    /// <summary>Weight rows per text.</summary>
    public required int Heads { get; init; }

    /// <summary>Texts measured (texts of at least two tokens).</summary>
    public required int Texts { get; init; }

    /// <summary>Mean over heads and texts of the divergence of a head's weights from uniform weights: how peaked the heads are.</summary>
    public required double MeanDivergenceFromUniform { get; init; }

    /// <summary>Per head, the mean divergence of its weights from uniform weights.</summary>
    public required double[] HeadDivergenceFromUniform { get; init; }

    /// <summary>Mean over head pairs and texts of the divergence between two heads' weights; null for one head.</summary>
    public required double? MeanPairwiseDivergence { get; init; }

    /// <summary>Per pair of heads, the mean divergence between their weights (symmetric; 0 on the diagonal).</summary>
    public required double[][] PairwiseDivergence { get; init; }

    /// <summary>
    /// <see cref="MeanPairwiseDivergence"/> / <see cref="MeanDivergenceFromUniform"/>: 0 when the heads are copies of
    /// one another, 1 when they differ from each other as much as from uniform weights. Null for one head, or when
    /// every head is exactly uniform.
    /// </summary>
    public double? DiversityRatio =>
        MeanPairwiseDivergence is { } pairwise && MeanDivergenceFromUniform > 0 ? pairwise / MeanDivergenceFromUniform : null;
}
