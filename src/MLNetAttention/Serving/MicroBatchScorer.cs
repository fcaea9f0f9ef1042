using System.Diagnostics;

namespace MLNetAttention.Serving;

/// <summary>
/// Merges the inputs of concurrent callers into batches and scores each batch with one call to a thread-safe,
/// batch-scoring function, such as <c>AttentionOnnxModel.Predict</c> or <c>AttentionOnnxMatcher.Predict</c>: a batch
/// grows until it holds <see cref="MicroBatchOptions.MaxBatchSize"/> inputs or its first input has waited
/// <see cref="MicroBatchOptions.MaxWait"/>. Each caller gets its own outputs, in the order of its inputs.
/// </summary>
/// <typeparam name="TInput">An input, such as a text or a sentence pair.</typeparam>
/// <typeparam name="TOutput">The output for one input, such as a prediction.</typeparam>
/// <remarks>
/// <para>
/// Why: one ONNX Runtime call on 32 short texts costs far less than 32 calls on one text each, and a server's requests
/// usually carry one text. Scoring must not depend on what else is in the batch; the MLNetAttention scorers give the
/// same answer for a text alone or in any batch (their encoders are padding-invariant).
/// </para>
/// <para>
/// A failing call fails only the callers whose inputs caused it: when a batch of several callers fails, each caller's
/// inputs are scored again on their own. A caller whose token is cancelled gets a cancelled task at once, and its
/// inputs are dropped if they were not scored yet. <see cref="DisposeAsync"/> stops taking inputs and returns when
/// every input already taken has been scored. All members are thread-safe. The batches are scored on the scorer's own
/// threads, so a long call never holds a thread-pool thread that a server needs for its requests.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// using var model = AttentionOnnxModel.Load("model.onnx");
/// await using var batcher = new MicroBatchScorer&lt;string, ClassPrediction&gt;(texts =&gt; model.Predict(texts));
/// IReadOnlyList&lt;ClassPrediction&gt; predictions = await batcher.ScoreAsync(["床前明月光，疑是地上霜。"]);
/// </code>
/// </example>
public sealed class MicroBatchScorer<TInput, TOutput> : IAsyncDisposable, IDisposable
{
    private readonly Func<IReadOnlyList<TInput>, IReadOnlyList<TOutput>> _score;
    // The queue, the flags and the waiting all go through this lock (Monitor.Wait/PulseAll).
    private readonly object _lock = new();
    private readonly Queue<Segment> _queue = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _maxBatchSize;
    private readonly long _maxWaitTicks;
    private int _running;
    private bool _completed;
    // One worker at a time forms a batch, so concurrent workers do not each take half of what is queued.
    private bool _forming;
    private long _batches;
    private long _scored;

