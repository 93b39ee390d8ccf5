using System.Diagnostics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// One worker thread per extra core, kept for the process, that picks up the items of a <see cref="TeamWork"/> with
/// the calling thread. A single token runs seven products of a millisecond or less each, back to back: the workers
/// spin for a moment after each job, so the next one starts without a wake-up through the OS (which a
/// <see cref="Parallel.For(int, int, Action{int})"/> on sleeping pool threads pays every time), then sleep.
/// One job at a time; a caller that finds the team busy (another model on another thread) runs on the thread pool.
/// </summary>
internal sealed class CoreTeam
{
    /// <summary>How long an idle worker spins before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    private readonly Worker[] _workers;
    private readonly object _gate = new();
    private TeamWork? _work;
    private int _items;
    private int _next;
    private int _running;
    private long _generation;
    private Exception? _failure;

    private CoreTeam(int cores)
    {
        _workers = new Worker[Math.Max(0, cores - 1)];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Worker();
            var thread = new Thread(Loop) { IsBackground = true, Name = $"WeightPort core {i + 1}" };
            thread.Start(_workers[i]);
        }
    }

    /// <summary>The process's team, one thread per core beyond the caller's.</summary>
    public static CoreTeam Shared { get; } = new(Environment.ProcessorCount);

    /// <summary>Runs items 0 … <paramref name="items"/> − 1 of <paramref name="work"/> on every core and returns when all are done.</summary>
    /// <exception cref="AggregateException">An item threw (the first exception, wrapped).</exception>
    public void Run(TeamWork work, int items)
    {
        if (items <= 0) return;
        if (items == 1 || _workers.Length == 0)
        {
            for (int i = 0; i < items; i++) work.Run(i);
            return;
        }
        if (!Monitor.TryEnter(_gate))
        {
            Parallel.For(0, items, work.Run);
            return;
        }
        try
        {
            _work = work;
            _items = items;
            _next = 0;
            _failure = null;
            _running = _workers.Length;
            Interlocked.Increment(ref _generation);
            foreach (Worker w in _workers)
                if (Interlocked.Exchange(ref w.Sleeping, 0) == 1) w.Wake.Release();
            Participate();
            var spin = new SpinWait();
            while (Volatile.Read(ref _running) > 0) spin.SpinOnce(sleep1Threshold: -1);
            _work = null;
            if (_failure is { } failure) throw new AggregateException(failure);
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void Participate()
    {
        TeamWork work = _work!;
        int items = _items;
        try
        {
            for (int i; (i = Interlocked.Increment(ref _next) - 1) < items;) work.Run(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            // Let the other threads stop early.
            Volatile.Write(ref _next, items);
        }
    }

    private void Loop(object? state)
    {
        var self = (Worker)state!;
        long seen = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                Interlocked.Exchange(ref self.Sleeping, 1);
                // A job posted between the check above and the flag: take the flag back, or consume the wake-up.
                if (Volatile.Read(ref _generation) != seen && Interlocked.CompareExchange(ref self.Sleeping, 0, 1) == 1) break;
                self.Wake.Wait();
                break;
            }
            seen = Volatile.Read(ref _generation);
            Participate();
            Interlocked.Decrement(ref _running);
        }
    }

    private sealed class Worker
    {
        public readonly SemaphoreSlim Wake = new(0);
        public int Sleeping;
    }
}
