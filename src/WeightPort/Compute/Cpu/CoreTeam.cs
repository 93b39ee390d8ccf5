using System.Diagnostics;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// One worker thread per extra core, kept for the process, that picks up the items of a <see cref="TeamWork"/> with
/// the calling thread. A single token runs seven products of a millisecond or less each, back to back: the workers
/// spin for a moment after each job, so the next one starts without a wake-up through the OS (which a
/// <see cref="Parallel.For(int, int, Action{int})"/> on sleeping pool threads pays every time), then sleep.
/// One job at a time; a caller that finds the team busy (another model on another thread, or an item of the running
/// job) runs on the thread pool.
/// </summary>
internal sealed class CoreTeam
{
    /// <summary>How long an idle worker spins (yielding to other threads) before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000;

    private readonly Worker[] _workers;
    private int _busy;
    private Job? _job;
    private long _generation;

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
    /// <remarks>
    /// The caller never waits for a worker that has not started: on a machine busier than its cores, a descheduled
    /// worker costs nothing, the caller takes its items. Each job counts its own items, so a worker that wakes late
    /// finds an old job exhausted and never runs an item twice.
    /// </remarks>
    /// <exception cref="AggregateException">An item threw (the first exception, wrapped).</exception>
    public void Run(TeamWork work, int items)
    {
        if (items <= 0) return;
        if (items == 1 || _workers.Length == 0)
        {
            for (int i = 0; i < items; i++) work.Run(i);
            return;
        }
        // Not a Monitor: it is reentrant, and an item that called Run on the same thread would replace the job it runs in.
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            Parallel.For(0, items, work.Run);
            return;
        }
        try
        {
            var job = new Job(work, items);
            Volatile.Write(ref _job, job);
            Interlocked.Increment(ref _generation);
            foreach (Worker w in _workers)
                if (Interlocked.Exchange(ref w.Sleeping, 0) == 1) w.Wake.Release();
            job.Participate();
            var spin = new SpinWait();
            while (Volatile.Read(ref job.InFlight) > 0) spin.SpinOnce(sleep1Threshold: -1);
            Volatile.Write(ref _job, null);
            if (job.Failure is { } failure) throw new AggregateException(failure);
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    private void Loop(object? state)
    {
        var self = (Worker)state!;
        long seen = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                Interlocked.Exchange(ref self.Sleeping, 1);
                // A job posted between the check above and the flag: take the flag back, or consume the wake-up.
                if (Volatile.Read(ref _generation) != seen && Interlocked.CompareExchange(ref self.Sleeping, 0, 1) == 1) break;
                self.Wake.Wait();
                break;
            }
            seen = Volatile.Read(ref _generation);
            Volatile.Read(ref _job)?.Participate();
        }
    }

    private sealed class Job(TeamWork work, int items)
    {
        public int InFlight;
        private int _next;

        public Exception? Failure { get; private set; }

        public void Participate()
        {
            while (true)
            {
                // Counted in flight before claiming, so the caller, once every item is claimed, waits for the running ones.
                Interlocked.Increment(ref InFlight);
                int i = Interlocked.Increment(ref _next) - 1;
                if (i >= items)
                {
                    Interlocked.Decrement(ref InFlight);
                    return;
                }
                try
                {
                    work.Run(i);
                }
                catch (Exception e)
                {
                    lock (this) Failure ??= e;
                    Volatile.Write(ref _next, items);
                }
                finally
                {
                    Interlocked.Decrement(ref InFlight);
                }
            }
        }
    }

    private sealed class Worker
    {
        public readonly SemaphoreSlim Wake = new(0);
        public int Sleeping;
    }
}
