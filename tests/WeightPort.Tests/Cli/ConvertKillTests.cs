using System.Diagnostics;
using System.Globalization;
using System.Text;
using WeightPort.Compute.Cpu;
using WeightPort.IO;
using WeightPort.Model;
using Xunit;
using Xunit.Abstractions;

namespace WeightPort.Tests.Cli;

/// <summary>
/// Crash safety of <c>weightport convert</c>, proven on a real child process: it is SIGKILLed at random moments while
/// converting a 177 MB WT103-shaped checkpoint, and every output must then be the previous complete version, the new
/// complete version, or absent only if it was absent before, never anything else; the next run must leave no
/// temporary file behind. <c>WEIGHTPORT_KILL_TRIALS</c> sets the number of trials (default 24),
/// <c>WEIGHTPORT_KILL_SEED</c> the seed, <c>WEIGHTPORT_KILL_REPORT</c> a file to write the figures to
/// (tools/kill_trials.sh runs many).
/// </summary>
[Trait("Category", "Slow")]
public sealed class ConvertKillTests : IClassFixture<KillFixture>
{
    private const int DefaultTrials = 24;

    /// <summary>What each output file held after a killed run.</summary>
    private enum Version { Absent, Old, New }

    private readonly KillFixture _fx;
    private readonly ITestOutputHelper _log;

    public ConvertKillTests(KillFixture fixture, ITestOutputHelper log)
    {
        _fx = fixture;
        _log = log;
    }

