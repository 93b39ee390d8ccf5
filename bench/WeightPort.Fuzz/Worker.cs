using System.Diagnostics;
using System.Text.Json;

namespace WeightPort.Fuzz;

/// <summary>
/// A worker process: runs its share of the inputs (index ≡ offset mod stride) for each reader, keeping its place and
/// counters in the state file. A watchdog thread ends the process with <see cref="HangExitCode"/> when one input runs
/// past the time limit; the supervisor then reads the stuck input from the state file.
/// </summary>
public static class Worker
{
    /// <summary>The exit code of a worker whose watchdog fired.</summary>
    public const int HangExitCode = 99;

    /// <summary>The exit code of a worker that stopped after a memory failure (already counted and reported) to start afresh.</summary>
    public const int MemoryExitCode = 98;

    // Readers run on a thread with .NET's default secondary-thread stack, as a library caller's thread-pool thread
    // would, so deep recursion that only the 8 MB main thread survives still counts as a crash.
    private const int ReaderStackBytes = 1536 * 1024;

    private const int MaxReportsPerSignature = 3;

    /// <summary>Runs the worker described by <paramref name="o"/>.</summary>
    public static int Run(FuzzOptions o)
    {
        var corpus = SeedCorpus.Load(o.Corpus, o.Fixtures);
        var generator = new InputGenerator(corpus, o.Seed);
        var targets = o.Readers.Select(FuzzTargets.ByName).ToList();
        using var state = new WorkerState(o.StateFile ?? throw new ArgumentException("--worker needs --state"));
        var reported = new Dictionary<string, int>(StringComparer.Ordinal);
        long timeoutTicks = (long)o.TimeoutMs * Stopwatch.Frequency / 1000;

        var watchdog = new Thread(() =>
        {
            while (true)
            {
                Thread.Sleep(50);
                if (state.CurrentTarget >= 0 && Stopwatch.GetTimestamp() - state.StartTimestamp > timeoutTicks)
                {
                    state.Flush();
                    Console.Out.Flush();
                    Environment.Exit(HangExitCode);
                }
            }
        })
        { IsBackground = true, Name = "watchdog" };
        watchdog.Start();

        Exception? harnessError = null;
        bool memoryFailure = false;
        var runner = new Thread(() =>
        {
            try
            {
                for (int ti = o.StartTarget; ti < targets.Count; ti++)
                {
                    var target = targets[ti];
                    for (long i = ti == o.StartTarget ? o.StartIndex : o.Offset; i < o.Inputs; i += o.Stride)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        var input = generator.Generate(target, i);
                        state.Begin(target.Id, i);
                        var outcome = InputRunner.Run(target, input, o.AllocationCap);
                        state.SetIdle();
                        state.Record(target.Id, i, outcome.Kind, outcome.AllocatedBytes, input.Bytes.Length, Stopwatch.GetTimestamp() - t0);
                        if (outcome.Kind is OutcomeKind.OtherException or OutcomeKind.Memory) Report(target, i, outcome, reported);
                        if (outcome.Kind == OutcomeKind.Memory)
                        {
                            // A heap that hit its hard limit may stay fragmented: leave with the input marked so the
                            // supervisor resumes after it in a fresh process.
                            state.Begin(target.Id, i);
                            state.Flush();
                            memoryFailure = true;
                            return;
                        }
                    }
                }
                state.Finished = true;
                state.Flush();
            }
            catch (Exception e)
            {
                harnessError = e;
            }
        }, ReaderStackBytes)
        { Name = "reader" };
        runner.Start();
        runner.Join();
        if (memoryFailure) return MemoryExitCode;
        if (harnessError is not null)
        {
            Console.Error.WriteLine("fuzz worker: harness error: " + harnessError);
            return 3;
        }
        return 0;
    }

    private static void Report(FuzzTarget target, long index, InputOutcome outcome, Dictionary<string, int> reported)
    {
        var e = outcome.Exception!;
        var line = new FailureLine(target.Name, index, outcome.Kind, e.GetType().FullName ?? e.GetType().Name, e.Message, e.ToString());
        string signature = line.Signature;
        int n = reported.GetValueOrDefault(signature);
        if (n >= MaxReportsPerSignature) return;
        reported[signature] = n + 1;
        Console.Out.WriteLine("FAIL " + JsonSerializer.Serialize(line));
        Console.Out.Flush();
    }
}
