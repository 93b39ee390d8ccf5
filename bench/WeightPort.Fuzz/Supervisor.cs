using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace WeightPort.Fuzz;

/// <summary>
/// Runs the workers (one per core), restarts one that died past the input that killed it (read from its state file),
/// saves every failing input with a replay command, and prints the per-reader figures.
/// </summary>
public sealed class Supervisor
{
    private const int MaxRestartsPerWorker = 500;
    private const int MaxSavedPerSignature = 5;

    private readonly FuzzOptions _o;
    private readonly List<FailureLine> _failures = [];
    private readonly List<string> _harnessErrors = [];

    /// <summary>Creates the supervisor.</summary>
    public Supervisor(FuzzOptions options) => _o = options;

    /// <summary>Runs the whole fuzz; returns the process exit code.</summary>
    public int Run()
    {
        var corpus = SeedCorpus.Load(_o.Corpus, _o.Fixtures);
        var generator = new InputGenerator(corpus, _o.Seed);
        var targets = _o.Readers.Select(FuzzTargets.ByName).ToList();
        Directory.CreateDirectory(_o.Output);
        var log = Console.Error;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz: seed {_o.Seed}, {_o.Inputs:N0} inputs per reader × {targets.Count} readers, {_o.Workers} workers, {corpus.All.Count} seeds ({Describe(corpus)}), limit {_o.TimeoutMs} ms and {_o.AllocationCap >> 20} MiB per input"));
        foreach (var t in targets)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fuzz:   {t.Name}: {generator.SystematicCount(t):N0} boundary truncations, then random mutations"));

        var states = new List<WorkerState>();
        for (int w = 0; w < _o.Workers; w++)
        {
            string path = Path.Combine(_o.Output, $"worker-{w}.state");
            File.Delete(path);
            states.Add(new WorkerState(path));
        }
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, _o.Workers).Select(w => Task.Run(() => Supervise(w, states[w], targets))).ToArray();
        long total = _o.Inputs * targets.Count;
        while (!Task.WaitAll(tasks, TimeSpan.FromSeconds(15)))
        {
            long done = states.Sum(s => targets.Sum(t => s.Get(t.Id, StatField.Inputs)));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fuzz: {done:N0}/{total:N0} inputs, {clock.Elapsed.TotalSeconds:F0} s, {done / clock.Elapsed.TotalSeconds:F0}/s, {_failures.Count} failure reports"));
        }
        clock.Stop();

