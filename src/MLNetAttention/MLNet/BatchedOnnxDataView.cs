using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

namespace MLNetAttention.MLNet;

/// <summary>
/// The output of <see cref="BatchedOnnxTransformer.Transform"/>: its input's columns and the ONNX step's (the score, per
/// side the weights and kept ids, the alignment of a cross matcher), with the types <c>ApplyOnnxModel</c> gives them.
/// A cursor reads windows of rows ahead (a copy of every active column's values), sorts each window's rows by length
/// and cuts them into batches of texts of similar length (at most <see cref="BatchedOnnxTransformer.BatchSize"/> rows),
/// which worker threads score (<see cref="BatchedOnnxTransformer.ParallelBatches"/> at a time) while the cursor serves
/// the previous window's rows in input order.
/// </summary>
internal sealed class BatchedOnnxDataView : IDataView
{
    private readonly BatchedOnnxTransformer _step;
    private readonly IDataView _source;
    private readonly DataViewSchema.Column[] _ids;
    private readonly Output[] _outputs;

    public BatchedOnnxDataView(BatchedOnnxTransformer step, IDataView source, DataViewSchema schema)
    {
        _step = step;
        _source = source;
        Schema = schema;
        var sides = step.Graph.Sides;
        _ids = new DataViewSchema.Column[sides.Count];
        for (int s = 0; s < sides.Count; s++)
        {
            var column = source.Schema.GetColumnOrNull(sides[s].Ids) ?? throw SchemaChecks.Missing(sides[s].Ids);
            if (column.Type is not VectorDataViewType { ItemType.RawType: var item } || item != typeof(long))
                throw SchemaChecks.Mismatch(sides[s].Ids, "vector of Int64", column.Type.ToString() ?? "?");
            _ids[s] = column;
        }
        var outputs = new List<Output> { new(schema[PipelineGraph.ScoreName].Index, OutputKind.Score, 0) };
        for (int s = 0; s < sides.Count; s++)
        {
            outputs.Add(new(schema[sides[s].Weights].Index, OutputKind.Weights, s));
            outputs.Add(new(schema[sides[s].KeptIds].Index, OutputKind.KeptIds, s));
        }
        if (step.Graph.HasAlignment)
            outputs.Add(new(schema[PipelineGraph.AlignmentName].Index, OutputKind.Alignment, 0));
        if (outputs.Any(o => o.Index < source.Schema.Count))
            throw new InvalidOperationException("The ONNX step's output columns must follow its input columns.");
        _outputs = [.. outputs];
    }

