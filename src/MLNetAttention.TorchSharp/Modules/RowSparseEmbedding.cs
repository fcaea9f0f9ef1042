using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Modules;

/// <summary>
/// An embedding table that a trainer can update row by row. Normally it is torch's embedding: a lookup whose
/// gradient is a dense table. While <see cref="RecordLookups"/> is on (a trainer turns it on), a training
/// forward pass with gradients instead copies the rows it looks up into a small leaf tensor and records it:
/// the gradient then lands on those rows only, and the optimizer updates just them. A 100,000-row table no
/// longer costs a full-table gradient, clip and Adam pass (about 13 ms) on every step.
/// </summary>
public sealed class RowSparseEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    // Each lookup with the batch part that made it: two parts of a split step look up concurrently.
    private readonly List<(int Part, Tensor Rows, Tensor Values)> lookups = new();
    private readonly Lock lookupsLock = new();

    /// <summary>Creates a table of <paramref name="rows"/> x <paramref name="dim"/>, initialised as torch's embedding (standard normal).</summary>
    /// <param name="rows">Number of rows (ids or hash buckets).</param>
    /// <param name="dim">Width of each row.</param>
    /// <param name="paddingIndex">A row that stays as initialised and is never updated (padding), or null.</param>
    public RowSparseEmbedding(int rows, int dim, int? paddingIndex = null) : base(nameof(RowSparseEmbedding))
    {
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, "An embedding needs at least one row.");
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "An embedding needs a width of at least 1.");
        if (paddingIndex is < 0 || paddingIndex >= rows)
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), paddingIndex, $"Must be a row of the table (0..{rows - 1}).");
        PaddingIndex = paddingIndex;
        weight = new Parameter(randn(rows, dim));
        RegisterComponents();
    }

    /// <summary>The table (rows, dim).</summary>
    public Parameter Weight => weight;

    /// <summary>The row that is never updated, or null.</summary>
    public int? PaddingIndex { get; }

    /// <summary>Whether training forward passes record their looked-up rows for a row-wise optimizer.</summary>
    public bool RecordLookups { get; set; }

    /// <summary>Looks up <paramref name="ids"/> (any shape, int64): the result has one more axis of width dim.</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var shape = ids.shape.Append(weight.shape[1]).ToArray();
        if (!(RecordLookups && training && is_grad_enabled()))
        {
            var looked = weight.index_select(0, ids.flatten()).reshape(shape);
            // As torch's padding_idx: the padding row gets no gradient.
            if (PaddingIndex is int padding && looked.requires_grad)
            {
                // A scalar held in a variable, so it cannot be finalized during the native call (see Masking.FromIds).
                using var paddingId = ((long)padding).ToScalar();
                looked = looked * ids.ne(paddingId).unsqueeze(-1);
            }
            return looked.MoveToOuterDisposeScope();
        }
        var (rows, inverse, _) = unique(ids, sorted: true, return_inverse: true);
        var values = weight.detach().index_select(0, rows).requires_grad_(true);
        lock (lookupsLock) lookups.Add((TrainingStepContext.Part, rows.DetachFromDisposeScope(), values.DetachFromDisposeScope()));
        return values.index_select(0, inverse!.flatten()).reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The rows looked up since the last call and the gradient each received, summed over lookups; the padding
    /// row is left out. Null when nothing was looked up or no gradient reached the rows. Clears the record.
    /// </summary>
    public (Tensor Rows, Tensor Gradient)? TakeRowGradients()
    {
        try
        {
            // In part order (stable within a part), so merged gradients do not depend on which thread finished first.
            var reached = lookups.Where(l => l.Values.grad is not null).OrderBy(l => l.Part).ToList();
            if (reached.Count == 0) return null;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor rows, gradient;
            if (reached.Count == 1)
            {
                rows = reached[0].Rows.alias();
                gradient = reached[0].Values.grad!.alias();
            }
            else
            {
                // The same row looked up by several passes (a siamese matcher's two texts) sums its gradients.
                (rows, gradient) = SumByRow(reached.Select(l => l.Rows).ToArray(), reached.Select(l => l.Values.grad!).ToArray());
            }
            if (PaddingIndex is int padding)
            {
                var keep = rows.ne(padding).nonzero().squeeze(1);
                rows = rows.index_select(0, keep);
                gradient = gradient.index_select(0, keep);
            }
            return (rows.MoveToOuterDisposeScope(), gradient.MoveToOuterDisposeScope());
        }
        finally
        {
            ClearLookups();
        }
    }

    /// <summary>
    /// Row gradients from several sources as one: the distinct rows (sorted) and, for each, the sum of the gradient
    /// rows that name it. <paramref name="rows"/>[i] (n_i) indexes the rows of <paramref name="gradients"/>[i] (n_i, dim).
    /// </summary>
    public static (Tensor Rows, Tensor Gradient) SumByRow(Tensor[] rows, Tensor[] gradients)
    {
        using var scope = NewDisposeScope();
        var (distinct, inverse, _) = unique(cat(rows), sorted: true, return_inverse: true);
        var all = cat(gradients);
        var summed = zeros(distinct.shape[0], all.shape[1]).index_add_(0, inverse!, all, 1.0);
        return (distinct.MoveToOuterDisposeScope(), summed.MoveToOuterDisposeScope());
    }

    /// <summary>Forgets the rows recorded since the last <see cref="TakeRowGradients"/>.</summary>
    public void ClearLookups()
    {
        lock (lookupsLock)
        {
            foreach (var (_, rows, values) in lookups) { rows.Dispose(); values.Dispose(); }
            lookups.Clear();
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) ClearLookups();
        base.Dispose(disposing);
    }
}
