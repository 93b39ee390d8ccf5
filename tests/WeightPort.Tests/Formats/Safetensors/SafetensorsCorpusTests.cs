using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.Tensors;
using WeightPort.Tests.Infrastructure;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Formats.Safetensors;

public sealed class SafetensorsCorpusTests
{
    public static TheoryData<string> CorpusFiles() => [.. CorpusExpectations.Files("safetensors")];

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Read_CorpusFile_MatchesExpected(string relative)
    {
        using var checkpoint = SafetensorsReader.Open(TestPaths.CorpusFile(relative));
        Assert.Equal(CheckpointFormat.Safetensors, checkpoint.Format);
        var expected = CorpusExpectations.EntriesOf(relative);
        Assert.Equal(expected.Select(e => e.Name).Order(), checkpoint.Tensors.Select(t => t.Path).Order());
        foreach (var e in expected)
        {
            var t = checkpoint.Find(e.Name)!;
            Assert.Equal(e.DType, t.DType.SafetensorsName());
            Assert.Equal(e.Shape, t.Shape);
            Assert.Equal(e.Sha256, t.Sha256Hex());
        }
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Write_CorpusFileReadBack_IsByteIdentical(string relative)
    {
        string path = TestPaths.CorpusFile(relative);
        using var checkpoint = SafetensorsReader.Open(path);
        using var output = new MemoryStream();
        SafetensorsWriter.Write(output, TensorToWrite.FromCheckpoint(checkpoint), checkpoint.Metadata);
        Assert.Equal(File.ReadAllBytes(path), output.ToArray());
    }

    [Fact]
    public void Write_ToPath_IsByteIdenticalAndAtomic()
    {
        string path = TestPaths.CorpusFile("safetensors/pybridge_module_load.safetensors");
        string dir = TestTensors.TempFolder();
        try
        {
            string target = Path.Combine(dir, "out.safetensors");
            using (var checkpoint = SafetensorsReader.Open(path))
                SafetensorsWriter.Write(target, TensorToWrite.FromCheckpoint(checkpoint), checkpoint.Metadata);
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(target));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, true); }
    }
}
