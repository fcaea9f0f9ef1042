using MLNetAttention.Modules;
using MLNetAttention.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Tests.Training;

[TestClass]
public sealed class StepOptimizerTests
{
    // A table and a linear read-out: the smallest model with both kinds of parameter.
    private sealed class TinyModel : nn.Module<Tensor, Tensor>
    {
        // A TorchSharp module's fields keep their state-dict names (table.weight, readout.weight ...), as in src/.../Modules.
#pragma warning disable IDE1006
        private readonly RowSparseEmbedding table;
        private readonly Linear readout;
#pragma warning restore IDE1006

        public TinyModel() : base(nameof(TinyModel))
        {
            table = new RowSparseEmbedding(6, 4, paddingIndex: 0);
            using (no_grad()) table.Weight[0].zero_();
            readout = nn.Linear(4, 1);
            RegisterComponents();
        }

        public RowSparseEmbedding Table => table;

        public override Tensor forward(Tensor ids) => readout.forward(table.forward(ids).sum(1)).squeeze(-1);
    }

    // Rows 1-2 only on even steps, rows 4-5 only on odd steps, row 3 always (0 is padding).
    private static readonly long[] EvenIds = { 1, 2, 3, 0, 2, 3, 1, 0 };
    private static readonly long[] OddIds = { 4, 5, 3, 0, 5, 3, 4, 0 };

    // A fresh tensor per call: callers create it inside a step's dispose scope.
    private static Tensor AlternatingIds(int step) => tensor(step % 2 == 0 ? EvenIds : OddIds, new long[] { 2, 4 });

    private static float[] Train(TinyModel model, TrainingOptions options, Tensor ids, int steps, bool rowSparse) =>
        Train(model, options, _ => ids, steps, rowSparse);

