using WeightPort.Formats;
using WeightPort.Formats.TorchSharp;
using WeightPort.Tensors;
using WeightPort.Tests.Infrastructure;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Formats.TorchSharp;

public sealed class TorchSharpCorpusTests
{
    public static TheoryData<string> CorpusFiles() => [.. CorpusExpectations.Files("torchsharp")];

    [Fact]
    public void Corpus_HasFiveTorchSharpFiles() => Assert.Equal(5, CorpusFiles().Count);

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Read_CorpusFile_MatchesExpected(string relative)
    {
        using var checkpoint = TorchSharpReader.Open(TestPaths.CorpusFile(relative));
        bool single = relative.Contains(".single-tensor.", StringComparison.Ordinal);
        Assert.Equal(single ? CheckpointFormat.TorchSharpTensor : CheckpointFormat.TorchSharp, checkpoint.Format);
        var expected = CorpusExpectations.EntriesOf(relative);
        Assert.Equal(expected.Count, checkpoint.Tensors.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var t = checkpoint.Tensors[i];
            Assert.Equal(single ? TorchSharpReader.SingleTensorPath : e.Name, t.Path);
            Assert.Equal(e.DType, t.Tensor.DType.TorchName());
            Assert.Equal(e.Shape, t.Tensor.Shape);
            Assert.Equal(e.Sha256, t.Tensor.Sha256Hex());
        }
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Write_CorpusFileReadBack_IsByteIdentical(string relative)
    {
        string path = TestPaths.CorpusFile(relative);
        using var checkpoint = TorchSharpReader.Open(path);
        using var output = new MemoryStream();
        var tensors = TensorToWrite.FromCheckpoint(checkpoint);
        if (checkpoint.Format == CheckpointFormat.TorchSharpTensor) TorchSharpWriter.WriteTensor(output, Assert.Single(tensors));
        else TorchSharpWriter.Write(output, tensors);
        Assert.Equal(File.ReadAllBytes(path), output.ToArray());
    }

    [Fact]
    public void Write_ToPath_IsByteIdentical()
    {
        string path = TestPaths.CorpusFile("torchsharp/torchsharp_bug510.dat");
        string dir = TestTensors.TempFolder();
        try
        {
            string target = Path.Combine(dir, "bug510.dat");
            using (var checkpoint = TorchSharpReader.Open(path)) TorchSharpWriter.Write(target, TensorToWrite.FromCheckpoint(checkpoint));
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(target));
            Assert.Throws<OutputExistsException>(() => TorchSharpWriter.Write(target, []));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Read_Bug510_NumBatchesTrackedIsRankZeroInt64()
    {
        using var checkpoint = TorchSharpReader.Open(TestPaths.CorpusFile("torchsharp/torchsharp_bug510.dat"));
        var t = checkpoint.Find("stack.1.num_batches_tracked")!;
        Assert.Equal(DType.Int64, t.DType);
        Assert.Empty(t.Shape);
        Assert.Equal(1, t.ElementCount);
    }
}