    public bool CanShuffle => _source.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
            active[column.Index] = true;
        bool score = _outputs.Any(o => active[o.Index]);
        var needed = Enumerable.Range(0, _source.Schema.Count).Where(i => active[i] || score && _ids.Any(c => c.Index == i))
            .Select(i => _source.Schema[i]).ToArray();
        var input = SerialCursor(needed, rand);
        try
        {
            return new Cursor(this, input, active, score);
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    // A plain GetRowCursor lets ML.NET split the steps before this one over threads and merge their rows again, which on
    // the poetry sample cost more CPU than those steps themselves (segmentation and MapValue, about 10 µs a row): this
    // step already keeps the cores busy, so its input runs on the thread that reads ahead.
    private DataViewRowCursor SerialCursor(DataViewSchema.Column[] needed, Random? rand)
    {
        var cursors = _source.GetRowCursorSet(needed, 1, rand);
        if (cursors.Length == 1)
            return cursors[0];
        foreach (var cursor in cursors)
            cursor.Dispose();
        return _source.GetRowCursor(needed, rand);
    }

    /// <summary>One cursor: it scores in parallel on its own.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private enum OutputKind { Score, Weights, KeptIds, Alignment }

    private readonly record struct Output(int Index, OutputKind Kind, int Side);

    /// <summary>Rows read ahead: copies of their active input values and, once scored, the step's outputs.</summary>
    private sealed class Window
    {
        public Window(int capacity, int sides, Array?[] stores)
        {
            RowIds = new DataViewRowId[capacity];
            Stores = stores;
            KeptIds = new long[sides][][];
            Weights = new float[sides][][];
            for (int s = 0; s < sides; s++)
            {
                KeptIds[s] = new long[capacity][];
                Weights[s] = new float[capacity][];
            }
            Scores = new float[capacity][];
            Alignments = new float[capacity][];
        }

        public int Count;
        public readonly DataViewRowId[] RowIds;
        public readonly Array?[] Stores;
        public readonly long[][][] KeptIds;
        public readonly float[][][] Weights;
        public readonly float[][] Scores;
        public readonly float[][] Alignments;
        public int Pending;
        public TaskCompletionSource Scored = new();

        public void BatchDone()
        {
            if (Interlocked.Decrement(ref Pending) == 0)
                Scored.TrySetResult();
        }
    }

    private sealed record Batch(Window Window, int[] Rows);

    private sealed class Cursor : DataViewRowCursor
    {
        // Windows scored ahead of the one being served: while the cursor serves one and reads the next, the workers
        // always have a whole window queued.
        private const int WindowsAhead = 2;

        private const double MaxGrowth = 1.25;

        // A worker with nothing to do for this long stops (a new one starts with the next batch), so that a cursor that is
        // never disposed leaves no thread behind.
        private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(1);

        private readonly BatchedOnnxDataView _parent;
        private readonly DataViewRowCursor _input;
        private readonly bool[] _active;
        private readonly bool _score;
        private readonly int _windowSize;
        private readonly PassThrough?[] _passThrough;
        private readonly ValueGetter<VBuffer<long>>[] _idGetters;
        private readonly ValueGetter<DataViewRowId> _rowIdGetter;
        private readonly Queue<Window> _ahead = new();
        private readonly Stack<Window> _free = new();
        private readonly BlockingCollection<Batch> _batches = new();
        private readonly List<Task> _workers = [];
        private readonly Lock _workersLock = new();
        private int _running;
        private VBuffer<long> _ids;
        private Window? _current;
        private int _row;
        private long _position = -1;
        private bool _inputDone;
        private volatile bool _cancelled;
        private bool _disposed;

        public Cursor(BatchedOnnxDataView parent, DataViewRowCursor input, bool[] active, bool score)
        {
            _parent = parent;
            _input = input;
            _active = active;
            _score = score;
            var step = parent._step;
            // Sorting more rows by length leaves less padding: on the poetry sample (a long tail of long poems) batches
            // cut from windows of 128 rows computed 1.8x the tokens of the texts, from 512 rows 1.4x; with the cuts at
            // MaxGrowth, 1.07x and 1.03x.
            _windowSize = step.BatchSize * Math.Max(2, step.ParallelBatches) * 8;
            _passThrough = new PassThrough?[parent._source.Schema.Count];
            for (int i = 0; i < _passThrough.Length; i++)
                if (active[i])
                    _passThrough[i] = PassThrough.Create(input, parent._source.Schema[i]);
            _idGetters = score ? [.. parent._ids.Select(input.GetGetter<VBuffer<long>>)] : [];
            _rowIdGetter = input.GetIdGetter();
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = Current.RowIds[_row];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            if (typeof(TValue) != column.Type.RawType)
                throw new InvalidOperationException($"Invalid TValue in GetGetter for column '{column.Name}': expected {column.Type.RawType.Name}, got {typeof(TValue).Name}.");
            if (column.Index < _passThrough.Length)
                return (ValueGetter<TValue>)_passThrough[column.Index]!.Getter(this, column.Index);
            var output = _parent._outputs.First(o => o.Index == column.Index);
            Delegate getter = output.Kind switch
            {
                OutputKind.Score => FloatGetter(w => w.Scores),
                OutputKind.Weights => FloatGetter(w => w.Weights[output.Side]),
                OutputKind.Alignment => FloatGetter(w => w.Alignments),
                _ => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> value) => Fill(Current.KeptIds[output.Side][_row], ref value)),
            };
            return (ValueGetter<TValue>)getter;
        }

        private ValueGetter<VBuffer<float>> FloatGetter(Func<Window, float[][]> values) =>
            (ref VBuffer<float> value) => Fill(values(Current)[_row], ref value);

