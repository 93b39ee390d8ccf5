using System.Text;
using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Formats.Torch;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>
/// Every technique of the hostile corpus (fixtures/hostile, built from raw opcodes by tools/make_hostile_corpus.py and
/// never loaded by Python): the scanner names every callable hostile.json lists, at its part and offset; inspect
/// --scan exits 5; plain inspect and convert refuse the file naming a payload callable; and nothing runs.
/// </summary>
public sealed class HostileCorpusTests
{
    // Every payload of the corpus runs this command; a same-length `touch MARKER` in a copy makes a run visible.
    private const string Command = "echo weightport-hostile-corpus";

    private static readonly Lazy<JsonDocument> Manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "hostile", "hostile.json"))));

    public static TheoryData<string> Files() => [.. Manifest.Value.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()!)];

    private static JsonElement Entry(string name) =>
        Manifest.Value.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);

    private static string PathOf(string name) => Path.Combine(TestPaths.Fixtures, "hostile", name);

    /// <summary>The callables a scanner must report: not allowlisted, with the offset in WeightPort's coordinates for that part.</summary>
    private static List<(string FullName, string Location, long Offset)> Expected(JsonElement entry)
    {
        bool zip = entry.GetProperty("container").GetString() == "torch zip";
        // Two records may share a name (duplicate members): a finding belongs to the last one starting before it.
        var parts = entry.GetProperty("parts").EnumerateArray().Select(p => (Location: p.GetProperty("location").GetString()!, Start: p.GetProperty("file_offset").GetInt64())).ToList();
        var expected = new List<(string, string, long)>();
        foreach (var f in entry.GetProperty("expected_findings").EnumerateArray())
        {
            if (f.GetProperty("allowlisted").GetBoolean()) continue;
            string location = f.GetProperty("location").GetString()!.Split(" > ")[0];
            // Zip members are read on their own (offsets from the record's first byte); everything else by absolute offset.
            long at = f.GetProperty("file_offset").GetInt64();
            long offset = zip ? at - parts.Where(p => p.Location == location && p.Start <= at).Max(p => p.Start) : at;
            expected.Add((f.GetProperty("full_name").GetString()!, location, offset));
        }
        return expected;
    }

    private static IEnumerable<string> PayloadNames(JsonElement entry) => entry.GetProperty("expected_findings").EnumerateArray()
        .Where(f => f.GetProperty("payload").GetBoolean() && !f.GetProperty("allowlisted").GetBoolean() && !f.TryGetProperty("nested", out _))
        .Select(f => f.GetProperty("full_name").GetString()!);

    [Fact]
    public void Corpus_Manifest_ListsOneFilePerTechniqueAndTheyAllExist()
    {
        var names = Manifest.Value.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToList();
        Assert.True(names.Count >= 39, $"hostile.json lists {names.Count} files");
        Assert.All(names, n => Assert.True(File.Exists(PathOf(n)), n));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Scan_HostileFile_ReportsEveryCallableWithItsPartAndOffset(string name)
    {
        var scan = CheckpointScanner.Scan(PathOf(name));
        foreach (var (fullName, location, offset) in Expected(Entry(name)))
        {
            Assert.True(scan.Findings.Any(g => g.FullName == fullName && g.Offset == offset && g.Entry.StartsWith(location, StringComparison.Ordinal)),
                $"{name}: {fullName} in '{location}' at {offset} not reported; found: {string.Join("; ", scan.Findings.Select(g => $"{g.FullName} in '{g.Entry}' at {g.Offset}"))}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void InspectScan_HostileFile_ExitsFive_OrThreeForTheFileWithoutPayload(string name)
    {
        var entry = Entry(name);
        var r = CliRunner.Run("inspect", "--scan", PathOf(name));
        Assert.True((PayloadNames(entry).Any() ? 5 : 3) == r.ExitCode, $"{name}: exit {r.ExitCode}\n{r.Out}\n{r.Error}");
        foreach (var payload in PayloadNames(entry)) Assert.Contains(payload, r.Out);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void InspectAndConvert_HostileFile_RefusedNamingAPayloadCallable_NothingWritten(string name)
    {
        var entry = Entry(name);
        using var dir = new TempDir();
        var payloads = PayloadNames(entry).ToList();
        foreach (var verb in new[] { "inspect", "convert" })
        {
            var r = verb == "inspect" ? CliRunner.Run("inspect", PathOf(name)) : CliRunner.Run("convert", PathOf(name), "-o", dir.File("out.dat"));
            Assert.True(r.ExitCode == 3, $"{verb} {name}: exit {r.ExitCode}\n{r.Error}");
            string first = r.Error.Split('\n')[0];
            Assert.StartsWith("error: ", first, StringComparison.Ordinal);
            if (payloads.Count == 0) Assert.Contains("not the plain integer", first);
            else Assert.True(payloads.Any(p => first.Contains($"'{p}'", StringComparison.Ordinal)), $"{verb} {name}: no payload callable named in: {first}");
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void EveryCommand_HostileFileWithALivePayload_RunsNothing(string name)
    {
        using var dir = new TempDir();
        using var marker = new Marker();
        string live = dir.Write(name, Live(File.ReadAllBytes(PathOf(name)), marker.Path));
        CliRunner.Run("inspect", live);
        CliRunner.Run("inspect", "--scan", "--json", live);
        CliRunner.Run("convert", live, "-o", dir.File("out.dat"));
        CliRunner.Run("verify", live, "--device", "cpu");
        try
        {
            CheckpointReader.Open(live, new CheckpointReadOptions { ReportUnsafeGlobals = true }).Dispose();
        }
        catch (CheckpointFormatException)
        {
            // Refusing is fine; running is not.
        }
        Assert.False(File.Exists(marker.Path), $"{name}: the payload ran");
    }

    [Fact]
    public void LivePayload_LoadedByCPython_DoesCreateTheMarker()
    {
        // Proves the rewritten payloads are live, so the test above could fail: CPython's pickle runs this one.
        using var dir = new TempDir();
        using var marker = new Marker();
        string live = dir.Write("inst.pkl", Live(File.ReadAllBytes(PathOf("inst_os_system_proto0.pkl")), marker.Path));
        Python.Run($"import pickle; pickle.load(open('{live}', 'rb'))");
        Assert.True(File.Exists(marker.Path));
    }

    // A short path, so that `touch PATH` has the length of the corpus's command and no offset moves.
    private sealed class Marker : IDisposable
    {
        private readonly string _folder = System.IO.Path.Combine("/tmp", "wphc" + Guid.NewGuid().ToString("N")[..8]);

        public Marker()
        {
            Directory.CreateDirectory(_folder);
            Assert.Equal(Command.Length, ("touch " + Path).Length);
        }

        public string Path => System.IO.Path.Combine(_folder, "marker");

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }

    private static byte[] Live(byte[] bytes, string marker)
    {
        byte[] from = Encoding.ASCII.GetBytes(Command), to = Encoding.ASCII.GetBytes("touch " + marker);
        var result = (byte[])bytes.Clone();
        for (int i = result.AsSpan().IndexOf(from); i >= 0;)
        {
            to.CopyTo(result, i);
            int next = result.AsSpan(i + from.Length).IndexOf(from);
            i = next < 0 ? -1 : i + from.Length + next;
        }
        return result;
    }
}
