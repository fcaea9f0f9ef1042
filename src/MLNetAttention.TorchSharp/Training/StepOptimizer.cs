using MLNetAttention.Modules;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Training;

/// <summary>
/// The optimizer of every trainer: torch's Adam or AdamW for the dense parameters, and the same rule applied
/// row by row to each <see cref="RowSparseEmbedding"/> table: only the rows a step looked up are touched.
/// Dense Adam over a token table cost as much as the rest of a training step, and grows with the table
/// (measured: 10x per step for 200,000 hashed bigrams). Plain lazy Adam (TensorFlow's LazyAdam) forgets that
/// dense Adam keeps moving a row on its decaying momentum while the row is absent, and learned rare tokens
/// slower (1.5 points lower on the bundled poetry sample); so when a row comes back after k absent steps,
/// it first gets those k momentum steps in closed form (a geometric sum, exact but for epsilon and the bias
/// corrections, which are taken at the current step), its moments decay by beta^k, and AdamW's decay is
/// applied k times. Adam's L2 decay (<see cref="TrainingOptions.WeightDecay"/> with Adam) is applied to
/// looked-up rows only. <see cref="TrainingOptions.EmbeddingOptimizer"/> can give the rows Adagrad or SGD instead
/// (exact row by row: neither has momentum), at <see cref="TrainingOptions.EmbeddingLearningRate"/>. Gradient
/// clipping covers both kinds of parameter with one global norm. With
/// <see cref="TrainingOptions.AverageWeightsOverSteps"/> it also keeps a moving average of all weights, which the
/// epoch loop swaps in for validation and keeps as the model.
/// </summary>
internal sealed class StepOptimizer : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    private readonly OptimizerHelper dense;
    private readonly List<Parameter> denseParameters;
    private readonly RowSparseEmbedding[] tables;
    private readonly Tensor[] firstMoments, secondMoments, lastUpdates;
    private readonly (Tensor Rows, Tensor Gradient)?[] pending;
    private readonly TrainingOptions options;
    private readonly Parameter[] allParameters;
    private readonly int averageEvery;
    private readonly double averageDecay;
    private Tensor[]? averages;
    private Tensor[]? heldWeights;
    private long steps;
    // Adam's moments and step counts of the dense parameters when the managed pass updates them (CPU float32), else null.
    private readonly Tensor[]? denseFirst, denseSecond;
    private readonly long[]? denseSteps;

    public StepOptimizer(nn.Module model, TrainingOptions options)
    {
        this.options = options;
        tables = options.RowSparseEmbeddingUpdates ? model.modules().OfType<RowSparseEmbedding>().ToArray() : Array.Empty<RowSparseEmbedding>();
        var sparse = tables.Select(t => t.Weight.Handle).ToHashSet();
        denseParameters = model.parameters().Where(p => !sparse.Contains(p.Handle)).ToList();
        dense = options.Optimizer == OptimizerKind.AdamW
            ? optim.AdamW(denseParameters, options.LearningRate, Beta1, Beta2, Epsilon, options.WeightDecay)
            : optim.Adam(denseParameters, options.LearningRate, Beta1, Beta2, Epsilon, options.WeightDecay);
        firstMoments = tables.Select(t => zeros_like(t.Weight).DetachFromDisposeScope()).ToArray();
        secondMoments = tables.Select(t => zeros_like(t.Weight).DetachFromDisposeScope()).ToArray();
        lastUpdates = tables.Select(t => zeros(t.Weight.shape[0], 1).DetachFromDisposeScope()).ToArray();
        pending = new (Tensor, Tensor)?[tables.Length];
        foreach (var table in tables) table.RecordLookups = true;
        if (denseParameters.All(Addressable))
        {
            denseFirst = denseParameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            denseSecond = denseParameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            denseSteps = new long[denseParameters.Count];
        }
        LearningRate = options.LearningRate;
        allParameters = model.parameters().ToArray();
        if (options.AverageWeightsOverSteps > 0)
        {
            // About 20 samples per window; each sample moves the average by interval / window.
            averageEvery = Math.Max(1, options.AverageWeightsOverSteps / 20);
            averageDecay = Math.Max(0, 1 - (double)averageEvery / options.AverageWeightsOverSteps);
        }
    }

    /// <summary>The learning rate of the next step, for every parameter.</summary>
    public double LearningRate
    {
        get => dense.ParamGroups.First().LearningRate;
        set { foreach (var group in dense.ParamGroups) group.LearningRate = value; }
    }

    /// <summary>Clears the gradients and the rows recorded since the last step.</summary>
    public void ZeroGrad()
    {
        dense.zero_grad();
        for (int i = 0; i < tables.Length; i++) { tables[i].ClearLookups(); Release(i); }
    }

    /// <summary>
    /// Scales every gradient so their global L2 norm is at most <paramref name="maxNorm"/>, as torch's
    /// clip_grad_norm_; call after backward and before <see cref="Step"/>. Returns the norm before clipping.
    /// </summary>
    public double ClipGradientNorm(double maxNorm)
    {
        CollectRowGradients();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gradients = denseParameters.Select(p => p.grad).OfType<Tensor>()
            .Concat(pending.Where(p => p is not null).Select(p => p!.Value.Gradient)).ToList();
        if (gradients.Count == 0) return 0;
        if (gradients.All(Addressable))
        {
            // One managed pass over the gradients instead of a norm, a stack and a scale op per tensor.
            double squares = 0;
            foreach (var g in gradients) squares += SumOfSquares(MemoryMarshal.Cast<byte, float>(g.bytes));
            double total = Math.Sqrt(squares), factor = maxNorm / (total + 1e-6);
            if (factor < 1) foreach (var g in gradients) Scale(MemoryMarshal.Cast<byte, float>(g.bytes), (float)factor);
            return total;
        }
        double norm = stack(gradients.Select(g => g.norm()).ToArray()).norm().item<float>();
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) foreach (var g in gradients) g.mul_(scale);
        return norm;
    }

    /// <summary>Updates the dense parameters and the looked-up rows of each table.</summary>
    public void Step()
    {
        CollectRowGradients();
        if (denseFirst is null) dense.step();
        else StepDenseInPlace();
        steps++;
        using (NewDisposeScope())
        using (no_grad())
        {
            if (options.EmbeddingOptimizer == EmbeddingOptimizerKind.SameAsModel) StepRowsWithAdam();
            else StepWithoutMomentum(LearningRate * RowRateFactor, options.WeightDecay);
        }
        if (averageEvery > 0 && steps % averageEvery == 0) SampleAverage();
    }

    // Adam on the looked-up rows, after catching each up on the steps it missed.
    private void StepRowsWithAdam()
    {
        double rate = LearningRate * RowRateFactor, decay = options.WeightDecay;
        for (int i = 0; i < tables.Length; i++)
        {
            if (pending[i] is not (var rows, var gradient)) continue;
            var table = tables[i].Weight;
            if (RowKernelApplies(i, gradient))
            {
                StepRowsWithAdamInPlace(i, rows, gradient);
                Release(i);
                continue;
            }
            var current = table.index_select(0, rows);
            var m = firstMoments[i].index_select(0, rows);
            var v = secondMoments[i].index_select(0, rows);
            CatchUp(current, m, v, lastUpdates[i].index_select(0, rows).neg_().add_(steps - 1));
            lastUpdates[i].index_fill_(0, rows, (double)steps);

            if (decay > 0 && options.Optimizer == OptimizerKind.Adam) gradient = gradient.add(current, decay);
            if (decay > 0 && options.Optimizer == OptimizerKind.AdamW) current.mul_(1 - rate * decay);
            m.mul_(Beta1).add_(gradient, 1 - Beta1);
            v.mul_(Beta2).addcmul_(gradient, gradient, 1 - Beta2);
            firstMoments[i].index_copy_(0, rows, m);
            secondMoments[i].index_copy_(0, rows, v);
            table.index_copy_(0, rows, current.sub_(AdamMove(m, v)));
            Release(i);
        }
    }

    // The managed passes need float32 CPU tensors they can address as one span each.
    private static bool Addressable(Tensor tensor) =>
        tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32 && tensor.is_contiguous()
        && tensor.numel() * sizeof(float) <= int.MaxValue;

    private bool RowKernelApplies(int i, Tensor gradient) => Addressable(tables[i].Weight) && Addressable(gradient);

    // torch's Adam or AdamW on each dense parameter, as one managed pass over its elements: torch's optimizer ran
    // about ten small ops per parameter, about 0.5 ms of a poetry step during which the step's other thread waits.
    private void StepDenseInPlace()
    {
        using var scope = NewDisposeScope();
        for (int j = 0; j < denseParameters.Count; j++)
        {
            // As torch's optimizer: a parameter without a gradient is skipped and keeps its own step count.
            if (denseParameters[j].grad is not { } gradient) continue;
            var g = gradient.is_contiguous() ? gradient : gradient.contiguous();
            var factors = FactorsAt(LearningRate, ++denseSteps![j]);
            AdamRow(MemoryMarshal.Cast<byte, float>(denseParameters[j].bytes), MemoryMarshal.Cast<byte, float>(denseFirst![j].bytes),
                MemoryMarshal.Cast<byte, float>(denseSecond![j].bytes), MemoryMarshal.Cast<byte, float>(g.bytes), factors);
        }
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        int lanes = Vector<float>.Count, i = 0;
        var sum = Vector<double>.Zero;
        for (; i + lanes <= values.Length; i += lanes)
        {
            var v = new Vector<float>(values.Slice(i));
            Vector.Widen(v * v, out var low, out var high);
            sum += low + high;
        }
        double total = Vector.Sum(sum);
        for (; i < values.Length; i++) total += (double)values[i] * values[i];
        return total;
    }

    private static void Scale(Span<float> values, float factor)
    {
        int lanes = Vector<float>.Count, i = 0;
        for (; i + lanes <= values.Length; i += lanes) (new Vector<float>(values.Slice(i)) * factor).CopyTo(values.Slice(i));
        for (; i < values.Length; i++) values[i] *= factor;
    }

    // StepRowsWithAdam's rule in one managed pass per looked-up row, reading and writing the table and its moments
    // in place: libtorch spent about 1 ms of a poetry step on the twenty gathers, scatters and small elementwise ops
    // of the tensor form, and the step waits for it. Same arithmetic in float32, with the per-row factors in double.
    private void StepRowsWithAdamInPlace(int i, Tensor rows, Tensor gradient)
    {
        var weights = MemoryMarshal.Cast<byte, float>(tables[i].Weight.bytes);
        var first = MemoryMarshal.Cast<byte, float>(firstMoments[i].bytes);
        var second = MemoryMarshal.Cast<byte, float>(secondMoments[i].bytes);
        var last = MemoryMarshal.Cast<byte, float>(lastUpdates[i].bytes);
        var ids = MemoryMarshal.Cast<byte, long>(rows.bytes);
        var gradients = MemoryMarshal.Cast<byte, float>(gradient.bytes);
        int dim = (int)tables[i].Weight.shape[1];
        double rate = LearningRate * RowRateFactor, decay = options.WeightDecay;
        var factors = FactorsAt(rate, steps);
        double ratio = Beta1 / Math.Sqrt(Beta2);
        for (int k = 0; k < ids.Length; k++)
        {
            int start = checked((int)ids[k] * dim);
            var w = weights.Slice(start, dim);
            var m = first.Slice(start, dim);
            var v = second.Slice(start, dim);
            double missed = steps - 1 - last[(int)ids[k]];
            if (missed > 0)
            {
                // The momentum moves dense Adam made while the row was absent (CatchUp, closed form).
                float momentumSum = (float)((1 - Math.Pow(ratio, missed)) * (ratio / (1 - ratio)));
                float absentShrink = decay > 0 && options.Optimizer == OptimizerKind.AdamW ? (float)Math.Pow(1 - rate * decay, missed) : 1f;
                CatchUpRow(w, m, v, factors.StepSize * momentumSum, factors.SecondCorrection, absentShrink,
                    (float)Math.Pow(Beta1, missed), (float)Math.Pow(Beta2, missed));
            }
            last[(int)ids[k]] = steps;
            AdamRow(w, m, v, gradients.Slice(k * dim, dim), factors);
        }
    }

    private readonly record struct AdamFactors(float StepSize, float SecondCorrection, float Shrink, float L2);

    // Adam's constants at a step: the bias-corrected step size, sqrt of the second bias correction, AdamW's decay
    // factor and Adam's L2 coefficient (1 and 0 when they do not apply).
    private AdamFactors FactorsAt(double rate, long step)
    {
        double decay = options.WeightDecay;
        return new AdamFactors(
            StepSize: (float)(rate / (1 - Math.Pow(Beta1, step))),
            SecondCorrection: (float)Math.Sqrt(1 - Math.Pow(Beta2, step)),
            Shrink: decay > 0 && options.Optimizer == OptimizerKind.AdamW ? (float)(1 - rate * decay) : 1f,
            L2: decay > 0 && options.Optimizer == OptimizerKind.Adam ? (float)decay : 0f);
    }

    private static void CatchUpRow(Span<float> w, Span<float> m, Span<float> v, float moveScale, float secondCorrection,
        float shrink, float decay1, float decay2)
    {
        int lanes = Vector<float>.Count, j = 0;
        var correction = new Vector<float>(secondCorrection);
        var epsilon = new Vector<float>((float)Epsilon);
        for (; j + lanes <= w.Length; j += lanes)
        {
            var mj = new Vector<float>(m.Slice(j));
            var vj = new Vector<float>(v.Slice(j));
            var wj = new Vector<float>(w.Slice(j));
            ((wj - mj / (Vector.SquareRoot(vj) / correction + epsilon) * moveScale) * shrink).CopyTo(w.Slice(j));
            (mj * decay1).CopyTo(m.Slice(j));
            (vj * decay2).CopyTo(v.Slice(j));
        }
        for (; j < w.Length; j++)
        {
            w[j] = (w[j] - m[j] / (MathF.Sqrt(v[j]) / secondCorrection + (float)Epsilon) * moveScale) * shrink;
            m[j] *= decay1;
            v[j] *= decay2;
        }
    }

    private static void AdamRow(Span<float> w, Span<float> m, Span<float> v, ReadOnlySpan<float> g, AdamFactors f)
    {
        const float b1 = (float)Beta1, b2 = (float)Beta2;
        int lanes = Vector<float>.Count, j = 0;
        var correction = new Vector<float>(f.SecondCorrection);
        var epsilon = new Vector<float>((float)Epsilon);
        for (; j + lanes <= w.Length; j += lanes)
        {
            var wj = new Vector<float>(w.Slice(j));
            var gj = new Vector<float>(g.Slice(j)) + wj * f.L2;
            var mj = new Vector<float>(m.Slice(j)) * b1 + gj * (1 - b1);
            var vj = new Vector<float>(v.Slice(j)) * b2 + gj * gj * (1 - b2);
            (wj * f.Shrink - mj / (Vector.SquareRoot(vj) / correction + epsilon) * f.StepSize).CopyTo(w.Slice(j));
            mj.CopyTo(m.Slice(j));
            vj.CopyTo(v.Slice(j));
        }
        for (; j < w.Length; j++)
        {
            float gj = g[j] + w[j] * f.L2;
            m[j] = m[j] * b1 + gj * (1 - b1);
            v[j] = v[j] * b2 + gj * gj * (1 - b2);
            w[j] = w[j] * f.Shrink - m[j] / (MathF.Sqrt(v[j]) / f.SecondCorrection + (float)Epsilon) * f.StepSize;
        }
    }

    // Adam's move at the current step, bias corrections included: stepSize x m / (sqrt(v) / c2 + eps).
    private Tensor AdamMove(Tensor m, Tensor v)
    {
        var factors = FactorsAt(LearningRate * RowRateFactor, steps);
        using var denominator = v.sqrt().div_(factors.SecondCorrection).add_(Epsilon);
        return m.div(denominator).mul_(factors.StepSize);
    }

    /// <summary>Whether the optimizer keeps an average of the weights (<see cref="TrainingOptions.AverageWeightsOverSteps"/>).</summary>
    public bool Averaging => averageEvery > 0;

    /// <summary>
    /// Puts the averaged weights into the model until <see cref="RestoreTrainingWeights"/>: validation and the kept
    /// model use the average, training continues from the raw weights. Does nothing before the first sample.
    /// </summary>
    public void UseAveragedWeights()
    {
        if (averages is null || heldWeights is not null) return;
        using var noGrad = no_grad();
        heldWeights = allParameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        for (int i = 0; i < allParameters.Length; i++) allParameters[i].copy_(averages[i]);
    }

    /// <summary>Puts back the raw weights <see cref="UseAveragedWeights"/> set aside.</summary>
    public void RestoreTrainingWeights()
    {
        if (heldWeights is null) return;
        using var noGrad = no_grad();
        for (int i = 0; i < allParameters.Length; i++) { allParameters[i].copy_(heldWeights[i]); heldWeights[i].Dispose(); }
        heldWeights = null;
    }

    // An exponential moving average of every weight, tables caught up first so their rows are where dense Adam has them.
    private void SampleAverage()
    {
        CatchUpAllRows();
        using var noGrad = no_grad();
        if (averages is null)
        {
            averages = allParameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
            return;
        }
        for (int i = 0; i < allParameters.Length; i++) averages[i].mul_(averageDecay).add_(allParameters[i], 1 - averageDecay);
    }

    // The embedding rows' rate relative to the dense one: both follow the schedule and decay the trainer sets.
    private double RowRateFactor => options.EmbeddingLearningRate > 0 ? options.EmbeddingLearningRate / options.LearningRate : 1;

    // Adagrad or SGD on the looked-up rows: neither has momentum, so updating only those rows is exact.
    private void StepWithoutMomentum(double rate, double decay)
    {
        for (int i = 0; i < tables.Length; i++)
        {
            if (pending[i] is not (var rows, var gradient)) continue;
            var table = tables[i].Weight;
            var current = table.index_select(0, rows);
            if (decay > 0) gradient = gradient.add(current, decay);
            if (options.EmbeddingOptimizer == EmbeddingOptimizerKind.Adagrad)
            {
                // secondMoments holds Adagrad's running sum of squared gradients.
                var sum = secondMoments[i].index_select(0, rows).addcmul_(gradient, gradient, 1);
                secondMoments[i].index_copy_(0, rows, sum);
                current.sub_(gradient.div(sum.sqrt().add_(1e-10)).mul_(rate));
            }
            else
            {
                current.sub_(gradient.mul(rate));
            }
            table.index_copy_(0, rows, current);
            Release(i);
        }
    }

    /// <summary>
    /// Brings every row of every table to where dense Adam would have it after the steps so far: the rows absent
    /// since their last update get those steps' momentum moves now. The epoch loop calls it before validating
    /// and before keeping a copy of the weights.
    /// </summary>
    public void CatchUpAllRows()
    {
        if (options.EmbeddingOptimizer != EmbeddingOptimizerKind.SameAsModel) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < tables.Length; i++)
        {
            var missed = lastUpdates[i].neg().add_(steps);
            CatchUp(tables[i].Weight, firstMoments[i], secondMoments[i], missed);
            lastUpdates[i].fill_((double)steps);
        }
    }

    // Dense Adam's moves for the k steps (per row, (rows, 1)) a row missed, when its gradient was zero: step j
    // moves it by stepSize * q^j * m / (sqrt(v) / c2 + eps), q = beta1 / sqrt(beta2), and decays its moments
    // by beta^j; AdamW also decays the row each step. Updates row, m and v in place.
    private void CatchUp(Tensor row, Tensor m, Tensor v, Tensor missed)
    {
        if (steps == 0) return;
        double rate = LearningRate * RowRateFactor;
        double ratio = Beta1 / Math.Sqrt(Beta2);
        using var momentumSum = pow(ratio, missed).neg_().add_(1).mul_(ratio / (1 - ratio));
        using var move = AdamMove(m, v).mul_(momentumSum);
        row.sub_(move);
        if (options.WeightDecay > 0 && options.Optimizer == OptimizerKind.AdamW)
            using (var decay = pow(1 - rate * options.WeightDecay, missed)) row.mul_(decay);
        using (var decay1 = pow(Beta1, missed)) m.mul_(decay1);
        using (var decay2 = pow(Beta2, missed)) v.mul_(decay2);
    }

    /// <summary>Writes the optimizer state (dense moments, row moments and the step count).</summary>
    public void Save(BinaryWriter writer)
    {
        dense.save_state_dict(writer);
        writer.Write(steps);
        writer.Write(tables.Length);
        for (int i = 0; i < tables.Length; i++) { firstMoments[i].Save(writer); secondMoments[i].Save(writer); lastUpdates[i].Save(writer); }
        // The managed dense moments (the torch optimizer above then holds none); -1 when torch's optimizer has them.
        writer.Write(denseFirst is null ? -1 : denseParameters.Count);
        if (denseFirst is null) return;
        for (int j = 0; j < denseParameters.Count; j++) { writer.Write(denseSteps![j]); denseFirst[j].Save(writer); denseSecond![j].Save(writer); }
    }

    /// <summary>Restores a state written by <see cref="Save"/> for the same model.</summary>
    public void Load(BinaryReader reader)
    {
        dense.load_state_dict(reader);
        steps = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != tables.Length)
            throw new InvalidDataException($"The optimizer state holds {count} embedding tables but the model has {tables.Length}.");
        using var noGrad = no_grad();
        for (int i = 0; i < tables.Length; i++) { firstMoments[i].Load(reader); secondMoments[i].Load(reader); lastUpdates[i].Load(reader); }
        if (reader.BaseStream.Position == reader.BaseStream.Length)
            throw new InvalidDataException("The checkpoint was written by an earlier MLNetAttention whose optimizer state this version cannot continue; start the training again instead of resuming from this checkpoint.");
        int denseCount = reader.ReadInt32();
        if ((denseFirst is null) != (denseCount < 0) || (denseFirst is not null && denseCount != denseParameters.Count))
            throw new InvalidDataException($"The optimizer state holds {denseCount} managed dense parameters but this model and device need {(denseFirst is null ? -1 : denseParameters.Count)}; resume on the device the checkpoint was written on.");
        if (denseFirst is null) return;
        for (int j = 0; j < denseCount; j++) { denseSteps![j] = reader.ReadInt64(); denseFirst[j].Load(reader); denseSecond![j].Load(reader); }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        RestoreTrainingWeights();
        if (averages is not null) foreach (var a in averages) a.Dispose();
        foreach (var table in tables) { table.RecordLookups = false; table.ClearLookups(); }
        for (int i = 0; i < tables.Length; i++) { Release(i); firstMoments[i].Dispose(); secondMoments[i].Dispose(); lastUpdates[i].Dispose(); }
        foreach (var moment in (denseFirst ?? []).Concat(denseSecond ?? [])) moment.Dispose();
        dense.Dispose();
    }

    private void CollectRowGradients()
    {
        for (int i = 0; i < tables.Length; i++)
        {
            if (tables[i].TakeRowGradients() is not { } taken) continue;
            if (pending[i] is { } earlier)
            {
                // A second backward before the step: add to what is pending.
                var (rows, gradient) = RowSparseEmbedding.SumByRow([earlier.Rows, taken.Rows], [earlier.Gradient, taken.Gradient]);
                Release(i);
                taken.Rows.Dispose(); taken.Gradient.Dispose();
                pending[i] = (rows.DetachFromDisposeScope(), gradient.DetachFromDisposeScope());
            }
            else pending[i] = (taken.Rows.DetachFromDisposeScope(), taken.Gradient.DetachFromDisposeScope());
        }
    }

    private void Release(int i)
    {
        if (pending[i] is not (var rows, var gradient)) return;
        rows.Dispose(); gradient.Dispose();
        pending[i] = null;
    }
}
