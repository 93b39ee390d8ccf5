using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Tests.Formats.Pickle;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>
/// Hostile pickles built by python3 from raw opcodes, each of which would create a marker file if executed. WeightPort
/// must refuse them naming the callable, and the marker must never appear.
/// </summary>
public sealed class MaliciousPickleTests
{
    // Each payload touches the file named MARKER; the script prints {name: base64 pickle}.
    private const string Payloads = """
import base64, json, sys, zipfile, io
m = sys.argv[1] if len(sys.argv) > 1 else MARKER
cmd = ('touch ' + m).encode()
evil_src = ("__import__('os').system('touch " + m + "')").encode()
p = {
  'os.system': b'cos\nsystem\n(V' + cmd + b'\ntR.',
  'builtins.eval': b'\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c' + bytes([len(evil_src)]) + evil_src + b'\x85R.',
  'subprocess.Popen': b'((Vtouch\nV' + m.encode() + b'\nlisubprocess\nPopen\n.',
  'subprocess.Popen#obj': b'(csubprocess\nPopen\n(Vtouch\nV' + m.encode() + b'\nlo.',
  'subprocess.Popen#newobj': b'\x80\x02csubprocess\nPopen\n(Vtouch\nV' + m.encode() + b'\nl\x85\x81.',
  'torch.serialization.load': b'ctorch.serialization\nload\n(V' + m.encode() + b'.inner\ntR.',
  'os.system#in-dict': b'\x80\x02}q\x00(X\x01\x00\x00\x00wK\x01X\x04\x00\x00\x00evilcos\nsystem\n(V' + cmd + b'\ntRu.',
}
print(json.dumps({k: base64.b64encode(v).decode() for k, v in p.items()}))
""";

    private static Dictionary<string, byte[]> Build(string marker) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(Python.Run(Payloads.Replace("MARKER", "'" + marker + "'")))!
            .ToDictionary(kv => kv.Key, kv => Convert.FromBase64String(kv.Value));

    [Trait("Category", "Slow")]
    [Fact]
    public void Payloads_RunByCPython_DoCreateTheMarker()
    {
        // Proves the payloads are live, so the refusal tests below could fail.
        using var dir = new TempDir();
        string marker = dir.File("marker");
        var payloads = Build(marker);
        string pkl = dir.Write("evil.pkl", payloads["os.system"]);
        Python.Run($"import pickle; pickle.load(open('{pkl}', 'rb'))");
        Assert.True(File.Exists(marker));
    }

    [Fact]
    public void Open_MaliciousPlainPickles_RefusedNamingTheCallable_NothingRuns()
    {
        using var dir = new TempDir();
        string marker = dir.File("marker");
        // The torch.load payload loads MARKER.inner: make that a live payload too.
        var payloads = Build(marker);
        File.WriteAllBytes(marker + ".inner", payloads["os.system"]);
        foreach (var (name, bytes) in payloads)
        {
            string path = dir.Write(name.Replace('#', '_') + ".pkl", bytes);
            var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
            Assert.Equal(CheckpointError.UnsafeGlobal, e.Error);
            Assert.Contains("'" + name.Split('#')[0] + "'", e.Message);
        }
        Assert.False(File.Exists(marker));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_MaliciousDataPklInZip_RefusedNamingTheCallable_NothingRuns()
    {
        using var dir = new TempDir();
        string marker = dir.File("marker");
        var payloads = Build(marker);
        foreach (var (name, bytes) in payloads)
        {
            string pkl = dir.Write("data.pkl", bytes);
            string zip = dir.File(name.Replace('#', '_') + ".pt");
            Python.Run($"import zipfile\nwith zipfile.ZipFile('{zip}', 'w') as z:\n    z.write('{pkl}', 'archive/data.pkl')\n    z.writestr('archive/version', '3\\n')");
            var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(zip).Dispose());
            Assert.Equal(CheckpointError.UnsafeGlobal, e.Error);
            Assert.Contains("'" + name.Split('#')[0] + "'", e.Message);
            Assert.Contains("archive/data.pkl", e.Message);

            // Scanner mode lists the global instead of failing, and still runs nothing.
            using var scanned = CheckpointReader.Open(zip, new CheckpointReadOptions { ReportUnsafeGlobals = true });
            Assert.Contains(scanned.UnsafeGlobals, g => g.FullName == name.Split('#')[0]);
        }
        Assert.False(File.Exists(marker));
    }
}
