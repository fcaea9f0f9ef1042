using System.Runtime;
using MLNetAttention.Modules;
using static TorchSharp.torch;

namespace MLNetAttention.Training;

/// <summary>
/// Runs the two halves of a training step at the same time, one on the calling thread and one on a helper thread,
/// each with half of libtorch's threads (<see cref="TrainingOptions.SplitBatchAcrossThreads"/>). A small model's
/// step is mostly short elementwise ops and per-op overhead that libtorch's thread pool barely speeds up (one
/// thread ran a poetry step 1.14x slower than two), while two independent halves keep both cores busy. The halves
/// share the parameters; libtorch sums their gradients under a lock, and a sum of exactly two gradients does not
/// depend on which arrives first, so results stay bit-identical for a seed.
/// </summary>
/// <remarks>
/// No garbage collection may start while both halves run. TorchSharp turns numbers into native <c>Scalar</c>s that
/// nothing references once their handle is read, so a collection triggered by one thread can finalize, and free, a
/// Scalar the other thread's native call is still reading ("Unknown scalar type" or "toFloat" errors from libtorch,
/// seen mid-training on a busy machine; two threads doing <c>a + b</c> in a loop hit it within seconds). Each step
/// therefore runs inside a no-GC region, renewed between steps, where only the calling thread is working.
/// </remarks>
internal sealed class BatchHalves : IDisposable
{
    private readonly Thread _helper;
    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private readonly int _threadsBefore;
    private Action<int>? _work;
    private Exception? _helperError;
    private volatile bool _stopping;
    private bool _disposed;
    private bool _inRegion;
    private long _regionStart;

    // Managed garbage a step may leave before the next step renews the region (a step leaves well under 1 MB).
    private const long RegionBudget = 64L << 20;

    private BatchHalves(int threads)
    {
        _threadsBefore = threads;
        int perHalf = Math.Max(1, threads / 2);
        bool bfloat16 = MixedPrecision.Active;
        // libtorch's thread count is the calling thread's (and the default for threads it has not seen yet).
        set_num_threads(perHalf);
        _helper = new Thread(() => Serve(perHalf, bfloat16)) { IsBackground = true, Name = "MLNetAttention batch half" };
        _helper.Start();
    }

    /// <summary>A runner when <paramref name="options"/> ask for split steps and libtorch has at least two threads; else null.</summary>
    public static BatchHalves? Create(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.SplitBatchAcrossThreads || options.BatchSize < 2) return null;
        int threads = get_num_threads();
        return threads >= 2 ? new BatchHalves(threads) : null;
    }

    /// <summary>The two halves of <paramref name="batch"/>: alternate examples, so both get the same mix of lengths.</summary>
    public static int[][] Split(int[] batch) =>
        new[] { batch.Where((_, i) => i % 2 == 0).ToArray(), batch.Where((_, i) => i % 2 == 1).ToArray() };

    /// <summary>Runs <paramref name="part"/>(0) here and <paramref name="part"/>(1) on the helper, and returns when both are done.</summary>
    public void Run(Action<int> part)
    {
        ArgumentNullException.ThrowIfNull(part);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _work = part;
        _helperError = null;
        HoldCollections();
        _start.Release();
        Exception? ownError = null;
        try { part(0); }
        catch (Exception error) { ownError = error; }
        _done.Wait();
        if (ownError is not null && _helperError is not null) throw new AggregateException(ownError, _helperError);
        if (ownError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ownError);
        if (_helperError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_helperError);
    }

    /// <summary>
    /// Makes sure a no-GC region with room for a step is open, starting a new one (and with it, possibly, a collection)
    /// now, while the helper waits. A region someone else opened is left alone.
    /// </summary>
    private void HoldCollections()
    {
        bool open = GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        if (open && !_inRegion) return;
        if (open && GC.GetTotalAllocatedBytes() - _regionStart < RegionBudget / 2) return;
        EndRegion();
        try { _inRegion = GC.TryStartNoGCRegion(RegionBudget); }
        catch (ArgumentOutOfRangeException) { _inRegion = false; } // a runtime whose ephemeral space is smaller: run without
        catch (InvalidOperationException) { _inRegion = false; }
        _regionStart = GC.GetTotalAllocatedBytes();
    }

    private void EndRegion()
    {
        if (!_inRegion) return;
        _inRegion = false;
        // A region a collection already ended (its budget spent) is closed: nothing to end.
        if (GCSettings.LatencyMode != GCLatencyMode.NoGCRegion) return;
        try { GC.EndNoGCRegion(); }
        catch (InvalidOperationException) { }
    }

    private void Serve(int threads, bool bfloat16)
    {
        set_num_threads(threads);
        using var precision = bfloat16 ? MixedPrecision.Enable() : null;
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            try { _work!(1); }
            catch (Exception error) { _helperError = error; }
            finally { _done.Release(); }
        }
    }

    /// <summary>Stops the helper thread and gives libtorch back its thread count (validation runs on all of them).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping = true;
        _start.Release();
        _helper.Join();
        EndRegion();
        set_num_threads(_threadsBefore);
        _start.Dispose();
        _done.Dispose();
    }
}
