using WeightPort.Formats;
using WeightPort.Tests.Conformance;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>Zip container variants written by python3's zipfile from a corpus file, and containers that must be refused.</summary>
public sealed class ZipCheckpointTests
{
    private const string Source = "pytorch-zip/candle_test.pt";

    private static string Rewrite(TempDir dir, string name, string body)
    {
        string output = dir.File(name);
        Python.Run($"""
import zipfile, struct
src = zipfile.ZipFile('{TestPaths.CorpusFile(Source)}')
out = zipfile.ZipFile('{output}', 'w')
{body}
out.close()
""");
        return output;
    }

    private static void AssertMatchesCorpus(string path)
    {
        using var checkpoint = CheckpointReader.Open(path);
        var tree = new ExpectedTree();
        tree.Compare(PyTorchCorpusTests.Expected(Source), checkpoint.Root!, "");
        Assert.Equal(1, tree.TensorCount);
    }

    [Fact]
    public void Open_DeflateCompressedEntries_InflatedAndEqual()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "deflate.pt", "for i in src.infolist(): out.writestr(i.filename, src.read(i), compress_type=zipfile.ZIP_DEFLATED)");
        AssertMatchesCorpus(path);
    }

    [Fact]
    public void Open_BigEndianByteOrder_SwapsToTheSameValues()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "big.pt", """
for i in src.infolist():
    data = src.read(i)
    if i.filename.endswith('/byteorder'): data = b'big'
    if '/data/' in i.filename: data = b''.join(data[k:k + 8][::-1] for k in range(0, len(data), 8))
    out.writestr(i.filename, data)
""");
        using (var checkpoint = CheckpointReader.Open(path)) Assert.True(checkpoint.Tensors[0].Tensor.Storage.BigEndian);
        AssertMatchesCorpus(path);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_NonPyTorchZip_IsNotACheckpoint()
    {
        using var dir = new TempDir();
        string path = dir.File("docs.zip");
        Python.Run($"import zipfile\nwith zipfile.ZipFile('{path}', 'w') as z: z.writestr('docs/readme.txt', 'hello')");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        Assert.Equal(CheckpointError.NotACheckpoint, e.Error);
        Assert.Contains("this zip is not a PyTorch checkpoint", e.Message);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_TorchScriptArchive_IsRefusedAsTorchScript()
    {
        using var dir = new TempDir();
        string path = dir.File("scripted.pt");
        Python.Run($"import torch\ntorch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), '{path}')");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        Assert.Equal(CheckpointError.UnsupportedFormat, e.Error);
        Assert.Contains("TorchScript", e.Message);
    }

    [Fact]
    public void Open_StorageRecordShorterThanDeclared_IsStorageMismatch()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "short.pt", "for i in src.infolist(): out.writestr(i.filename, src.read(i)[:-8] if '/data/' in i.filename else src.read(i))");
        Assert.Equal(CheckpointError.StorageMismatch, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose()).Error);
    }

    [Fact]
    public void Open_DuplicateRecord_IsMalformedArchive()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "dup.pt", "import warnings\nwarnings.simplefilter('ignore')\nfor i in src.infolist(): out.writestr(i.filename, src.read(i))\nout.writestr(src.infolist()[-1].filename, b'x')");
        Assert.Equal(CheckpointError.MalformedArchive, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose()).Error);
    }

    [Fact]
    public void Open_MissingVersionRecord_IsMalformedArchive()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "nover.pt", "for i in src.infolist():\n    if not i.filename.endswith('/version'): out.writestr(i.filename, src.read(i))");
        Assert.Equal(CheckpointError.MalformedArchive, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose()).Error);
    }

    [Fact]
    public void Open_BytesAppendedAfterZip_AreRefused()
    {
        using var dir = new TempDir();
        string path = dir.Write("tail.pt", [.. File.ReadAllBytes(TestPaths.CorpusFile(Source)), .. "junk"u8.ToArray()]);
        Assert.Equal(CheckpointError.MalformedArchive, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose()).Error);
    }

    [Fact]
    public void Open_BytesPrependedToZip_AreRefused()
    {
        // A zip after other bytes (pickle/zip polyglots put the pickle first; here PK leads so the zip reader sees it).
        using var dir = new TempDir();
        var original = File.ReadAllBytes(TestPaths.CorpusFile(Source));
        string path = dir.Write("head.pt", [.. "PK\x03\x04"u8.ToArray(), .. new byte[60], .. original]);
        Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
    }

    [Fact]
    public void Open_HiddenBytesBetweenRecords_AreRefused()
    {
        using var dir = new TempDir();
        string path = Rewrite(dir, "hidden.pt", "for i in src.infolist():\n    out.writestr(i.filename, src.read(i))\n    if i.filename.endswith('data.pkl'): out.fp.seek(out.start_dir); out.fp.write(b'cos\\nsystem\\n'); out.start_dir = out.fp.tell()");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        Assert.Equal(CheckpointError.MalformedArchive, e.Error);
        Assert.Contains("unexplained bytes", e.Message);
    }

    [Fact]
    public void Open_StoredZip_DoesNotCopyStorages()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile(Source));
        Assert.IsType<WeightPort.IO.MappedFileSource>(checkpoint.Tensors[0].Tensor.Storage.Source);
        Assert.Equal(448, checkpoint.Tensors[0].Tensor.Storage.ByteOffset); // data/0 at 448 (docs/formats.md §4.4)
    }
}
