using MLNetAttention.Data;
namespace MLNetAttention.Training.Matching;

/// <summary>One training triplet: indices into <see cref="TripletSampler.Texts"/>.</summary>
/// <param name="Anchor">The first sentence of a matching pair.</param>
/// <param name="Positive">Its match.</param>
/// <param name="Negative">A sentence that is neither the positive nor any other known match of the anchor.</param>
public readonly record struct Triplet(int Anchor, int Positive, int Negative);

/// <summary>
/// Draws (anchor, positive, negative) triplets from labelled pairs. Sentences are identified by their token ids,
/// so two texts the model cannot tell apart are one sentence. Every matching pair (label 1) gives one triplet per
/// epoch. With probability <see cref="HardNegativeShare"/> the negative is one of the anchor's labelled
/// non-matches (label 0 pairs), when it has any; otherwise it is drawn uniformly from every second sentence.
/// A candidate equal to the positive, to the anchor or to any known match of the anchor is rejected and redrawn:
/// the original sampler drew uniformly over all second sentences and so sometimes returned the positive as its
/// own negative, which pushes a pair's score down and up at once.
/// </summary>
public sealed class TripletSampler
{
    private const int MaxRedraws = 64;
    private readonly List<int[]> _texts = new();
    private readonly List<(int Anchor, int Positive)> _positives = new();
    private readonly Dictionary<int, HashSet<int>> _matchesOf = new();
    private readonly Dictionary<int, List<int>> _labelledNegativesOf = new();
    private readonly int[] _pool;

    /// <summary>Indexes the pairs.</summary>
    /// <param name="ids1">Token ids of the first sentences (anchors).</param>
    /// <param name="ids2">Token ids of the second sentences.</param>
    /// <param name="labels">1 = match, 0 = no match.</param>
    /// <param name="hardNegativeShare">The probability of using a labelled non-match as the negative, in [0, 1].</param>
    /// <exception cref="ArgumentException">No matching pair, or no second sentence can serve as a negative.</exception>
    public TripletSampler(IReadOnlyList<int[]> ids1, IReadOnlyList<int[]> ids2, IReadOnlyList<int> labels, double hardNegativeShare = 0.5)
    {
        ArgumentNullException.ThrowIfNull(ids1);
        ArgumentNullException.ThrowIfNull(ids2);
        ArgumentNullException.ThrowIfNull(labels);
        if (ids1.Count != ids2.Count || ids1.Count != labels.Count)
            throw new ArgumentException("ids1, ids2 and labels must have the same length.", nameof(labels));
        if (hardNegativeShare is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(hardNegativeShare), hardNegativeShare, "Must be in [0, 1].");
        HardNegativeShare = hardNegativeShare;
        var index = new Dictionary<int[], int>(SequenceComparer.Instance);
        int Intern(int[] ids)
        {
            if (!index.TryGetValue(ids, out int id)) { id = _texts.Count; index[ids] = id; _texts.Add(ids); }
            return id;
        }
        var secondSentences = new HashSet<int>();
        for (int i = 0; i < ids1.Count; i++)
        {
            int a = Intern(ids1[i]), b = Intern(ids2[i]);
            secondSentences.Add(b);
            if (labels[i] == 1)
            {
                _positives.Add((a, b));
                Add(_matchesOf, a, b);
            }
        }
        for (int i = 0; i < ids1.Count; i++)
        {
            if (labels[i] == 1) continue;
            int a = index[ids1[i]], b = index[ids2[i]];
            if (!(_matchesOf.TryGetValue(a, out var m) && m.Contains(b)) && a != b)
                (_labelledNegativesOf.TryGetValue(a, out var list) ? list : _labelledNegativesOf[a] = new List<int>()).Add(b);
        }
        _pool = secondSentences.Order().ToArray();
        if (_positives.Count == 0)
            throw new ArgumentException("There is no matching pair (label 1): a triplet matcher needs positives.", nameof(labels));
        foreach (var (a, p) in _positives)
            if (_pool.All(c => !IsValidNegative(a, p, c)))
                throw new ArgumentException("Some anchor has no possible negative: every second sentence is one of its matches. Add more distinct pairs.", nameof(ids2));
    }

    /// <summary>The distinct sentences (token ids) the triplets index.</summary>
    public IReadOnlyList<int[]> Texts => _texts;

    /// <summary>The number of matching pairs, hence of triplets per <see cref="Sample"/>.</summary>
    public int PositiveCount => _positives.Count;

    /// <summary>The probability of using a labelled non-match as the negative.</summary>
    public double HardNegativeShare { get; }

    /// <summary>Whether <paramref name="negative"/> may serve as the negative of (<paramref name="anchor"/>, <paramref name="positive"/>).</summary>
    public bool IsValidNegative(int anchor, int positive, int negative) =>
        negative != positive && negative != anchor && !(_matchesOf.TryGetValue(anchor, out var m) && m.Contains(negative));

    /// <summary>One triplet per matching pair, in pair order, drawn with <paramref name="random"/>.</summary>
    public IReadOnlyList<Triplet> Sample(SplitMix64 random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var triplets = new Triplet[_positives.Count];
        for (int i = 0; i < _positives.Count; i++)
        {
            var (a, p) = _positives[i];
            triplets[i] = new Triplet(a, p, DrawNegative(a, p, random));
        }
        return triplets;
    }

    private int DrawNegative(int anchor, int positive, SplitMix64 random)
    {
        if (_labelledNegativesOf.TryGetValue(anchor, out var hard) && random.NextDouble() < HardNegativeShare)
            return hard[random.NextInt(hard.Count)];
        for (int attempt = 0; attempt < MaxRedraws; attempt++)
        {
            int candidate = _pool[random.NextInt(_pool.Length)];
            if (IsValidNegative(anchor, positive, candidate)) return candidate;
        }
        // Almost every second sentence is a match of this anchor: pick uniformly among the valid ones.
        var valid = _pool.Where(c => IsValidNegative(anchor, positive, c)).ToArray();
        return valid[random.NextInt(valid.Length)];
    }

    private static void Add(Dictionary<int, HashSet<int>> map, int key, int value)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = new HashSet<int>();
        set.Add(value);
    }

    private sealed class SequenceComparer : IEqualityComparer<int[]>
    {
        public static readonly SequenceComparer Instance = new();

        public bool Equals(int[]? x, int[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(int[] obj)
        {
            var hash = new HashCode();
            foreach (int id in obj) hash.Add(id);
            return hash.ToHashCode();
        }
    }
}
