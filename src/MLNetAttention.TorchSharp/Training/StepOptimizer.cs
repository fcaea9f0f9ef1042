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

    private readonly OptimizerHelper _dense;
    private readonly List<Parameter> _denseParameters;
    private readonly RowSparseEmbedding[] _tables;
    private readonly Tensor[] _firstMoments, _secondMoments, _lastUpdates;
    private readonly (Tensor Rows, Tensor Gradient)?[] _pending;
    private readonly TrainingOptions _options;
    private readonly Parameter[] _allParameters;
    private readonly int _averageEvery;
    private readonly double _averageDecay;
    private Tensor[]? _averages;
    private Tensor[]? _heldWeights;
    private long _steps;
    // Adam's moments and step counts of the dense parameters when the managed pass updates them (CPU float32), else null.
    private readonly Tensor[]? _denseFirst, _denseSecond;
    private readonly long[]? _denseSteps;

    public StepOptimizer(nn.Module model, TrainingOptions options)
    {
        _options = options;
        _tables = options.RowSparseEmbeddingUpdates ? model.modules().OfType<RowSparseEmbedding>().ToArray() : Array.Empty<RowSparseEmbedding>();
        var sparse = _tables.Select(t => t.Weight.Handle).ToHashSet();
        _denseParameters = model.parameters().Where(p => !sparse.Contains(p.Handle)).ToList();
        _dense = options.Optimizer == OptimizerKind.AdamW
            ? optim.AdamW(_denseParameters, options.LearningRate, Beta1, Beta2, Epsilon, options.WeightDecay)
            : optim.Adam(_denseParameters, options.LearningRate, Beta1, Beta2, Epsilon, options.WeightDecay);
        _firstMoments = _tables.Select(t => zeros_like(t.Weight).DetachFromDisposeScope()).ToArray();
        _secondMoments = _tables.Select(t => zeros_like(t.Weight).DetachFromDisposeScope()).ToArray();
        _lastUpdates = _tables.Select(t => zeros(t.Weight.shape[0], 1).DetachFromDisposeScope()).ToArray();
        _pending = new (Tensor, Tensor)?[_tables.Length];
        foreach (var table in _tables) table.RecordLookups = true;
        if (_denseParameters.All(Addressable))
        {
            _denseFirst = _denseParameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            _denseSecond = _denseParameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            _denseSteps = new long[_denseParameters.Count];
        }
        LearningRate = options.LearningRate;
        _allParameters = model.parameters().ToArray();
        if (options.AverageWeightsOverSteps > 0)
        {
            // About 20 samples per window; each sample moves the average by interval / window.
            _averageEvery = Math.Max(1, options.AverageWeightsOverSteps / 20);
            _averageDecay = Math.Max(0, 1 - (double)_averageEvery / options.AverageWeightsOverSteps);
        }
    }

    /// <summary>The learning rate of the next step, for every parameter.</summary>
    public double LearningRate
    {
        get => _dense.ParamGroups.First().LearningRate;
        set { foreach (var group in _dense.ParamGroups) group.LearningRate = value; }
    }

    /// <summary>Clears the gradients and the rows recorded since the last step.</summary>
    public void ZeroGrad()
    {
        _dense.zero_grad();
        for (int i = 0; i < _tables.Length; i++) { _tables[i].ClearLookups(); Release(i); }
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
        var gradients = _denseParameters.Select(p => p.grad).OfType<Tensor>()
            .Concat(_pending.Where(p => p is not null).Select(p => p!.Value.Gradient)).ToList();
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
        // Scalars here are held in variables, so none can be finalized during a native call (see Masking.FromIds).
        using var scaleScalar = scale.ToScalar();
        if (scale < 1) foreach (var g in gradients) g.mul_(scaleScalar);
        return norm;
    }

    /// <summary>Updates the dense parameters and the looked-up rows of each table.</summary>
    public void Step()
    {
        CollectRowGradients();
        if (_denseFirst is null) _dense.step();
        else StepDenseInPlace();
        _steps++;
        using (NewDisposeScope())
        using (no_grad())
        {
            if (_options.EmbeddingOptimizer == EmbeddingOptimizerKind.SameAsModel) StepRowsWithAdam();
            else StepWithoutMomentum(LearningRate * RowRateFactor, _options.WeightDecay);
        }
        if (_averageEvery > 0 && _steps % _averageEvery == 0) SampleAverage();
    }

    // Adam on the looked-up rows, after catching each up on the steps it missed.
    private void StepRowsWithAdam()
    {
        double rate = LearningRate * RowRateFactor, decay = _options.WeightDecay;
        for (int i = 0; i < _tables.Length; i++)
        {
            if (_pending[i] is not (var rows, var gradient)) continue;
            var table = _tables[i].Weight;
            if (RowKernelApplies(i, gradient))
            {
                StepRowsWithAdamInPlace(i, rows, gradient);
                Release(i);
                continue;
            }
            var current = table.index_select(0, rows);
            var m = _firstMoments[i].index_select(0, rows);
            var v = _secondMoments[i].index_select(0, rows);
            using var previousStep = (_steps - 1).ToScalar();
            using var step = ((double)_steps).ToScalar();
            CatchUp(current, m, v, _lastUpdates[i].index_select(0, rows).neg_().add_(previousStep));
            _lastUpdates[i].index_fill_(0, rows, step);

            using var decayScalar = decay.ToScalar();
            using var shrink = (1 - rate * decay).ToScalar();
            using var beta1 = Beta1.ToScalar();
            using var beta2 = Beta2.ToScalar();
            using var gradientShare1 = (1 - Beta1).ToScalar();
            using var gradientShare2 = (1 - Beta2).ToScalar();
            if (decay > 0 && _options.Optimizer == OptimizerKind.Adam) gradient = gradient.add(current, decayScalar);
            if (decay > 0 && _options.Optimizer == OptimizerKind.AdamW) current.mul_(shrink);
            m.mul_(beta1).add_(gradient, gradientShare1);
            v.mul_(beta2).addcmul_(gradient, gradient, gradientShare2);
            _firstMoments[i].index_copy_(0, rows, m);
            _secondMoments[i].index_copy_(0, rows, v);
            table.index_copy_(0, rows, current.sub_(AdamMove(m, v)));
            Release(i);
        }
    }

    // The managed passes need float32 CPU tensors they can address as one span each.
    private static bool Addressable(Tensor tensor) =>
        tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32 && tensor.is_contiguous()
        && tensor.numel() * sizeof(float) <= int.MaxValue;

    private bool RowKernelApplies(int i, Tensor gradient) => Addressable(_tables[i].Weight) && Addressable(gradient);

    // torch's Adam or AdamW on each dense parameter, as one managed pass over its elements: torch's optimizer ran
    // about ten small ops per parameter, about 0.5 ms of a poetry step during which the step's other thread waits.
    private void StepDenseInPlace()
    {
        using var scope = NewDisposeScope();
        for (int j = 0; j < _denseParameters.Count; j++)
        {
            // As torch's optimizer: a parameter without a gradient is skipped and keeps its own step count.
            if (_denseParameters[j].grad is not { } gradient) continue;
            var g = gradient.is_contiguous() ? gradient : gradient.contiguous();
            var factors = FactorsAt(LearningRate, ++_denseSteps![j]);
            AdamRow(MemoryMarshal.Cast<byte, float>(_denseParameters[j].bytes), MemoryMarshal.Cast<byte, float>(_denseFirst![j].bytes),
                MemoryMarshal.Cast<byte, float>(_denseSecond![j].bytes), MemoryMarshal.Cast<byte, float>(g.bytes), factors);
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
        var weights = MemoryMarshal.Cast<byte, float>(_tables[i].Weight.bytes);
        var first = MemoryMarshal.Cast<byte, float>(_firstMoments[i].bytes);
        var second = MemoryMarshal.Cast<byte, float>(_secondMoments[i].bytes);
        var last = MemoryMarshal.Cast<byte, float>(_lastUpdates[i].bytes);
        var ids = MemoryMarshal.Cast<byte, long>(rows.bytes);
        var gradients = MemoryMarshal.Cast<byte, float>(gradient.bytes);
        int dim = (int)_tables[i].Weight.shape[1];
        double rate = LearningRate * RowRateFactor, decay = _options.WeightDecay;
        var factors = FactorsAt(rate, _steps);
        double ratio = Beta1 / Math.Sqrt(Beta2);
        for (int k = 0; k < ids.Length; k++)
        {
            int start = checked((int)ids[k] * dim);
            var w = weights.Slice(start, dim);
            var m = first.Slice(start, dim);
            var v = second.Slice(start, dim);
            double missed = _steps - 1 - last[(int)ids[k]];
            if (missed > 0)
            {
                // The momentum moves dense Adam made while the row was absent (CatchUp, closed form).
                float momentumSum = (float)((1 - Math.Pow(ratio, missed)) * (ratio / (1 - ratio)));
                float absentShrink = decay > 0 && _options.Optimizer == OptimizerKind.AdamW ? (float)Math.Pow(1 - rate * decay, missed) : 1f;
                CatchUpRow(w, m, v, factors.StepSize * momentumSum, factors.SecondCorrection, absentShrink,
                    (float)Math.Pow(Beta1, missed), (float)Math.Pow(Beta2, missed));
            }
            last[(int)ids[k]] = _steps;
            AdamRow(w, m, v, gradients.Slice(k * dim, dim), factors);
        }
    }

    private readonly record struct AdamFactors(float StepSize, float SecondCorrection, float Shrink, float L2);

    // Adam's constants at a step: the bias-corrected step size, sqrt of the second bias correction, AdamW's decay
    // factor and Adam's L2 coefficient (1 and 0 when they do not apply).
    private AdamFactors FactorsAt(double rate, long step)
    {
        double decay = _options.WeightDecay;
        return new AdamFactors(
            StepSize: (float)(rate / (1 - Math.Pow(Beta1, step))),
            SecondCorrection: (float)Math.Sqrt(1 - Math.Pow(Beta2, step)),
            Shrink: decay > 0 && _options.Optimizer == OptimizerKind.AdamW ? (float)(1 - rate * decay) : 1f,
            L2: decay > 0 && _options.Optimizer == OptimizerKind.Adam ? (float)decay : 0f);
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
        var factors = FactorsAt(LearningRate * RowRateFactor, _steps);
        using var secondCorrection = factors.SecondCorrection.ToScalar();
        using var epsilon = Epsilon.ToScalar();
        using var stepSize = factors.StepSize.ToScalar();
        using var denominator = v.sqrt().div_(secondCorrection).add_(epsilon);
        return m.div(denominator).mul_(stepSize);
    }

    /// <summary>Whether the optimizer keeps an average of the weights (<see cref="TrainingOptions.AverageWeightsOverSteps"/>).</summary>
    public bool Averaging => _averageEvery > 0;

    /// <summary>
    /// Puts the averaged weights into the model until <see cref="RestoreTrainingWeights"/>: validation and the kept
    /// model use the average, training continues from the raw weights. Does nothing before the first sample.
    /// </summary>
    public void UseAveragedWeights()
    {
        if (_averages is null || _heldWeights is not null) return;
        using var noGrad = no_grad();
        _heldWeights = _allParameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        for (int i = 0; i < _allParameters.Length; i++) _allParameters[i].copy_(_averages[i]);
    }

    /// <summary>Puts back the raw weights <see cref="UseAveragedWeights"/> set aside.</summary>
    public void RestoreTrainingWeights()
    {
        if (_heldWeights is null) return;
        using var noGrad = no_grad();
        for (int i = 0; i < _allParameters.Length; i++) { _allParameters[i].copy_(_heldWeights[i]); _heldWeights[i].Dispose(); }
        _heldWeights = null;
    }

    // An exponential moving average of every weight, tables caught up first so their rows are where dense Adam has them.
    private void SampleAverage()
    {
        CatchUpAllRows();
        using var noGrad = no_grad();
        if (_averages is null)
        {
            _averages = _allParameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
            return;
        }
        using var keep = _averageDecay.ToScalar();
        using var share = (1 - _averageDecay).ToScalar();
        for (int i = 0; i < _allParameters.Length; i++) _averages[i].mul_(keep).add_(_allParameters[i], share);
    }

    // The embedding rows' rate relative to the dense one: both follow the schedule and decay the trainer sets.
    private double RowRateFactor => _options.EmbeddingLearningRate > 0 ? _options.EmbeddingLearningRate / _options.LearningRate : 1;

    // Adagrad or SGD on the looked-up rows: neither has momentum, so updating only those rows is exact.
    private void StepWithoutMomentum(double rate, double decay)
    {
        for (int i = 0; i < _tables.Length; i++)
        {
            if (_pending[i] is not (var rows, var gradient)) continue;
            var table = _tables[i].Weight;
            var current = table.index_select(0, rows);
            using var decayScalar = decay.ToScalar();
            using var rateScalar = rate.ToScalar();
            if (decay > 0) gradient = gradient.add(current, decayScalar);
            if (_options.EmbeddingOptimizer == EmbeddingOptimizerKind.Adagrad)
            {
                // _secondMoments holds Adagrad's running sum of squared gradients.
                using var one = 1.ToScalar();
                using var epsilon = 1e-10.ToScalar();
                var sum = _secondMoments[i].index_select(0, rows).addcmul_(gradient, gradient, one);
                _secondMoments[i].index_copy_(0, rows, sum);
                current.sub_(gradient.div(sum.sqrt().add_(epsilon)).mul_(rateScalar));
            }
            else
            {
                current.sub_(gradient.mul(rateScalar));
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
        if (_options.EmbeddingOptimizer != EmbeddingOptimizerKind.SameAsModel) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var stepCount = _steps.ToScalar();
        using var step = ((double)_steps).ToScalar();
        for (int i = 0; i < _tables.Length; i++)
        {
            var missed = _lastUpdates[i].neg().add_(stepCount);
            CatchUp(_tables[i].Weight, _firstMoments[i], _secondMoments[i], missed);
            _lastUpdates[i].fill_(step);
        }
    }

    // Dense Adam's moves for the k steps (per row, (rows, 1)) a row missed, when its gradient was zero: step j
    // moves it by stepSize * q^j * m / (sqrt(v) / c2 + eps), q = beta1 / sqrt(beta2), and decays its moments
    // by beta^j; AdamW also decays the row each step. Updates row, m and v in place.
    private void CatchUp(Tensor row, Tensor m, Tensor v, Tensor missed)
    {
        if (_steps == 0) return;
        double rate = LearningRate * RowRateFactor;
        double ratio = Beta1 / Math.Sqrt(Beta2);
        // The bases as 0-d tensors (what pow(double, Tensor) converts them to) and the scalars, all held in variables.
        using Tensor ratioBase = ratio, shrinkBase = 1 - rate * _options.WeightDecay, beta1 = Beta1, beta2 = Beta2;
        using var one = 1.ToScalar();
        using var seriesScale = (ratio / (1 - ratio)).ToScalar();
        using var momentumSum = pow(ratioBase, missed).neg_().add_(one).mul_(seriesScale);
        using var move = AdamMove(m, v).mul_(momentumSum);
        row.sub_(move);
        if (_options.WeightDecay > 0 && _options.Optimizer == OptimizerKind.AdamW)
            using (var decay = pow(shrinkBase, missed)) row.mul_(decay);
        using (var decay1 = pow(beta1, missed)) m.mul_(decay1);
        using (var decay2 = pow(beta2, missed)) v.mul_(decay2);
    }

    /// <summary>Writes the optimizer state (dense moments, row moments and the step count).</summary>
    public void Save(BinaryWriter writer)
    {
        _dense.save_state_dict(writer);
        writer.Write(_steps);
        writer.Write(_tables.Length);
        for (int i = 0; i < _tables.Length; i++) { _firstMoments[i].Save(writer); _secondMoments[i].Save(writer); _lastUpdates[i].Save(writer); }
        // The managed dense moments (the torch optimizer above then holds none); -1 when torch's optimizer has them.
        writer.Write(_denseFirst is null ? -1 : _denseParameters.Count);
        if (_denseFirst is null) return;
        for (int j = 0; j < _denseParameters.Count; j++) { writer.Write(_denseSteps![j]); _denseFirst[j].Save(writer); _denseSecond![j].Save(writer); }
    }

    /// <summary>Restores a state written by <see cref="Save"/> for the same model.</summary>
    public void Load(BinaryReader reader)
    {
        _dense.load_state_dict(reader);
        _steps = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != _tables.Length)
            throw new InvalidDataException($"The optimizer state holds {count} embedding tables but the model has {_tables.Length}.");
        using var noGrad = no_grad();
        for (int i = 0; i < _tables.Length; i++) { _firstMoments[i].Load(reader); _secondMoments[i].Load(reader); _lastUpdates[i].Load(reader); }
        if (reader.BaseStream.Position == reader.BaseStream.Length)
            throw new InvalidDataException("The checkpoint was written by an earlier MLNetAttention whose optimizer state this version cannot continue; start the training again instead of resuming from this checkpoint.");
        int denseCount = reader.ReadInt32();
        if ((_denseFirst is null) != (denseCount < 0) || (_denseFirst is not null && denseCount != _denseParameters.Count))
            throw new InvalidDataException($"The optimizer state holds {denseCount} managed dense parameters but this model and device need {(_denseFirst is null ? -1 : _denseParameters.Count)}; resume on the device the checkpoint was written on.");
        if (_denseFirst is null) return;
        for (int j = 0; j < denseCount; j++) { _denseSteps![j] = reader.ReadInt64(); _denseFirst[j].Load(reader); _denseSecond![j].Load(reader); }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        RestoreTrainingWeights();
        if (_averages is not null) foreach (var a in _averages) a.Dispose();
        foreach (var table in _tables) { table.RecordLookups = false; table.ClearLookups(); }
        for (int i = 0; i < _tables.Length; i++) { Release(i); _firstMoments[i].Dispose(); _secondMoments[i].Dispose(); _lastUpdates[i].Dispose(); }
        foreach (var moment in (_denseFirst ?? []).Concat(_denseSecond ?? [])) moment.Dispose();
        _dense.Dispose();
    }

    private void CollectRowGradients()
    {
        for (int i = 0; i < _tables.Length; i++)
        {
            if (_tables[i].TakeRowGradients() is not { } taken) continue;
            if (_pending[i] is { } earlier)
            {
                // A second backward before the step: add to what is pending.
                var (rows, gradient) = RowSparseEmbedding.SumByRow([earlier.Rows, taken.Rows], [earlier.Gradient, taken.Gradient]);
                Release(i);
                taken.Rows.Dispose(); taken.Gradient.Dispose();
                _pending[i] = (rows.DetachFromDisposeScope(), gradient.DetachFromDisposeScope());
            }
            else _pending[i] = (taken.Rows.DetachFromDisposeScope(), taken.Gradient.DetachFromDisposeScope());
        }
    }

    private void Release(int i)
    {
        if (_pending[i] is not (var rows, var gradient)) return;
        rows.Dispose(); gradient.Dispose();
        _pending[i] = null;
    }
}
