using System.Collections.Concurrent;
using System.Diagnostics;
using MLNetAttention.Serving;

namespace MLNetAttention.Tests.Serve;

/// <summary>The micro-batcher with a fake scorer that records every call.</summary>
[TestClass]
public sealed class MicroBatchScorerTests
{
    /// <summary>Doubles its inputs; records each batch; can hold calls at a gate and fail on a marked input.</summary>
    private sealed class FakeScorer
    {
        public ConcurrentQueue<int[]> Calls { get; } = new();

        public ManualResetEventSlim Gate { get; } = new(true);

        public ManualResetEventSlim Entered { get; } = new(false);

        public TimeSpan Delay { get; init; }

        /// <summary>The most calls seen running at the same time.</summary>
        public int MaxConcurrent => _maxConcurrent;

        private int _inside;
        private int _maxConcurrent;

        public IReadOnlyList<int> Score(IReadOnlyList<int> inputs)
        {
            int inside = Interlocked.Increment(ref _inside);
            try
            {
                int seen;
                while (inside > (seen = _maxConcurrent) && Interlocked.CompareExchange(ref _maxConcurrent, inside, seen) != seen) { }
                return ScoreInside(inputs);
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }

        /// <summary>Whether any call ran on a thread-pool thread.</summary>
        public bool RanOnThreadPool { get; private set; }

        private int[] ScoreInside(IReadOnlyList<int> inputs)
        {
            if (Thread.CurrentThread.IsThreadPoolThread) RanOnThreadPool = true;
            Calls.Enqueue(inputs.ToArray());
            Entered.Set();
            Assert.IsTrue(Gate.Wait(TimeSpan.FromSeconds(30)), "the test never opened the gate");
            if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
            if (inputs.Contains(-1)) throw new ArgumentException("input -1 cannot be scored");
            return inputs.Select(x => x * 2).ToArray();
        }
    }

    private static MicroBatchScorer<int, int> Create(FakeScorer fake, int maxBatch = 64, double maxWaitMs = 2, int workers = 1) =>
        new(fake.Score, new MicroBatchOptions { MaxBatchSize = maxBatch, MaxWait = TimeSpan.FromMilliseconds(maxWaitMs), MaxConcurrentBatches = workers });

    private static void AssertDoubled(int[] inputs, IReadOnlyList<int> outputs) =>
        CollectionAssert.AreEqual(inputs.Select(x => x * 2).ToArray(), outputs.ToArray());

    [TestMethod]
    public async Task ConcurrentCallersAreMergedIntoFewerScorerCallsAndEachGetsItsOwnResultsInOrder()
    {
        var fake = new FakeScorer { Delay = TimeSpan.FromMilliseconds(20) };
        await using var batcher = Create(fake, maxBatch: 64, maxWaitMs: 50);
        // 32 callers with 1 to 3 inputs each, all different, submitted together.
        var requests = Enumerable.Range(0, 32).Select(c => Enumerable.Range(c * 10, 1 + c % 3).ToArray()).ToArray();
        var tasks = requests.Select(inputs => Task.Run(() => batcher.ScoreAsync(inputs))).ToArray();
        var results = await Task.WhenAll(tasks);
        for (int c = 0; c < requests.Length; c++) AssertDoubled(requests[c], results[c]);
        int inputs = requests.Sum(r => r.Length);
        Assert.AreEqual(inputs, fake.Calls.Sum(c => c.Length), "every input is scored exactly once");
        Assert.IsLessThan(requests.Length / 2, fake.Calls.Count, $"{requests.Length} callers were scored in {fake.Calls.Count} calls");
        Assert.AreEqual(fake.Calls.Count, batcher.BatchCount);
        Assert.AreEqual(inputs, batcher.ScoredCount);
        Assert.IsFalse(fake.RanOnThreadPool, "batches are scored on the batcher's own threads, never the thread pool's");
    }

    [TestMethod]
    public async Task NoBatchIsLargerThanTheMaximumAndALargeRequestIsSplitButAnsweredWhole()
    {
        var fake = new FakeScorer();
        await using var batcher = Create(fake, maxBatch: 16, maxWaitMs: 20);
        var requests = Enumerable.Range(0, 10).Select(c => Enumerable.Range(c * 100, 7).ToArray()).Append(Enumerable.Range(5000, 40).ToArray()).ToArray();
        var results = await Task.WhenAll(requests.Select(inputs => Task.Run(() => batcher.ScoreAsync(inputs))));
        for (int c = 0; c < requests.Length; c++) AssertDoubled(requests[c], results[c]);
        foreach (var call in fake.Calls) Assert.IsLessThanOrEqualTo(16, call.Length, $"a batch of {call.Length}");
        Assert.IsGreaterThanOrEqualTo(3, fake.Calls.Count(c => c.Any(x => x >= 5000)), "40 inputs need at least 3 batches of 16");
    }