    /// <summary>Creates a <see cref="MicroBatchScorer{TInput, TOutput}"/>, which scores the batches with <paramref name="score"/>.</summary>
    /// <param name="score">
    /// Scores a batch: one output per input, in input order. It is called from the scorer's own worker threads (not the
    /// thread pool, whose threads a server needs for its requests), and from several at once when
    /// <see cref="MicroBatchOptions.MaxConcurrentBatches"/> is above 1.
    /// </param>
    /// <param name="options">Batch size, wait and concurrency; null for the defaults (64 inputs, 2 ms, one batch at a time).</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public MicroBatchScorer(Func<IReadOnlyList<TInput>, IReadOnlyList<TOutput>> score, MicroBatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        var o = options ?? new MicroBatchOptions();
        o.Validate();
        _score = score;
        _maxBatchSize = o.MaxBatchSize;
        _maxWaitTicks = (long)(o.MaxWait.TotalSeconds * Stopwatch.Frequency);
        Options = new MicroBatchOptions { MaxBatchSize = o.MaxBatchSize, MaxWait = o.MaxWait, MaxConcurrentBatches = o.MaxConcurrentBatches };
        _running = o.MaxConcurrentBatches;
        for (int i = 0; i < o.MaxConcurrentBatches; i++)
            new Thread(Work) { IsBackground = true, Name = $"MicroBatchScorer worker {i + 1}" }.Start();
    }

    /// <summary>A copy of the options this scorer runs with.</summary>
    public MicroBatchOptions Options { get; }

    /// <summary>Calls made to the scoring function so far (batches, including a failed batch's per-caller retries).</summary>
    public long BatchCount => Interlocked.Read(ref _batches);

    /// <summary>Inputs scored successfully so far.</summary>
    public long ScoredCount => Interlocked.Read(ref _scored);

    /// <summary>
    /// Queues <paramref name="inputs"/> for the next batches and returns their outputs, in the same order, once they are
    /// scored. An empty list is answered at once.
    /// </summary>
    /// <param name="inputs">The inputs (copied, so the list may change after the call).</param>
    /// <param name="cancellationToken">Cancels the wait: the task is cancelled at once, and the inputs are not scored if they were still queued.</param>
    /// <returns>The outputs; the task fails with the scoring function's exception when these inputs made it throw.</returns>
    /// <exception cref="ObjectDisposedException">The scorer was disposed.</exception>
    public Task<IReadOnlyList<TOutput>> ScoreAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<IReadOnlyList<TOutput>>(cancellationToken);
        var copy = inputs.ToArray();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            if (copy.Length == 0) return Task.FromResult<IReadOnlyList<TOutput>>(Array.Empty<TOutput>());
            var request = new Request(copy, cancellationToken);
            for (int start = 0; start < request.Inputs.Length; start += _maxBatchSize)
                _queue.Enqueue(new Segment(request, start, Math.Min(_maxBatchSize, request.Inputs.Length - start)));
            Monitor.PulseAll(_lock);
            return request.Completion;
        }
    }

    /// <summary>Stops taking inputs, scores every input already queued and waits for the batches being scored.</summary>
    public async ValueTask DisposeAsync()
    {
        Complete();
        await _stopped.Task.ConfigureAwait(false);
    }

    /// <summary>As <see cref="DisposeAsync"/>, blocking until the queued inputs are scored.</summary>
    public void Dispose()
    {
        Complete();
        _stopped.Task.GetAwaiter().GetResult();
    }

    private void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            Monitor.PulseAll(_lock);
        }
    }

    private void Work()
    {
        var batch = new List<Segment>();
        try
        {
            while (true)
            {
                batch.Clear();
                bool more;
                lock (_lock) more = FormBatch(batch);
                if (batch.Count > 0) Score(batch, isolateFailures: true);
                if (!more) return;
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0) _stopped.TrySetResult();
        }
    }

    /// <summary>Fills <paramref name="batch"/> (under the lock); false once the scorer is disposed and the queue empty.</summary>
    private bool FormBatch(List<Segment> batch)
    {
        while (_forming) Monitor.Wait(_lock);
        _forming = true;
        try
        {
            int size = 0;
            long deadline = 0;
            while (true)
            {
                // A caller cancelled (or failed) while queued needs nothing more.
                while (_queue.Count > 0 && _queue.Peek().Request.IsCompleted) _queue.Dequeue();
                if (_queue.Count > 0)
                {
                    var next = _queue.Peek();
                    if (size > 0 && size + next.Count > _maxBatchSize) return true;
                    _queue.Dequeue();
                    batch.Add(next);
                    size += next.Count;
                    if (size >= _maxBatchSize) return true;
                    if (deadline == 0) deadline = Stopwatch.GetTimestamp() + _maxWaitTicks;
                    continue;
                }
                if (_completed) return size > 0;
                if (size == 0)
                {
                    Monitor.Wait(_lock);
                    continue;
                }
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0) return true;
                Monitor.Wait(_lock, (int)Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency));
            }
        }
        finally
        {
            _forming = false;
            Monitor.PulseAll(_lock);
        }
    }

    private void Score(List<Segment> segments, bool isolateFailures)
    {
        // A caller cancelled while its batch formed needs nothing more.
        var live = segments.Where(s => !s.Request.IsCompleted).ToList();
        if (live.Count == 0) return;
        var inputs = new List<TInput>(live.Sum(s => s.Count));
        foreach (var segment in live)
            for (int i = 0; i < segment.Count; i++) inputs.Add(segment.Request.Inputs[segment.Start + i]);
        IReadOnlyList<TOutput> outputs;
        try
        {
            Interlocked.Increment(ref _batches);
            outputs = _score(inputs) ?? throw new InvalidOperationException("The scoring function returned null.");
            if (outputs.Count != inputs.Count)
                throw new InvalidOperationException($"The scoring function returned {outputs.Count} outputs for {inputs.Count} inputs; it must return one per input.");
        }
        catch (Exception e)
        {
            var requests = live.Select(s => s.Request).Distinct().ToList();
            if (requests.Count == 1 || !isolateFailures)
            {
                foreach (var request in requests) request.Fail(e);
                return;
            }
            // Which caller's inputs made the call throw is unknown: score each caller alone, so only that one fails.
            foreach (var request in requests)
                Score(live.Where(s => s.Request == request).ToList(), isolateFailures: false);
            return;
        }
        Interlocked.Add(ref _scored, inputs.Count);
        int offset = 0;
        foreach (var segment in live)
        {
            segment.Request.Complete(segment.Start, outputs, offset, segment.Count);
            offset += segment.Count;
        }
    }

    /// <summary>Inputs [<paramref name="Start"/>, Start + <paramref name="Count"/>) of one caller's request.</summary>
    private readonly record struct Segment(Request Request, int Start, int Count);

    /// <summary>One caller's inputs, their outputs as they are scored, and the task the caller waits on.</summary>
    private sealed class Request
    {
        private readonly TaskCompletionSource<IReadOnlyList<TOutput>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TOutput[] _outputs;
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenRegistration _registration;
        private int _remaining;

        public Request(TInput[] inputs, CancellationToken cancellationToken)
        {
            Inputs = inputs;
            _outputs = new TOutput[inputs.Length];
            _remaining = inputs.Length;
            _cancellationToken = cancellationToken;
            if (cancellationToken.CanBeCanceled)
                _registration = cancellationToken.Register(static state => ((Request)state!).Cancel(), this);
        }

        public TInput[] Inputs { get; }

        public Task<IReadOnlyList<TOutput>> Completion => _completion.Task;

        public bool IsCompleted => _completion.Task.IsCompleted;

        public void Complete(int start, IReadOnlyList<TOutput> outputs, int offset, int count)
        {
            for (int i = 0; i < count; i++) _outputs[start + i] = outputs[offset + i];
            if (Interlocked.Add(ref _remaining, -count) == 0 && _completion.TrySetResult(_outputs))
                _registration.Unregister();
        }

        public void Fail(Exception exception)
        {
            if (_completion.TrySetException(exception)) _registration.Unregister();
        }

        private void Cancel() => _completion.TrySetCanceled(_cancellationToken);
    }
}
