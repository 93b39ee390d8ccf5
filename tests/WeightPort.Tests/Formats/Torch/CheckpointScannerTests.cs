using System.Text;
using WeightPort.Formats;
using WeightPort.Formats.Torch;
using WeightPort.IO;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>The scanner on its own: it goes on past what it cannot read, and stops where pickles end.</summary>
public sealed class CheckpointScannerTests
{
    private static CheckpointScan Scan(byte[] bytes, string name = "test.pt") => CheckpointScanner.Scan(new MemoryByteSource(bytes, name), name);

    private static byte[] Hostile(string name) => File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "hostile", name));

    [Fact]
    public void Scan_LegacyStackWithABrokenPickle_CarriesOnToTheNextOne()
    {
        // Break the protocol pickle's STOP: the scanner reports it, finds the next PROTO and still reaches the payload
        // in the object pickle and the storage key list after it.
        byte[] bytes = Hostile("legacy_storage_keys_payload.legacy.pt");
        int protocolStop = LegacyCheckpointReader.MagicPickle.Length + 5;
        Assert.Equal((byte)'.', bytes[protocolStop]);
        bytes[protocolStop] = 0xFF;
        var scan = Scan(bytes);
        Assert.Equal("PyTorch legacy (stacked pickles)", scan.Container);
        Assert.Contains(scan.Problems, p => p.Entry == LegacyCheckpointReader.PickleNames[1]);
        Assert.Contains(scan.Findings, g => g.FullName == "posix.system" && g.Entry.StartsWith("legacy pickle #", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_BenignLegacyCheckpoint_StopsAtTheStoragesWithoutProblems()
    {
        var scan = CheckpointScanner.Scan(Path.Combine(TestPaths.Fixtures, "wt103_mini_fwd.pth"));
        Assert.Equal(LegacyCheckpointReader.PickleNames, scan.Parts);
        Assert.Empty(scan.Problems);
        Assert.Empty(scan.Findings);
    }

    [Theory]
    [InlineData("fastai_v2_lm.zip.pth")]
    [InlineData("legacy_tar.pt")]
    [InlineData("torch_dtypes_bigendian.zip.pt")]
    public void Scan_BenignCheckpoint_FindsNothingAndHasNoProblems(string fixture)
    {
        var scan = CheckpointScanner.Scan(Path.Combine(TestPaths.Fixtures, fixture));
        Assert.Empty(scan.Problems);
        Assert.Empty(scan.Findings);
        Assert.NotEmpty(scan.Parts);
    }

    [Fact]
    public void Scan_NestedPickle_IsDisassembledWithItsOffsetInTheOuterPart()
    {
        var scan = Scan(Hostile("nested_pickle_loads.pkl"), "nested_pickle_loads.pkl");
        var inner = Assert.Single(scan.Findings, g => g.FullName == "posix.system");
        Assert.StartsWith("nested_pickle_loads.pkl > pickle nested in bytes at offset ", inner.Entry, StringComparison.Ordinal);
        Assert.Equal(UnsafeGlobalUse.Called, inner.Use);
    }

    [Fact]
    public void Scan_ZipWithoutReadableDirectory_ScansItsLocalRecords()
    {
        // Cut the file inside the central directory: no end record, but the records' local headers are still there.
        byte[] bytes = Hostile("zip_extra_pkl_member.zip.pt");
        int central = bytes.AsSpan().IndexOf("PK\x01\x02"u8);
        var scan = Scan(bytes[..(central + 10)]);
        Assert.Contains(scan.Problems, p => p.Reason.Contains("local records are scanned instead", StringComparison.Ordinal));
        Assert.Contains(scan.Findings, g => g.FullName == "posix.system" && g.Entry == "archive/extra.pkl");
    }

    [Fact]
    public void Scan_SafetensorsAndText_HaveNoPickles()
    {
        Assert.Equal("safetensors (no pickles)", CheckpointScanner.Scan(TestPaths.CorpusFile("safetensors/pybridge_tensors.safetensors")).Container);
        var text = Scan(Encoding.ASCII.GetBytes("just some text\n"));
        Assert.Equal("not a checkpoint", text.Container);
        Assert.Single(text.Problems);
    }

    [Fact]
    public void Scan_ADirectory_IsRefusedLikeAnyReader()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointScanner.Scan(TestPaths.Fixtures));
        Assert.Equal(CheckpointError.NotACheckpoint, e.Error);
    }

    [Fact]
    public void Open_ReportMode_AddsWhatOnlyTheScannerSees()
    {
        // A nested pickle is data to the reader; in a report it is listed too.
        string path = Path.Combine(TestPaths.Fixtures, "hostile", "zip_nested_pickle_loads.zip.pt");
        using var checkpoint = CheckpointReader.Open(path, new CheckpointReadOptions { ReportUnsafeGlobals = true });
        Assert.Contains(checkpoint.UnsafeGlobals, g => g.FullName == "pickle.loads" && g.Path == "extra");
        Assert.Contains(checkpoint.UnsafeGlobals, g => g.FullName == "posix.system" && g.Entry.Contains("nested", StringComparison.Ordinal));
        Assert.Single(checkpoint.Tensors);
    }
}