    [Fact]
    public void Convert_KilledAtRandomMoments_LeavesPreviousOrCompleteOutputsAndNoTempFiles()
    {
        int trials = EnvInt("WEIGHTPORT_KILL_TRIALS") ?? DefaultTrials;
        int seed = EnvInt("WEIGHTPORT_KILL_SEED") ?? Random.Shared.Next();
        var rng = new Random(seed);
        // Kill times are drawn uniformly over 1.1x the median unkilled run, so some land after it finished.
        double window = 1.1 * _fx.MedianUnkilledMs;
        var outcomes = new SortedDictionary<string, List<double>>(StringComparer.Ordinal); // outcome -> kill delays
        var delays = new List<double>();
        int leftoverTemps = 0, staleManifestsDetected = 0;
        char? current = null; // whose complete outputs are in the folder; null: none
        var clock = Stopwatch.StartNew();

        for (int trial = 0; trial < trials; trial++)
        {
            string where = $"seed {seed} (WEIGHTPORT_KILL_SEED), trial {trial}";
            if (current is null || rng.Next(4) == 0)
            {
                foreach (string f in _fx.OutputFiles) File.Delete(f);
                current = null;
            }
            char next = current is { } c ? (c == 'A' ? 'B' : 'A') : (rng.Next(2) == 0 ? 'A' : 'B');
            double delay = rng.NextDouble() * window;
            delays.Add(delay);

            bool killed;
            using (var child = ChildCli.Start(_fx.ConvertArgs(next)))
            {
                WaitUntil(child, delay);
                killed = child.Kill();
                if (!killed) Assert.True(child.ExitCode == 0, $"{where}: the unkilled convert failed ({child.ExitCode}): {child.Error}");
            }

            string state = $"{where}: killed={killed} at {delay:F0} ms, previous={current?.ToString() ?? "none"}, new={next}";
            string[] temps = AssertOnlyOutputsAndTemps(state);
            leftoverTemps += temps.Length;
            var versions = new Version[_fx.OutputFiles.Count];
            for (int i = 0; i < versions.Length; i++) versions[i] = Classify(i, current, next, state);

            // A file is renamed into place only after every file before it: weights, then vocabulary, then the
            // manifest, which is what lets the manifest's sha256 expose a half-replaced set (checked just below).
            for (int i = 1; i < versions.Length; i++)
            {
                if (versions[i] == Version.New)
                    Assert.True(versions[i - 1] == Version.New, $"{state}: {Path.GetFileName(_fx.OutputFiles[i])} is new but {Path.GetFileName(_fx.OutputFiles[i - 1])} is {versions[i - 1]}");
            }
            if (current is not null && versions[0] == Version.New && versions[^1] == Version.Old)
            {
                var e = Assert.Throws<CheckpointFormatException>(() => AwdLstmLoader.ReadManifest(_fx.OutputPath));
                Assert.Contains("does not match its manifest", e.Message);
                staleManifestsDetected++;
            }

            string outcome = !killed ? "5 finished before the kill"
                : versions.All(v => v == Version.New) ? "4 killed after the last rename, before exit"
                : versions[1] == Version.New ? "3 killed after the vocabulary rename, before the manifest's"
                : versions[0] == Version.New ? "2 killed after the weights rename, before the vocabulary's"
                : temps.Length > 0 ? "1 killed while writing the weights (nothing renamed yet)"
                : "0 killed before the weights temp file existed";
            if (!outcomes.TryGetValue(outcome, out var at)) outcomes[outcome] = at = [];
            at.Add(delay);

            // The next run to the same output completes, removes what the killed one left, and leaves no temp file.
            var run = ChildCli.Run(_fx.ConvertArgs(next));
            Assert.True(run.ExitCode == 0, $"{state}: the run after the kill failed ({run.ExitCode}): {run.Error}");
            Assert.Empty(AssertOnlyOutputsAndTemps(state + ", after the next run"));
            for (int i = 0; i < _fx.OutputFiles.Count; i++)
                Assert.True(KillFixture.Sha256(_fx.OutputFiles[i]) == _fx.Expected(next)[i], $"{state}: after the next run {Path.GetFileName(_fx.OutputFiles[i])} is not {next}'s complete output");
            current = next;
        }

        delays.Sort();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"kill trials: {trials}, seed {seed}, failures 0, {clock.Elapsed.TotalSeconds:F0} s");
        report.AppendLine(CultureInfo.InvariantCulture, $"unkilled child convert: median {_fx.MedianUnkilledMs:F0} ms, slowest {_fx.UnkilledMs:F0} ms; kill delays uniform in [0, {window:F0}] ms (drawn min {delays[0]:F0}, median {delays[delays.Count / 2]:F0}, max {delays[^1]:F0})");
        foreach (var (k, at) in outcomes)
            report.AppendLine(CultureInfo.InvariantCulture, $"  {at.Count,5}  {k[2..]} (kill delays {at.Min():F0}-{at.Max():F0} ms)");
        report.AppendLine(CultureInfo.InvariantCulture, $"temp files left by killed runs (all removed by the next run): {leftoverTemps}; half-replaced sets whose stale manifest the loader rejected: {staleManifestsDetected}");
        _log.WriteLine(report.ToString());
        if (Environment.GetEnvironmentVariable("WEIGHTPORT_KILL_REPORT") is { Length: > 0 } path) File.WriteAllText(path, report.ToString());
    }

    [Fact]
    public void Load_NewWeightsWithThePreviousManifest_FailsNamingTheManifestAndBothHashes()
    {
        // The state a kill between the weights rename and the manifest rename leaves: B's weights, A's manifest.
        string dir = _fx.NewScratchDir();
        string output = Path.Combine(dir, "lm.dat");
        Assert.Equal(0, ChildCli.Run(_fx.ConvertArgs('A', output)).ExitCode);
        string staleManifest = File.ReadAllText(output + ".manifest.json");
        Assert.Equal(0, ChildCli.Run(_fx.ConvertArgs('B', output)).ExitCode);
        string bSha = KillFixture.Sha256(output);
        File.WriteAllText(output + ".manifest.json", staleManifest);

        var e = Assert.Throws<CheckpointFormatException>(() => AwdLstm.Load(output, CpuBackend.Create()));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("does not match its manifest", e.Message);
        Assert.Contains(output + ".manifest.json", e.Message);
        Assert.Contains(bSha, e.Message);
        var verify = ChildCli.Run(["verify", output]);
        Assert.True(verify.ExitCode == 3, $"verify exited {verify.ExitCode}: {verify.Error}");
        Assert.Contains("does not match its manifest", verify.Error);
    }

    [Fact]
    public void CleanStaleTempFiles_WhileAnotherProcessWritesThatOutput_LeavesItsTempFileAlone()
    {
        string dir = _fx.NewScratchDir();
        string output = Path.Combine(dir, "lm.dat");
        using var child = ChildCli.Start(_fx.ConvertArgs('A', output));
        // The writer is stopped while its temp file exists, so it is alive, holding the file, for the whole check.
        string temp = StopWithTemp(child, dir, "lm.dat");
        Assert.Equal(0, AtomicFileWriter.CleanStaleTempFiles(output));
        Assert.True(File.Exists(temp), $"{temp} was deleted while its writer was running");
        child.Resume();
        int code = child.WaitForExit();
        Assert.True(code == 0, $"the conversion whose temp file was cleaned failed ({code}): {child.Error}");
        Assert.Equal(_fx.Expected('A')[0], KillFixture.Sha256(output));
    }

    [Fact]
    public void CleanStaleTempFiles_TempOfAKilledProcess_DeletesIt()
    {
        string dir = _fx.NewScratchDir();
        string output = Path.Combine(dir, "lm.dat");
        string temp;
        using (var child = ChildCli.Start(_fx.ConvertArgs('A', output)))
        {
            temp = StopWithTemp(child, dir, "lm.dat");
            Assert.True(child.Kill(), "a stopped conversion cannot finish before it is killed");
        }
        Assert.True(File.Exists(temp));
        Assert.False(File.Exists(output));
        Assert.Equal(1, AtomicFileWriter.CleanStaleTempFiles(output));
        Assert.Empty(Directory.GetFiles(dir));
    }

    /// <summary>
    /// Stops the child at a moment when its weights temp file exists and returns the file: the child is suspended
    /// before each look, so it cannot rename or finish between the look and what the test does next.
    /// </summary>
    private static string StopWithTemp(ChildCli child, string dir, string name)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            child.Suspend();
            foreach (string f in Directory.GetFiles(dir))
                if (AtomicFileWriter.IsTempNameOf(Path.GetFileName(f), name)) return f;
            if (child.HasExited) Assert.Fail($"the conversion exited ({child.ExitCode}) before its temp file was seen: {child.Error}");
            child.Resume();
            Thread.Sleep(1);
        }
        throw new TimeoutException($"no temp file for {name} appeared in {dir} within 60 s");
    }

    /// <summary>Sleeps, then spins, until the child has run <paramref name="ms"/> milliseconds.</summary>
    private static void WaitUntil(ChildCli child, double ms)
    {
        double left;
        while ((left = ms - child.ElapsedMs) > 0)
        {
            if (left > 3) Thread.Sleep(1);
            else Thread.SpinWait(100);
        }
    }

    /// <summary>The output folder holds only the outputs and temp files of the weights, vocabulary or manifest; returns the temp files.</summary>
    private string[] AssertOnlyOutputsAndTemps(string state)
    {
        var temps = new List<string>();
        foreach (string f in Directory.GetFiles(_fx.OutDir))
        {
            string name = Path.GetFileName(f);
            if (_fx.OutputFiles.Contains(f)) continue;
            Assert.True(_fx.OutputFiles.Any(o => AtomicFileWriter.IsTempNameOf(name, Path.GetFileName(o))), $"{state}: unexpected file '{name}' in the output folder");
            temps.Add(name);
        }
        return [.. temps];
    }

    private Version Classify(int index, char? previous, char next, string state)
    {
        string file = _fx.OutputFiles[index];
        string name = Path.GetFileName(file);
        if (!File.Exists(file))
        {
            Assert.True(previous is null, $"{state}: {name} is gone although a complete previous version existed");
            return Version.Absent;
        }
        string sha = KillFixture.Sha256(file);
        if (sha == _fx.Expected(next)[index]) return Version.New;
        if (previous is { } p && sha == _fx.Expected(p)[index]) return Version.Old;
        Assert.Fail($"{state}: {name} ({new FileInfo(file).Length:N0} bytes, sha256 {sha}) is neither the previous nor the new complete version");
        return default;
    }

    private static int? EnvInt(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? int.Parse(v, CultureInfo.InvariantCulture) : null;
}
