using WeightPort.Formats.Safetensors;
using WeightPort.Formats.TorchSharp;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>Each reader refuses every corpus file of another format with a <see cref="CheckpointFormatException"/>, nothing else.</summary>
public sealed class ForeignFileTests
{
    public static TheoryData<string> NotTorchSharp() =>
        [.. Directory.GetDirectories(TestPaths.Corpus).Where(d => Path.GetFileName(d) != "torchsharp")
            .SelectMany(Directory.GetFiles).Select(f => Path.GetRelativePath(TestPaths.Corpus, f)).Order(StringComparer.Ordinal)];

    public static TheoryData<string> NotSafetensors() =>
        [.. Directory.GetDirectories(TestPaths.Corpus).Where(d => Path.GetFileName(d) != "safetensors")
            .SelectMany(Directory.GetFiles).Select(f => Path.GetRelativePath(TestPaths.Corpus, f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(NotTorchSharp))]
    public void TorchSharpReader_OtherFormat_ThrowsFormatException(string relative)
    {
        var ex = Assert.Throws<CheckpointFormatException>(() => TorchSharpReader.Open(TestPaths.CorpusFile(relative)).Dispose());
        Assert.Equal(TestPaths.CorpusFile(relative), ex.FilePath);
    }

    [Theory]
    [MemberData(nameof(NotSafetensors))]
    public void SafetensorsReader_OtherFormat_ThrowsFormatException(string relative)
    {
        var ex = Assert.Throws<CheckpointFormatException>(() => SafetensorsReader.Open(TestPaths.CorpusFile(relative)).Dispose());
        Assert.Equal(TestPaths.CorpusFile(relative), ex.FilePath);
    }
}
