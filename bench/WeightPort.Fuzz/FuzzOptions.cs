using System.Globalization;

namespace WeightPort.Fuzz;

/// <summary>The command line.</summary>
public sealed class FuzzOptions
{
    /// <summary>Inputs per reader in the quick mode: about two minutes on two cores (Release).</summary>
    public const long QuickInputs = 100_000;
    /// <summary>Inputs per reader in the long mode.</summary>
    public const long LongInputs = 1_000_000;
    /// <summary>The quick mode's fixed seed.</summary>
    public const ulong QuickSeed = 20261121;

    /// <summary>Supervise workers (the default), be a worker, or replay one input.</summary>
    public string Mode { get; private set; } = "run";
    /// <summary>Inputs per reader.</summary>
    public long Inputs { get; private set; } = QuickInputs;
    /// <summary>The run seed.</summary>
    public ulong Seed { get; private set; } = QuickSeed;
    /// <summary>Worker processes.</summary>
    public int Workers { get; private set; } = Environment.ProcessorCount;
    /// <summary>Reader names to fuzz (all when empty).</summary>
    public List<string> Readers { get; } = [];
    /// <summary>Per-input time limit.</summary>
    public int TimeoutMs { get; private set; } = 10_000;
    /// <summary>Per-input allocation ceiling.</summary>
    public long AllocationCap { get; private set; } = 512L << 20;
    /// <summary>Where failures and state files go.</summary>
    public string Output { get; private set; } = "artifacts/fuzz";
    /// <summary>Print the summary as JSON.</summary>
    public bool Json { get; private set; }
    /// <summary>Replay: the index.</summary>
    public long Index { get; private set; }
    /// <summary>Replay: how many consecutive indices.</summary>
    public long Count { get; private set; } = 1;
    /// <summary>Replay a saved file.</summary>
    public string? ReplayFile { get; private set; }
    /// <summary>Worker: its state file.</summary>
    public string? StateFile { get; private set; }
    /// <summary>Worker: the reader (position in <see cref="Readers"/>) to start at.</summary>
    public int StartTarget { get; private set; }
    /// <summary>Worker: the index to start at in that reader.</summary>
    public long StartIndex { get; private set; }
    /// <summary>Worker: index step (the number of workers).</summary>
    public int Stride { get; private set; } = 1;
    /// <summary>Worker: first index of each later reader (its worker number).</summary>
    public int Offset { get; private set; }
    /// <summary>The corpus folder.</summary>
    public string Corpus { get; private set; } = "";
    /// <summary>The fixtures folder.</summary>
    public string Fixtures { get; private set; } = "";

    /// <summary>Parses <paramref name="args"/>.</summary>
    public static FuzzOptions Parse(string[] args)
    {
        var o = new FuzzOptions();
        bool seedGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--quick": o.Inputs = QuickInputs; break;
                case "--long": o.Inputs = LongInputs; break;
                case "--inputs": o.Inputs = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seed": o.Seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); seedGiven = true; break;
                case "--workers": o.Workers = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--readers": o.Readers.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries)); break;
                case "--reader": o.Readers.Add(Value()); break;
                case "--timeout-ms": o.TimeoutMs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--alloc-cap-mb": o.AllocationCap = long.Parse(Value(), CultureInfo.InvariantCulture) << 20; break;
                case "--out": o.Output = Value(); break;
                case "--json": o.Json = true; break;
                case "--replay": o.Mode = "replay"; break;
                case "--index": o.Index = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--count": o.Count = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--replay-file": o.Mode = "replay-file"; o.ReplayFile = Value(); break;
                case "--worker": o.Mode = "worker"; break;
                case "--state": o.StateFile = Value(); break;
                case "--start-target": o.StartTarget = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--start-index": o.StartIndex = long.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--stride": o.Stride = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--offset": o.Offset = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--corpus": o.Corpus = Value(); break;
                case "--fixtures": o.Fixtures = Value(); break;
                case "--help" or "-h":
                    o.Mode = "help";
                    break;
                default: throw new ArgumentException($"unknown argument '{a}' (see --help)");
            }
        }
        if (!seedGiven && o.Inputs == LongInputs) o.Seed = 1;
        if (o.Readers.Count == 0) o.Readers.AddRange(FuzzTargets.All.Select(t => t.Name));
        foreach (string r in o.Readers) FuzzTargets.ByName(r);
        string root = RepoRoot();
        if (o.Fixtures.Length == 0) o.Fixtures = Path.Combine(root, "fixtures");
        if (o.Corpus.Length == 0)
        {
            o.Corpus = Environment.GetEnvironmentVariable("WEIGHTPORT_CORPUS") is { Length: > 0 } env
                ? env
                : Path.GetFullPath(Path.Combine(root, "..", "shared", "corpus"));
        }
        if (o.Workers < 1) o.Workers = 1;
        return o;
    }

    /// <summary>The usage text.</summary>
    public const string Usage = """
        WeightPort.Fuzz: mutates every corpus and fixture file and feeds the results to every reader.
          --quick               fixed seed, 100,000 inputs per reader (the default; CI)
          --long                1,000,000 inputs per reader (seed 1 unless --seed)
          --inputs N --seed S   explicit size and seed
          --readers a,b         pickle, zip, legacy, tar, safetensors, torchsharp, sniff, scan (default: all)
          --workers N           worker processes (default: cores)
          --timeout-ms N        per-input time limit (10000)   --alloc-cap-mb N  per-input allocation ceiling (512)
          --out DIR             failures and state files (artifacts/fuzz)   --json  summary as JSON
          --replay --reader R --index I [--count N] [--seed S]  re-run generated inputs in-process
          --replay-file PATH [--reader R]             run a saved input through one or every reader
        Exit code: 0 when every input ended in a result or CheckpointFormatException, 1 on any failure, 2 on bad usage.
        """;

    private static string RepoRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WeightPort.sln"))) dir = dir.Parent;
            if (dir is not null) return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