    [TestMethod]
    public async Task ABatchWaitsAtMostMaxWaitForMoreAndAFullBatchDoesNotWait()
    {
        var fake = new FakeScorer();
        await using (var patient = Create(fake, maxBatch: 64, maxWaitMs: 300))
        {
            var clock = Stopwatch.StartNew();
            AssertDoubled([1], await patient.ScoreAsync([1]));
            Assert.IsGreaterThanOrEqualTo(250, clock.ElapsedMilliseconds, "a lone input waits for company");
            Assert.IsLessThan(10_000, clock.ElapsedMilliseconds, "but not much longer than the wait");
        }

        await using var full = Create(fake, maxBatch: 4, maxWaitMs: 30_000);
        var fullClock = Stopwatch.StartNew();
        AssertDoubled([1, 2, 3, 4], await full.ScoreAsync([1, 2, 3, 4]));
        Assert.IsLessThan(10_000, fullClock.ElapsedMilliseconds, "a full batch is scored at once, not after the 30 s wait");

        await using var eager = Create(fake, maxBatch: 64, maxWaitMs: 0);
        AssertDoubled([5], await eager.ScoreAsync([5]).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [TestMethod]
    public async Task ARequestThatMakesTheScorerThrowFailsAloneAndTheOthersInItsBatchSucceed()
    {
        var fake = new FakeScorer();
        fake.Gate.Reset();
        await using var batcher = Create(fake, maxBatch: 64, maxWaitMs: 200);
        // Hold the first call so the next three requests queue up and form one batch together.
        var first = batcher.ScoreAsync([0]);
        Assert.IsTrue(fake.Entered.Wait(TimeSpan.FromSeconds(10)));
        var good1 = batcher.ScoreAsync([1, 2]);
        var bad = batcher.ScoreAsync([3, -1]);
        var good2 = batcher.ScoreAsync([4]);
        fake.Gate.Set();
        AssertDoubled([0], await first);
        AssertDoubled([1, 2], await good1);
        AssertDoubled([4], await good2);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => bad);
        StringAssert.Contains(error.Message, "input -1");
        Assert.IsTrue(fake.Calls.Any(c => c.Contains(1) && c.Contains(-1) && c.Contains(4)), "the three were tried as one batch first");
        // The batcher keeps working after a failure.
        AssertDoubled([7], await batcher.ScoreAsync([7]));
    }

    [TestMethod]
    public async Task ACancelledRequestEndsAtOnceAndIsNotScoredWhileTheOthersAre()
    {
        var fake = new FakeScorer();
        fake.Gate.Reset();
        await using var batcher = Create(fake, maxBatch: 64, maxWaitMs: 1);
        var held = batcher.ScoreAsync([1]);
        Assert.IsTrue(fake.Entered.Wait(TimeSpan.FromSeconds(10)));
        using var cancellation = new CancellationTokenSource();
        var cancelled = batcher.ScoreAsync([100, 101], cancellation.Token);
        var kept = batcher.ScoreAsync([2]);
        cancellation.Cancel();
        await Assert.ThrowsAsync<TaskCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsFalse(held.IsCompleted, "the scorer is still held: cancellation did not wait for it");
        fake.Gate.Set();
        AssertDoubled([1], await held);
        AssertDoubled([2], await kept);
        Assert.IsFalse(fake.Calls.Any(c => c.Contains(100)), "a request cancelled while queued is never scored");

        // An already cancelled token never queues anything.
        var before = fake.Calls.Count;
        await Assert.ThrowsAsync<TaskCanceledException>(() => batcher.ScoreAsync([9], new CancellationToken(canceled: true)));
        Assert.HasCount(before, fake.Calls);
    }

    [TestMethod]
    public async Task DisposingScoresEverythingQueuedThenRefusesNewInputs()
    {
        var fake = new FakeScorer { Delay = TimeSpan.FromMilliseconds(30) };
        var batcher = Create(fake, maxBatch: 2, maxWaitMs: 1);
        var tasks = Enumerable.Range(0, 10).Select(i => batcher.ScoreAsync([i])).ToArray();
        await batcher.DisposeAsync();
        Assert.IsTrue(tasks.All(t => t.IsCompletedSuccessfully), "every queued request was scored before DisposeAsync returned");
        for (int i = 0; i < tasks.Length; i++) AssertDoubled([i], tasks[i].Result);
        Assert.ThrowsExactly<ObjectDisposedException>(() => batcher.ScoreAsync([1]));
        await batcher.DisposeAsync();   // twice is fine
    }

    [TestMethod]
    public async Task SeveralWorkersScoreBatchesAtOnceAndOptionsAreChecked()
    {
        var fake = new FakeScorer { Delay = TimeSpan.FromMilliseconds(300) };
        await using var batcher = Create(fake, maxBatch: 1, maxWaitMs: 0, workers: 4);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => batcher.ScoreAsync([i])));
        for (int i = 0; i < 4; i++) AssertDoubled([i], results[i]);
        Assert.IsGreaterThanOrEqualTo(2, fake.MaxConcurrent, "batches of one input on four workers overlap");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MicroBatchScorer<int, int>(fake.Score, new MicroBatchOptions { MaxBatchSize = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MicroBatchScorer<int, int>(fake.Score, new MicroBatchOptions { MaxWait = TimeSpan.FromMilliseconds(-1) }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MicroBatchScorer<int, int>(fake.Score, new MicroBatchOptions { MaxConcurrentBatches = 0 }));
    }

    [TestMethod]
    public async Task AScorerThatReturnsTheWrongNumberOfOutputsFailsItsCallersWithAClearMessage()
    {
        await using var batcher = new MicroBatchScorer<int, int>(inputs => inputs.Skip(1).ToArray());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.ScoreAsync([1, 2, 3]));
        StringAssert.Contains(error.Message, "returned 2 outputs for 3 inputs");
    }
}