        private static void Fill<T>(T[] values, ref VBuffer<T> destination)
        {
            var editor = VBufferEditor.Create(ref destination, values.Length);
            values.CopyTo(editor.Values);
            destination = editor.Commit();
        }

        private Window Current => _current ?? throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");

        public Array CurrentStore(int column) => Current.Stores[column]!;

        public int CurrentRow => _row;

        public override bool MoveNext()
        {
            if (_disposed)
                return false;
            if (_current is not null && _row + 1 < _current.Count)
            {
                _row++;
                _position++;
                return true;
            }
            if (_current is not null)
                _free.Push(_current);
            _current = null;
            if (_ahead.Count == 0)
                ReadAhead();
            if (_ahead.Count == 0)
                return false;
            var next = _ahead.Dequeue();
            // Read the next windows while the workers score this one.
            ReadAhead();
            next.Scored.Task.GetAwaiter().GetResult();
            _current = next;
            _row = 0;
            _position++;
            return true;
        }

        private void ReadAhead()
        {
            while (_ahead.Count < WindowsAhead && !_inputDone)
            {
                var window = _free.Count > 0 ? _free.Pop() : NewWindow();
                window.Count = 0;
                while (window.Count < _windowSize && _input.MoveNext())
                    Read(window, window.Count++);
                if (window.Count < _windowSize)
                    _inputDone = true;
                if (window.Count == 0)
                {
                    _free.Push(window);
                    return;
                }
                Submit(window);
                _ahead.Enqueue(window);
            }
        }

        private Window NewWindow()
        {
            var stores = new Array?[_passThrough.Length];
            for (int i = 0; i < stores.Length; i++)
                stores[i] = _passThrough[i]?.NewStore(_windowSize);
            return new Window(_windowSize, _idGetters.Length, stores);
        }

        // Copies the input's current row into slot `row`, and keeps the ids the graph scores: the first max_length,
        // 0 for a token outside the vocabulary, as the variant graph's Slice does.
        private void Read(Window window, int row)
        {
            _rowIdGetter(ref window.RowIds[row]);
            for (int i = 0; i < _passThrough.Length; i++)
                _passThrough[i]?.Read(window.Stores[i]!, row);
            int maxLength = _parent._step.Graph.MaxLength;
            for (int s = 0; s < _idGetters.Length; s++)
            {
                _idGetters[s](ref _ids);
                int length = Math.Min(_ids.Length, maxLength);
                var kept = new long[length];
                if (_ids.IsDense)
                    _ids.GetValues()[..length].CopyTo(kept);
                else
                    foreach (var (index, id) in _ids.Items())
                        if (index < length) kept[index] = id;
                window.KeptIds[s][row] = kept;
            }
        }