        var summaries = targets.Select(t => Summarize(t, states)).ToList();
        foreach (var s in states) s.Dispose();
        int saved = SaveFailures(generator);
        PrintSummary(summaries, clock.Elapsed, saved);
        bool failed = summaries.Any(s => s.Failures > 0) || _harnessErrors.Count > 0 || summaries.Any(s => s.Inputs != _o.Inputs);
        return failed ? 1 : 0;
    }

    private static string Describe(SeedCorpus corpus) =>
        string.Join(", ", Enum.GetValues<SeedKind>().Select(k => $"{corpus.OfKind(k).Count} {k.ToString().ToLowerInvariant()}"));

    private void Supervise(int w, WorkerState state, List<FuzzTarget> targets)
    {
        int startTarget = 0;
        long startIndex = w;
        for (int restarts = 0; ; restarts++)
        {
            var (exit, stderrTail) = RunWorker(w, state, startTarget, startIndex);
            if (exit == 0 && state.Finished) return;
            int t = state.CurrentTarget;
            if (t < 0 || restarts >= MaxRestartsPerWorker)
            {
                lock (_harnessErrors) _harnessErrors.Add($"worker {w} exited with {exit} outside any input (restarts {restarts}): {stderrTail}");
                return;
            }
            long index = state.CurrentIndex;
            if (exit == Worker.MemoryExitCode)
            {
                state.SetIdle();
                startTarget = targets.FindIndex(x => x.Id == t);
                startIndex = index + _o.Workers;
                continue;
            }
            var kind = exit == Worker.HangExitCode ? OutcomeKind.Hang : OutcomeKind.Crash;
            var target = FuzzTargets.All[t];
            state.Record(t, index, kind, 0, 0, 0);
            state.SetIdle();
            state.Flush();
            string type = kind == OutcomeKind.Hang ? $"hang (over {_o.TimeoutMs} ms)" : $"crash (exit code {exit})";
            lock (_failures) _failures.Add(new FailureLine(target.Name, index, kind, type, stderrTail, stderrTail));
            Console.Error.WriteLine($"fuzz: worker {w} {type} on {target.Name} #{index}; restarting after it");
            startTarget = targets.FindIndex(x => x.Id == t);
            startIndex = index + _o.Workers;
        }
    }

    private (int Exit, string StderrTail) RunWorker(int w, WorkerState state, int startTarget, long startIndex)
    {
        var psi = new ProcessStartInfo
        {
            FileName = Environment.ProcessPath!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        string[] args =
        [
            "--worker", "--state", Path.Combine(_o.Output, $"worker-{w}.state"), "--seed", _o.Seed.ToString(CultureInfo.InvariantCulture),
            "--inputs", _o.Inputs.ToString(CultureInfo.InvariantCulture), "--readers", string.Join(',', _o.Readers),
            "--start-target", startTarget.ToString(CultureInfo.InvariantCulture), "--start-index", startIndex.ToString(CultureInfo.InvariantCulture),
            "--stride", _o.Workers.ToString(CultureInfo.InvariantCulture), "--offset", w.ToString(CultureInfo.InvariantCulture),
            "--timeout-ms", _o.TimeoutMs.ToString(CultureInfo.InvariantCulture), "--alloc-cap-mb", (_o.AllocationCap >> 20).ToString(CultureInfo.InvariantCulture),
            "--corpus", _o.Corpus, "--fixtures", _o.Fixtures,
        ];
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
                if (stderr.Length > 8192) stderr.Remove(0, stderr.Length - 8192);
            }
        };
        p.BeginErrorReadLine();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            if (!line.StartsWith("FAIL ", StringComparison.Ordinal)) continue;
            var failure = JsonSerializer.Deserialize<FailureLine>(line[5..]);
            if (failure is not null) lock (_failures) _failures.Add(failure);
        }
        p.WaitForExit();
        lock (stderr) return (p.ExitCode, stderr.ToString().Trim());
    }

    private static ReaderSummary Summarize(FuzzTarget t, List<WorkerState> states)
    {
        long Sum(StatField f) => states.Sum(s => s.Get(t.Id, f));
        var maxAlloc = states.MaxBy(s => s.Get(t.Id, StatField.MaxAlloc))!;
        var maxRatio = states.MaxBy(s => s.Get(t.Id, StatField.MaxRatioMilli))!;
        var slowest = states.MaxBy(s => s.Get(t.Id, StatField.MaxTicks))!;
        double seconds = Sum(StatField.ElapsedTicks) / (double)Stopwatch.Frequency;
        return new ReaderSummary
        {
            Reader = t.Name,
            Inputs = Sum(StatField.Inputs),
            Results = Sum(StatField.Results),
            FormatErrors = Sum(StatField.FormatErrors),
            OtherExceptions = Sum(StatField.OtherExceptions),
            Crashes = Sum(StatField.Crashes),
            Hangs = Sum(StatField.Hangs),
            Memory = Sum(StatField.Memory),
            MaxAllocBytes = maxAlloc.Get(t.Id, StatField.MaxAlloc),
            MaxAllocInputBytes = maxAlloc.Get(t.Id, StatField.MaxAllocInputSize),
            MaxAllocIndex = maxAlloc.Get(t.Id, StatField.MaxAllocIndex),
            MaxRatio = maxRatio.Get(t.Id, StatField.MaxRatioMilli) / 1000.0,
            MaxRatioAllocBytes = maxRatio.Get(t.Id, StatField.MaxRatioAlloc),
            MaxRatioInputBytes = maxRatio.Get(t.Id, StatField.MaxRatioInputSize),
            SlowestMs = slowest.Get(t.Id, StatField.MaxTicks) * 1000.0 / Stopwatch.Frequency,
            SlowestIndex = slowest.Get(t.Id, StatField.MaxTicksIndex),
            InputsPerSecondPerCore = seconds > 0 ? Sum(StatField.Inputs) / seconds : 0,
        };
    }

    private int SaveFailures(InputGenerator generator)
    {
        if (_failures.Count == 0) return 0;
        string dir = Path.Combine(_o.Output, "failures");
        Directory.CreateDirectory(dir);
        int saved = 0;
        foreach (var group in _failures.GroupBy(f => f.Signature))
        {
            Console.Error.WriteLine($"fuzz: FAILURE {group.Key} ({group.Count()} reported)");
            foreach (var f in group.Take(MaxSavedPerSignature))
            {
                var input = generator.Generate(FuzzTargets.ByName(f.Reader), f.Index);
                string stem = Path.Combine(dir, $"{f.Reader}-{_o.Seed}-{f.Index}");
                File.WriteAllBytes(stem + ".bin", input.Bytes);
                File.WriteAllText(stem + ".txt", string.Create(CultureInfo.InvariantCulture,
                    $"reader: {f.Reader}\nseed: {_o.Seed}\nindex: {f.Index}\nkind: {f.Kind}\nreport-unsafe-globals: {input.ReportUnsafe}\ninput: {input.Bytes.Length} bytes, {input.Description}\nreplay: dotnet run -c Release --project bench/WeightPort.Fuzz -- --replay --reader {f.Reader} --seed {_o.Seed} --index {f.Index}\n{f.Type}: {f.Message}\n{f.Stack}\n"));
                Console.Error.WriteLine($"fuzz:   saved {stem}.bin ({input.Description})");
                saved++;
            }
        }
        return saved;
    }

    private void PrintSummary(List<ReaderSummary> summaries, TimeSpan wall, int saved)
    {
        if (_o.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                seed = _o.Seed,
                inputsPerReader = _o.Inputs,
                workers = _o.Workers,
                wallSeconds = Math.Round(wall.TotalSeconds, 1),
                readers = summaries,
                failuresSaved = saved,
                harnessErrors = _harnessErrors,
            }, new JsonSerializerOptions { WriteIndented = true }));
            return;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"WeightPort fuzz: seed {_o.Seed}, {_o.Inputs:N0} inputs per reader, {_o.Workers} workers, {wall.TotalSeconds:F0} s wall"));
        Console.WriteLine(string.Format(c, "{0,-12} {1,10} {2,9} {3,10} {4,6} {5,6} {6,6} {7,4} {8,12} {9,10} {10,8} {11,8} {12,9}",
            "reader", "inputs", "results", "fmt-errors", "other", "crash", "hang", "mem", "max-alloc", "its-input", "ratio", "slowest", "inputs/s"));
        foreach (var s in summaries)
        {
            Console.WriteLine(string.Format(c, "{0,-12} {1,10:N0} {2,9:N0} {3,10:N0} {4,6} {5,6} {6,6} {7,4} {8,12:N0} {9,10:N0} {10,8:F1} {11,6:F0}ms {12,9:N0}",
                s.Reader, s.Inputs, s.Results, s.FormatErrors, s.OtherExceptions, s.Crashes, s.Hangs, s.Memory,
                s.MaxAllocBytes, s.MaxAllocInputBytes, s.MaxAllocInputBytes > 0 ? (double)s.MaxAllocBytes / s.MaxAllocInputBytes : 0, s.SlowestMs, s.InputsPerSecondPerCore));
        }
        Console.WriteLine("ratio = max-alloc / its input's size; inputs/s is per core. Largest alloc/size over inputs ≥ 1 KiB: "
            + string.Join(", ", summaries.Select(s => string.Create(c, $"{s.Reader} {s.MaxRatio:F1}× ({s.MaxRatioAllocBytes:N0} B / {s.MaxRatioInputBytes:N0} B)"))));
        foreach (string e in _harnessErrors) Console.WriteLine("HARNESS ERROR: " + e);
        long failures = summaries.Sum(s => s.Failures);
        Console.WriteLine(failures == 0 && _harnessErrors.Count == 0
            ? "fuzz: PASSED (every input ended in a result or CheckpointFormatException)"
            : $"fuzz: FAILED ({failures} failing inputs; {saved} saved under {Path.Combine(_o.Output, "failures")})");
    }
}
