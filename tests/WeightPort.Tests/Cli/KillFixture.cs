using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Cli;

/// <summary>
/// Two WT103-shaped fastai v1 language models (177 MB each, different values) and two vocabularies (different last
/// word), written by real PyTorch (kill_fixture.py) into a temporary folder, plus what a complete, unkilled
/// <c>weightport convert</c> of each produces at <see cref="OutputPath"/>: the sha256 of the weights, the vocabulary
/// JSON and the manifest, and how long the child process took. Fails (never skips) without python3 + torch.
/// </summary>
public sealed class KillFixture : IDisposable
{
    /// <summary>The WT103_FWD shape, so one conversion is a realistic several hundred ms of writing.</summary>
    private const int Vocab = 60_000, EmbSize = 400, Hidden = 1152;

    private readonly Dictionary<char, string[]> _expected = new();

    public KillFixture()
    {
        Dir = Directory.CreateTempSubdirectory("wp-kill-").FullName;
        try
        {
            Generate();
            Directory.CreateDirectory(OutDir);
            // A, B, A, B, A: the references, the unkilled duration, and a check that a conversion's bytes are
            // reproducible (the trials compare against these hashes).
            var times = new List<double>();
            foreach (char source in "ABABA")
            {
                var r = ChildCli.Run(ConvertArgs(source));
                Assert.True(r.ExitCode == 0, $"unkilled convert of {source} failed ({r.ExitCode}): {r.Error}");
                times.Add(r.Ms);
                string[] hashes = [.. OutputFiles.Select(Sha256)];
                if (_expected.TryGetValue(source, out var first))
                    Assert.True(first.SequenceEqual(hashes), $"two unkilled conversions of {source} differ: [{string.Join(", ", first)}] vs [{string.Join(", ", hashes)}]");
                else _expected[source] = hashes;
            }
            for (int i = 0; i < OutputFiles.Count; i++)
                Assert.True(_expected['A'][i] != _expected['B'][i], $"{Path.GetFileName(OutputFiles[i])} is the same for both sources; the trials could not tell old from new");
            UnkilledMs = times.Max();
            MedianUnkilledMs = times.Order().ElementAt(times.Count / 2);
            foreach (string f in OutputFiles) File.Delete(f);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The temporary folder holding everything.</summary>
    public string Dir { get; }

    /// <summary>The folder the trials convert into.</summary>
    public string OutDir => Path.Combine(Dir, "out");

    /// <summary>The weights file the trials write.</summary>
    public string OutputPath => Path.Combine(OutDir, "lm.dat");

    /// <summary>Every file a conversion writes, in the order it renames them into place.</summary>
    public IReadOnlyList<string> OutputFiles => [OutputPath, OutputPath + ".vocab.json", OutputPath + ".manifest.json"];

    /// <summary>The slowest of the unkilled child conversions, start to exit.</summary>
    public double UnkilledMs { get; }

    /// <summary>The median of the unkilled child conversions.</summary>
    public double MedianUnkilledMs { get; }

    /// <summary>The source checkpoint A or B.</summary>
    public string Source(char source) => Path.Combine(Dir, char.ToLowerInvariant(source) + ".pth");

    /// <summary>The sha256 of each of <see cref="OutputFiles"/> after a complete conversion of <paramref name="source"/>.</summary>
    public IReadOnlyList<string> Expected(char source) => _expected[source];

    /// <summary><c>convert SOURCE --vocab ITOS -o OUTPUT --force</c> for source A or B (into <paramref name="output"/>, default <see cref="OutputPath"/>).</summary>
    public string[] ConvertArgs(char source, string? output = null) =>
        ["convert", Source(source), "--vocab", Path.Combine(Dir, char.ToLowerInvariant(source) + "_itos.pkl"), "-o", output ?? OutputPath, "--force"];

    /// <summary>A new empty folder inside <see cref="Dir"/>.</summary>
    public string NewScratchDir() => Directory.CreateDirectory(Path.Combine(Dir, "s" + Guid.NewGuid().ToString("N")[..8])).FullName;

    /// <summary>The lowercase hex sha256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    private void Generate()
    {
        string script = Path.Combine(TestPaths.RepoRoot, "tests", "WeightPort.Tests", "Cli", "kill_fixture.py");
        var psi = new ProcessStartInfo(TestPaths.Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { script, Dir, I(Vocab), I(EmbSize), I(Hidden) }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {TestPaths.Python}");
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(300_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish in 300 s");
        }
        Assert.True(p.ExitCode == 0, $"{TestPaths.Python} {script} failed ({p.ExitCode}); it needs python3 with torch: {err.Result}{stdout}");
        static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    }
}
