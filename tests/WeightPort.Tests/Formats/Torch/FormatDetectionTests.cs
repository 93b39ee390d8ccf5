using System.IO.Compression;
using System.Text;
using WeightPort.Formats;
using WeightPort.Tests.Formats.Pickle;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>Things that are not checkpoints are named precisely.</summary>
public sealed class FormatDetectionTests
{
    public static TheoryData<string, string> NotCheckpoints() => new()
    {
        { "empty", "empty" },
        { "gzip", "gzip" },
        { "jpeg", "JPEG" },
        { "html", "HTML" },
        { "text", "text file" },
        { "emptyzip", "empty zip" },
        { "lfs", "git lfs pull" },
    };

    private static byte[] Make(string kind)
    {
        switch (kind)
        {
            case "empty": return [];
            case "gzip":
                using (var ms = new MemoryStream())
                {
                    using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write("hello"u8);
                    return ms.ToArray();
                }
            case "jpeg": return [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F'];
            case "html": return Encoding.UTF8.GetBytes("<!DOCTYPE html>\n<html><body>Not Found</body></html>\n");
            case "text": return Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("these are my model notes, nothing to see\n", 20)));
            case "emptyzip": return [(byte)'P', (byte)'K', 5, 6, .. new byte[18]];
            case "lfs": return Encoding.ASCII.GetBytes("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 12\n");
            default: throw new ArgumentException(kind);
        }
    }

    [Theory]
    [MemberData(nameof(NotCheckpoints))]
    public void Open_NotACheckpoint_SaysWhatItIs(string kind, string expected)
    {
        using var dir = new TempDir();
        string path = dir.Write(kind + ".pt", Make(kind));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        Assert.Equal(CheckpointError.NotACheckpoint, e.Error);
        Assert.Contains(expected, e.Message);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Open_UnknownBinary_IsUnsupportedFormat()
    {
        using var dir = new TempDir();
        string path = dir.Write("blob.bin", [0x00, 0x13, 0x37, 0x00, 0xFE, 0xED, 0xFA, 0xCE, 0x01]);
        Assert.Equal(CheckpointError.UnsupportedFormat, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose()).Error);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_ParametersSavedWithKeepVars_RebuildParameterWithRequiresGrad()
    {
        using var dir = new TempDir();
        string path = dir.File("params.pth");
        Python.Run($"import torch\ntorch.manual_seed(0)\nm = torch.nn.Linear(3, 2)\ntorch.save(m.state_dict(keep_vars=True), '{path}')");
        using var checkpoint = CheckpointReader.Open(path);
        Assert.Equal(["weight", "bias"], checkpoint.Tensors.Select(t => t.Path));
        Assert.All(checkpoint.Tensors, t => Assert.True(t.Tensor.RequiresGrad));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_RebuildTensorV3OnUntypedStorage_ReadsTheDType()
    {
        // _rebuild_tensor_v3(UntypedStorage pid, 0, (2,), (1,), False, OrderedDict(), torch.float16) in raw opcodes.
        using var dir = new TempDir();
        string path = dir.File("v3.pt");
        Python.Run($$"""
import zipfile, struct
pkl = (b'\x80\x02}X\x01\x00\x00\x00h'
       b'ctorch._utils\n_rebuild_tensor_v3\n('
       b'(X\x07\x00\x00\x00storagectorch\nUntypedStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ'
       b'K\x00K\x02\x85K\x01\x85\x89ccollections\nOrderedDict\n)Rctorch\nfloat16\ntRs.')
with zipfile.ZipFile('{{path}}', 'w') as z:
    z.writestr('v3/data.pkl', pkl)
    z.writestr('v3/data/0', struct.pack('<2e', 1.5, -2.0))
    z.writestr('v3/version', '3\n')
""");
        using var checkpoint = CheckpointReader.Open(path);
        var t = checkpoint.Find("h")!;
        Assert.Equal(WeightPort.Tensors.DType.Float16, t.DType);
        Assert.Equal([1.5f, -2f], t.ToFloat32Array());
    }
}
