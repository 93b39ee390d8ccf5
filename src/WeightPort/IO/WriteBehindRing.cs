using System.Runtime.ExceptionServices;

namespace WeightPort.IO;

/// <summary>
/// A ring of <see cref="StagingBlock"/>s filled by one producer and consumed, in order, by two background consumers
/// (one hashes, one stores), each at its own pace. The producer waits when every block is still in use, which bounds the
/// memory to the ring. The first consumer failure ends the ring: the producer's next call throws it.
/// </summary>
internal sealed class WriteBehindRing : IDisposable
{
    private readonly int _blockBytes;
    private readonly StagingBlock?[] _ring;
    private readonly Action<StagingBlock>[] _consumers;
    private readonly long[] _done;
    private readonly Task[] _tasks;
    private readonly object _gate = new();
    private long _produced;
    private long _submitted;
    private bool _completed;
    private bool _abandoned;
    private ExceptionDispatchInfo? _failure;

    /// <summary>Starts one long-running task per consumer.</summary>
    public WriteBehindRing(int blockBytes, int blocks, params Action<StagingBlock>[] consumers)
    {
        _blockBytes = blockBytes;
        _ring = new StagingBlock?[blocks];
        _consumers = consumers;
        _done = new long[consumers.Length];
        Current = _ring[0] = new StagingBlock(blockBytes);
        // Loops rather than LINQ here and in Slowest: its generic instantiations over these types are JIT-compiled at
        // every start of the CLI.
        _tasks = new Task[consumers.Length];
        for (int i = 0; i < consumers.Length; i++)
        {
            int consumer = i;
            _tasks[i] = Task.Factory.StartNew(() => Drain(consumer), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>The block the producer fills now.</summary>
    public StagingBlock Current { get; private set; }

    /// <summary>Bytes handed to the consumers so far.</summary>
    public long Submitted => _submitted;

    /// <summary>Throws the first consumer failure, if any.</summary>
    public void ThrowIfFailed() => _failure?.Throw();

    /// <summary>Hands the current block to the consumers and makes the next one current once its slot is free.</summary>
    public void Submit()
    {
        if (Current.Length == 0) return;
        Current.Offset = _submitted;
        _submitted += Current.Length;
        lock (_gate)
        {
            _produced++;
            Monitor.PulseAll(_gate);
            while (_produced - Slowest() >= _ring.Length && _failure is null) Monitor.Wait(_gate);
        }
        ThrowIfFailed();
        // Blocks are allocated on demand: a small file never needs more than one.
        int slot = (int)(_produced % _ring.Length);
        Current = _ring[slot] ??= new StagingBlock(_blockBytes);
        Current.Length = 0;
    }

    /// <summary>Waits until consumer <paramref name="consumer"/> has processed every submitted block.</summary>
    public void WaitFor(int consumer)
    {
        lock (_gate)
        {
            while (_done[consumer] < _produced && _failure is null) Monitor.Wait(_gate);
        }
        ThrowIfFailed();
    }

    /// <summary>Submits the last block, lets the consumers finish and waits for them.</summary>
    public void Complete()
    {
        Submit();
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
        Task.WaitAll(_tasks);
        ThrowIfFailed();
    }

    /// <summary>Stops the consumers without waiting for what is still queued (an abandoned write), then frees the blocks.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (!_completed) _abandoned = true;
            Monitor.PulseAll(_gate);
        }
        Task.WaitAll(_tasks);
        foreach (var block in _ring) ((IDisposable?)block)?.Dispose();
    }

    private void Drain(int consumer)
    {
        for (long next = 0; ; next++)
        {
            StagingBlock block;
            lock (_gate)
            {
                while (next == _produced && !_completed && !_abandoned && _failure is null) Monitor.Wait(_gate);
                if (next == _produced || _abandoned || _failure is not null) return;
                block = _ring[next % _ring.Length]!;
            }
            try
            {
                _consumers[consumer](block);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(e);
                    Monitor.PulseAll(_gate);
                }
                return;
            }
            lock (_gate)
            {
                _done[consumer] = next + 1;
                Monitor.PulseAll(_gate);
            }
        }
    }

    // The number of blocks the slowest consumer has finished; called under _gate.
    private long Slowest()
    {
        long slowest = long.MaxValue;
        foreach (long done in _done) slowest = Math.Min(slowest, done);
        return slowest;
    }
}
