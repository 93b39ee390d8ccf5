using WeightPort.Formats;
using WeightPort.Tests.Conformance;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>The legacy stacked-pickle format: view metadata, and containers that must be refused.</summary>
public sealed class LegacyCheckpointTests
{
    private const string Source = "pytorch-legacy/burn_simple_legacy.pt";

    // A legacy file whose persistent ids carry view metadata (torch ≥ 1.0 writes None there; the reader honours it).
    private const string WriteViews = """
import io, json, pickle, struct, sys, torch
from collections import OrderedDict
from torch._utils import _rebuild_tensor_v2
class SRef:
    def __init__(self, pid): self.pid = pid
class T:
    def __init__(self, *a): self.a = a + (False, OrderedDict())
    def __reduce__(self): return (_rebuild_tensor_v2, self.a)
class P(pickle.Pickler):
    def persistent_id(self, obj): return obj.pid if isinstance(obj, SRef) else None
pid = lambda view: ('storage', torch.FloatStorage, '100', 'cpu', 10, view)
obj = {'view': T(SRef(pid(('200', 4, 6))), 1, (2,), (2,)), 'whole': T(SRef(pid(None)), 0, (10,), (1,))}
f = io.BytesIO()
for x in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 8}}):
    pickle.dump(x, f, protocol=2)
P(f, protocol=2).dump(obj)
pickle.dump(['100'], f, protocol=2)
f.write(struct.pack('<q', 10) + struct.pack('<10f', *range(10)))
open(PATH, 'wb').write(f.getvalue())
print(json.dumps(describe(torch.load(PATH))))
""";

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_ViewMetadata_MatchesTorchLoad()
    {
        using var dir = new TempDir();
        string path = dir.File("views.pt");
        var expected = TorchPython.Expectation(WriteViews.Replace("PATH", "'" + path + "'"));
        using var checkpoint = CheckpointReader.Open(path);
        Assert.Equal(CheckpointFormat.PyTorchLegacy, checkpoint.Format);
        new ExpectedTree().Compare(expected, checkpoint.Root!, "");
        Assert.Equal([5f, 7f], checkpoint.Find("view")!.ToFloat32Array());
        Assert.Equal("1001", checkpoint.Metadata["sys_info.protocol_version"]);
    }

    [Fact]
    public void Open_TrailingBytes_AreRefused()
    {
        using var dir = new TempDir();
        string path = dir.Write("tail.pt", [.. File.ReadAllBytes(TestPaths.CorpusFile(Source)), 0]);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        Assert.Equal(CheckpointError.MalformedArchive, e.Error);
        Assert.Contains("follow the last legacy storage", e.Message);
    }

    [Fact]
    public void Open_WrongMagic_IsRefused()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TestPaths.CorpusFile(Source));
        bytes[5] ^= 0x01;
        string path = dir.Write("magic.pt", bytes);
        Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_StorageCountDisagreesWithPersistentId_IsStorageMismatch()
    {
        using var dir = new TempDir();
        string path = dir.File("count.pt");
        Python.Run(WriteViews.Replace("struct.pack('<q', 10)", "struct.pack('<q', 9)").Replace("print(json.dumps(describe(torch.load(PATH))))", "").Replace("PATH", "'" + path + "'"));
        Assert.Equal(CheckpointError.StorageMismatch, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose()).Error);
    }

    [Fact]
    public void Open_LegacyFile_ReadsOnlyHeaders_StoragesStayMapped()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile(Source));
        Assert.All(checkpoint.Storages, s => Assert.IsType<WeightPort.IO.MappedFileSource>(s.Source));
    }
}