        private void Submit(Window window)
        {
            window.Scored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_score)
            {
                window.Scored.SetResult();
                return;
            }
            // Sorted by length (the sum of both sides for a pair), so that each batch pads little; the rows keep their slots.
            var keys = new int[window.Count];
            var order = new int[window.Count];
            for (int r = 0; r < window.Count; r++)
            {
                order[r] = r;
                for (int s = 0; s < _idGetters.Length; s++)
                    keys[r] += window.KeptIds[s][r].Length;
            }
            Array.Sort(keys, order);
            // A batch ends at BatchSize rows, or before a row it would pad the others for: one longer than its first
            // (shortest) row by more than MaxGrowth, plus 2 tokens.
            int batchSize = _parent._step.BatchSize;
            var batches = new List<Batch>();
            for (int first = 0, end = 1; end <= window.Count; end++)
            {
                if (end < window.Count && end - first < batchSize && keys[end] <= keys[first] * MaxGrowth + 2)
                    continue;
                batches.Add(new Batch(window, order[first..end]));
                first = end;
            }
            window.Pending = batches.Count;
            foreach (var batch in batches)
                _batches.Add(batch);
            StartWorkers();
        }

        private void StartWorkers()
        {
            // Dedicated threads, not pool threads: the cursor's reader may itself be a pool thread that blocks on the
            // window, and pooled workers could then wait for the pool to grow.
            lock (_workersLock)
            {
                _workers.RemoveAll(worker => worker.IsCompleted);
                for (; _running < _parent._step.ParallelBatches; _running++)
                    _workers.Add(Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            }
        }

        private void Work()
        {
            while (true)
            {
                if (_batches.TryTake(out var batch, IdleTimeout))
                {
                    try
                    {
                        if (!_cancelled)
                            Score(_parent._step, batch);
                        batch.Window.BatchDone();
                    }
                    catch (Exception e)
                    {
                        batch.Window.Scored.TrySetException(e);
                    }
                    continue;
                }
                lock (_workersLock)
                {
                    // Idle, or the cursor is disposed: stop, unless a batch came in meanwhile (StartWorkers, which runs
                    // after a batch is added, saw this worker as running).
                    if (_batches.Count > 0)
                        continue;
                    _running--;
                    return;
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (_disposed)
                return;
            _disposed = true;
            if (disposing)
            {
                // Queued batches are skipped; the one running finishes before the input and the session can go.
                _cancelled = true;
                _batches.CompleteAdding();
                Task[] workers;
                lock (_workersLock)
                    workers = [.. _workers];
                Task.WaitAll(workers);
                _batches.Dispose();
                _input.Dispose();
                _current = null;
                _ahead.Clear();
                _free.Clear();
            }
            base.Dispose(disposing);
        }
    }

    // Pads each side's ids with 0 to the batch's longest (unknown 0 → 1, as the variant graph's Max does), runs the
    // graph and cuts every row's outputs to its own tokens.
    private static void Score(BatchedOnnxTransformer step, Batch batch)
    {
        var window = batch.Window;
        int count = batch.Rows.Length;
        var sides = step.Graph.Sides;
        var inputs = new OrtValue[sides.Count];
        var lengths = new int[sides.Count];
        try
        {
            for (int s = 0; s < sides.Count; s++)
            {
                var kept = window.KeptIds[s];
                int length = 1;
                foreach (int row in batch.Rows)
                    length = Math.Max(length, kept[row].Length);
                var ids = new long[count * length];
                for (int r = 0; r < count; r++)
                {
                    var row = kept[batch.Rows[r]];
                    for (int t = 0; t < row.Length; t++)
                        ids[r * length + t] = Math.Max(row[t], 1L);
                }
                lengths[s] = length;
                inputs[s] = OrtValue.CreateTensorValueFromMemory(ids, [count, length]);
            }
            using var runOptions = new RunOptions();
            using var outputs = step.Session.Run(runOptions, step.InputNames, inputs, step.OutputNames);

            var scores = outputs[0].GetTensorDataAsSpan<float>();
            int classes = scores.Length / count;
            for (int r = 0; r < count; r++)
                window.Scores[batch.Rows[r]] = scores.Slice(r * classes, classes).ToArray();
            for (int s = 0; s < sides.Count; s++)
            {
                var weights = outputs[1 + s].GetTensorDataAsSpan<float>();
                int padded = lengths[s];
                int heads = weights.Length / (count * padded);
                for (int r = 0; r < count; r++)
                {
                    int row = batch.Rows[r];
                    int length = window.KeptIds[s][row].Length;
                    // Head-major, as the variant's [1, heads, L] flattened: token t of head h at h * L + t.
                    var values = new float[heads * length];
                    for (int h = 0; h < heads; h++)
                        weights.Slice((r * heads + h) * padded, length).CopyTo(values.AsSpan(h * length));
                    window.Weights[s][row] = values;
                }
            }
            if (step.Graph.HasAlignment)
            {
                var alignment = outputs[1 + sides.Count].GetTensorDataAsSpan<float>();
                int padded1 = lengths[0], padded2 = lengths[1];
                for (int r = 0; r < count; r++)
                {
                    int row = batch.Rows[r];
                    int length1 = window.KeptIds[0][row].Length, length2 = window.KeptIds[1][row].Length;
                    // Row-major L1 × L2 over the row's own tokens, as the variant's Reshape of [1, L1, L2].
                    var values = new float[length1 * length2];
                    for (int i = 0; i < length1; i++)
                        alignment.Slice((r * padded1 + i) * padded2, length2).CopyTo(values.AsSpan(i * length2));
                    window.Alignments[row] = values;
                }
            }
        }
        finally
        {
            foreach (var input in inputs)
                input?.Dispose();
        }
    }

    /// <summary>Copies one input column's values into a window and serves them back.</summary>
    private abstract class PassThrough
    {
        public abstract Array NewStore(int capacity);

        public abstract void Read(Array store, int row);

        public abstract Delegate Getter(Cursor cursor, int column);

        public static PassThrough Create(DataViewRowCursor input, DataViewSchema.Column column)
        {
            var type = column.Type.RawType;
            Type passThrough = type == typeof(ReadOnlyMemory<char>) ? typeof(TextPassThrough)
                : type == typeof(VBuffer<ReadOnlyMemory<char>>) ? typeof(TextVectorPassThrough)
                : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(VBuffer<>) ? typeof(VectorPassThrough<>).MakeGenericType(type.GetGenericArguments())
                : typeof(ValuePassThrough<>).MakeGenericType(type);
            return (PassThrough)Activator.CreateInstance(passThrough, input, column)!;
        }

        // A text that is not a string's memory may be a buffer its producer reuses for the next row: keep a copy.
        protected static ReadOnlyMemory<char> Own(ReadOnlyMemory<char> text) =>
            MemoryMarshal.TryGetString(text, out _, out _, out _) ? text : text.ToString().AsMemory();
    }

    private abstract class PassThrough<T>(DataViewRowCursor input, DataViewSchema.Column column) : PassThrough
    {
        private readonly ValueGetter<T> _input = input.GetGetter<T>(column);
        private T _value = default!;

        public override Array NewStore(int capacity) => new T[capacity];

        public override void Read(Array store, int row)
        {
            _input(ref _value);
            Store(ref _value, ref ((T[])store)[row]);
        }

        public override Delegate Getter(Cursor cursor, int column) =>
            (ValueGetter<T>)((ref T value) => Serve(((T[])cursor.CurrentStore(column))[cursor.CurrentRow], ref value));

        protected abstract void Store(ref T value, ref T slot);

        protected abstract void Serve(T slot, ref T value);
    }

    private sealed class ValuePassThrough<T>(DataViewRowCursor input, DataViewSchema.Column column) : PassThrough<T>(input, column)
    {
        protected override void Store(ref T value, ref T slot) => slot = value;

        protected override void Serve(T slot, ref T value) => value = slot;
    }

    private sealed class TextPassThrough(DataViewRowCursor input, DataViewSchema.Column column) : PassThrough<ReadOnlyMemory<char>>(input, column)
    {
        protected override void Store(ref ReadOnlyMemory<char> value, ref ReadOnlyMemory<char> slot) => slot = Own(value);

        protected override void Serve(ReadOnlyMemory<char> slot, ref ReadOnlyMemory<char> value) => value = slot;
    }

    // The getter's buffer is reused by the input for the next row, and the caller's by the caller: copy both ways.
    private class VectorPassThrough<T>(DataViewRowCursor input, DataViewSchema.Column column) : PassThrough<VBuffer<T>>(input, column)
    {
        protected override void Store(ref VBuffer<T> value, ref VBuffer<T> slot) => value.CopyTo(ref slot);

        protected override void Serve(VBuffer<T> slot, ref VBuffer<T> value) => slot.CopyTo(ref value);
    }

    private sealed class TextVectorPassThrough(DataViewRowCursor input, DataViewSchema.Column column) : VectorPassThrough<ReadOnlyMemory<char>>(input, column)
    {
        protected override void Store(ref VBuffer<ReadOnlyMemory<char>> value, ref VBuffer<ReadOnlyMemory<char>> slot)
        {
            base.Store(ref value, ref slot);
            var editor = VBufferEditor.CreateFromBuffer(ref slot);
            for (int i = 0; i < editor.Values.Length; i++)
                editor.Values[i] = Own(editor.Values[i]);
            slot = editor.Commit();
        }
    }
}