    private static float[] Train(TinyModel model, TrainingOptions options, Func<int, Tensor> idsAt, int steps, bool rowSparse)
    {
        model.train();
        var target = tensor(new float[] { 1f, -1f });
        if (rowSparse)
        {
            using var optimizer = new StepOptimizer(model, options);
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                nn.functional.mse_loss(model.forward(idsAt(s)), target).backward();
                optimizer.ClipGradientNorm(100);
                optimizer.Step();
            }
            optimizer.CatchUpAllRows();
        }
        else
        {
            using OptimizerHelper optimizer = options.Optimizer == OptimizerKind.AdamW
                ? optim.AdamW(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay)
                : optim.Adam(model.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.mse_loss(model.forward(idsAt(s)), target).backward();
                optimizer.step();
            }
        }
        return model.Table.Weight.data<float>().ToArray();
    }

    [TestMethod]
    [DataRow(OptimizerKind.Adam, 0.0)]
    [DataRow(OptimizerKind.Adam, 0.01)]
    [DataRow(OptimizerKind.AdamW, 0.01)]
    public void RowUpdatesEqualDenseAdamWhenEveryRowIsLookedUpEveryStep(OptimizerKind kind, double decay)
    {
        var options = new TrainingOptions { Optimizer = kind, LearningRate = 0.05, WeightDecay = decay };
        // Every non-padding row appears in every step, so lazy and dense moments decay alike.
        var ids = tensor(new long[] { 1, 2, 3, 0, 4, 5, 5, 1 }, new long[] { 2, 4 });
        manual_seed(3);
        using var dense = new TinyModel();
        manual_seed(3);
        using var rows = new TinyModel();

        var expected = Train(dense, options, ids, 7, rowSparse: false);
        var actual = Train(rows, options, ids, 7, rowSparse: true);

        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-5, $"element {i}");
    }

    [TestMethod]
    [DataRow(OptimizerKind.Adam)]
    [DataRow(OptimizerKind.AdamW)]
    public void RowsLookedUpEveryOtherStepCatchUpWithDenseAdam(OptimizerKind kind)
    {
        var options = new TrainingOptions { Optimizer = kind, LearningRate = 0.01, WeightDecay = kind == OptimizerKind.AdamW ? 0.01 : 0 };
        manual_seed(11);
        using var dense = new TinyModel();
        manual_seed(11);
        using var rows = new TinyModel();
        var start = dense.Table.Weight.data<float>().ToArray();

        var expected = Train(dense, options, AlternatingIds, 300, rowSparse: false);
        var actual = Train(rows, options, AlternatingIds, 300, rowSparse: true);

        // Each row moved and, after catching up, sits within one learning rate of dense Adam's value. Without the
        // catch-up, rows 1-2 and 4-5 would each miss 150 momentum moves of up to a learning rate apiece.
        for (int i = 4; i < 24; i++)
        {
            Assert.IsTrue(Math.Abs(expected[i] - start[i]) > 0.005, $"element {i} hardly moved");
            Assert.AreEqual(expected[i], actual[i], options.LearningRate, $"element {i}: dense {expected[i]}, rows {actual[i]}, start {start[i]}");
        }
    }

    [TestMethod]
    [DataRow(EmbeddingOptimizerKind.Adagrad)]
    [DataRow(EmbeddingOptimizerKind.Sgd)]
    public void AdagradAndSgdRowsEqualTheDenseRulesEvenWithIntermittentLookups(EmbeddingOptimizerKind kind)
    {
        var options = new TrainingOptions { LearningRate = 0.01, EmbeddingOptimizer = kind, EmbeddingLearningRate = 0.1 };
        manual_seed(13);
        using var dense = new TinyModel();
        manual_seed(13);
        using var rows = new TinyModel();

        // The reference: torch's Adagrad or SGD on the whole table, Adam on the read-out.
        dense.train();
        var target = tensor(new float[] { 1f, -1f });
        var readout = dense.parameters().Where(p => p.Handle != dense.Table.Weight.Handle).ToList();
        using OptimizerHelper tableOptimizer = kind == EmbeddingOptimizerKind.Adagrad
            ? optim.Adagrad(new[] { dense.Table.Weight }, 0.1)
            : optim.SGD(new[] { dense.Table.Weight }, 0.1);
        using var readoutOptimizer = optim.Adam(readout, 0.01);
        for (int s = 0; s < 20; s++)
        {
            using var scope = NewDisposeScope();
            tableOptimizer.zero_grad(); readoutOptimizer.zero_grad();
            nn.functional.mse_loss(dense.forward(AlternatingIds(s)), target).backward();
            // The padding row is never updated: torch's optimizers would leave a zero gradient as it is.
            tableOptimizer.step(); readoutOptimizer.step();
        }
        var expected = dense.Table.Weight.data<float>().ToArray();
        var actual = Train(rows, options, AlternatingIds, 20, rowSparse: true);

        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-5, $"element {i}: dense {expected[i]}, rows {actual[i]}, all dense {string.Join(",", expected.Take(12))} rows {string.Join(",", actual.Take(12))}");
    }

    [TestMethod]
    public void RowsThatAreNotLookedUpAndThePaddingRowDoNotMove()
    {
        manual_seed(5);
        using var model = new TinyModel();
        var before = model.Table.Weight.data<float>().ToArray();
        var ids = tensor(new long[] { 1, 2, 0, 0, 2, 1, 1, 0 }, new long[] { 2, 4 });

        var after = Train(model, new TrainingOptions { LearningRate = 0.05 }, ids, 3, rowSparse: true);

        for (int row = 0; row < 6; row++)
        {
            bool moved = Enumerable.Range(0, 4).Any(d => after[row * 4 + d] != before[row * 4 + d]);
            Assert.AreEqual(row is 1 or 2, moved, $"row {row}");
        }
    }

    [TestMethod]
    [DataRow(EmbeddingOptimizerKind.SameAsModel, 0.0)]
    [DataRow(EmbeddingOptimizerKind.Adagrad, 0.05)]
    public void AveragedWeightsTrailTheTrainingWeightsAndSwapBackExactly(EmbeddingOptimizerKind rows, double rowRate)
    {
        manual_seed(17);
        using var model = new TinyModel();
        model.train();
        var start = model.Table.Weight.data<float>().ToArray();
        var ids = tensor(new long[] { 1, 2, 3, 4 }, new long[] { 1, 4 });
        using var optimizer = new StepOptimizer(model, new TrainingOptions { LearningRate = 0.01, AverageWeightsOverSteps = 40, EmbeddingOptimizer = rows, EmbeddingLearningRate = rowRate });
        for (int s = 0; s < 100; s++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            // A target far away: every step moves the weights the same way, so the average lags behind them.
            nn.functional.mse_loss(model.forward(ids), tensor(new float[] { 100f })).backward();
            optimizer.Step();
        }
        optimizer.CatchUpAllRows();
        var trained = model.Table.Weight.data<float>().ToArray();

        optimizer.UseAveragedWeights();
        var averaged = model.Table.Weight.data<float>().ToArray();
        optimizer.RestoreTrainingWeights();
        var restored = model.Table.Weight.data<float>().ToArray();

        Assert.IsTrue(optimizer.Averaging);
        CollectionAssert.AreEqual(trained, restored, "the raw weights come back bit for bit");
        for (int i = 4; i < 20; i++)
        {
            double travelled = trained[i] - start[i], lag = trained[i] - averaged[i];
            Assert.IsTrue(Math.Abs(travelled) > 0.5, $"element {i} moved {travelled}");
            // A 40-step window behind 100 steps of steady motion: the average sits roughly 20 steps back.
            Assert.IsTrue(lag * travelled > 0 && Math.Abs(lag) < 0.5 * Math.Abs(travelled), $"element {i}: travelled {travelled}, average lags {lag}");
        }
    }

    [TestMethod]
    public void ClippingScalesTheRowGradientsWithTheDenseOnes()
    {
        manual_seed(7);
        using var model = new TinyModel();
        model.train();
        using var optimizer = new StepOptimizer(model, new TrainingOptions());
        var ids = tensor(new long[] { 1, 2, 3, 4 }, new long[] { 1, 4 });
        nn.functional.mse_loss(model.forward(ids), tensor(new float[] { 50f })).backward();

        double norm = optimizer.ClipGradientNorm(1e-3);
        double clipped = optimizer.ClipGradientNorm(1e9);

        Assert.IsTrue(norm > 1, $"the unclipped norm was {norm}");
        Assert.AreEqual(1e-3, clipped, 1e-6, "a second clip sees the scaled gradients, row gradients included");
    }

    [TestMethod]
    [DataRow(OptimizerKind.Adam, 0.0)]
    [DataRow(OptimizerKind.Adam, 0.05)]
    [DataRow(OptimizerKind.AdamW, 0.05)]
    public void DenseParametersFollowTorchsAdamStepForStep(OptimizerKind kind, double decay)
    {
        // Two layers without tables: every parameter goes through the managed dense pass.
        var options = new TrainingOptions { Optimizer = kind, LearningRate = 0.02, WeightDecay = decay };
        manual_seed(4);
        using var ours = nn.Sequential(nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1));
        manual_seed(4);
        using var torchs = nn.Sequential(nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 1));
        manual_seed(8);
        var inputs = randn(6, 5);
        var targets = randn(6, 1);
        using var optimizer = new StepOptimizer(ours, options);
        using OptimizerHelper reference = kind == OptimizerKind.AdamW
            ? optim.AdamW(torchs.parameters(), options.LearningRate, weight_decay: decay)
            : optim.Adam(torchs.parameters(), options.LearningRate, weight_decay: decay);
        for (int step = 0; step < 25; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            reference.zero_grad();
            nn.functional.mse_loss(ours.forward(inputs), targets).backward();
            nn.functional.mse_loss(torchs.forward(inputs), targets).backward();
            optimizer.Step();
            reference.step();
        }

        foreach (var ((name, a), (_, b)) in ours.named_parameters().Zip(torchs.named_parameters()))
        {
            var actual = a.data<float>().ToArray();
            var expected = b.data<float>().ToArray();
            for (int i = 0; i < actual.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-5, $"{name}[{i}]");
        }
    }

    [TestMethod]
    public void ClippingMatchesTorchsGlobalNorm()
    {
        manual_seed(2);
        using var model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2));
        nn.functional.mse_loss(model.forward(randn(3, 4)), full(3, 2, 40f)).backward();
        double expected = Math.Sqrt(model.parameters().Sum(p => p.grad!.pow(2).sum().item<float>()));
        var before = model.parameters().Select(p => p.grad!.data<float>().ToArray()).ToList();
        using var optimizer = new StepOptimizer(model, new TrainingOptions());

        double norm = optimizer.ClipGradientNorm(0.5);

        Assert.AreEqual(expected, norm, 1e-4 * expected);
        foreach (var (gradient, original) in model.parameters().Select(p => p.grad!.data<float>().ToArray()).Zip(before))
            for (int i = 0; i < gradient.Length; i++) Assert.AreEqual(original[i] * 0.5 / expected, gradient[i], 1e-6);
    }
}
