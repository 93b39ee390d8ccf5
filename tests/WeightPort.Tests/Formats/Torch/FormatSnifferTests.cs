using WeightPort.Formats.Torch;
using WeightPort.IO;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>The sniffer routes every corpus file to the reader of its folder.</summary>
public sealed class FormatSnifferTests
{
    public static TheoryData<string, string> Files()
    {
        var data = new TheoryData<string, string>();
        var map = new Dictionary<string, string>
        {
            ["pytorch-zip"] = nameof(SniffedFormat.Zip),
            ["pytorch-legacy"] = nameof(SniffedFormat.Legacy),
            ["safetensors"] = nameof(SniffedFormat.Safetensors),
            ["torchsharp"] = nameof(SniffedFormat.TorchSharp),
            ["pickle"] = nameof(SniffedFormat.Pickle),
        };
        foreach (var (folder, format) in map)
            foreach (var f in Directory.EnumerateFiles(Path.Combine(TestPaths.Corpus, folder)).Order(StringComparer.Ordinal))
                data.Add(folder + "/" + Path.GetFileName(f), format);
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Sniff_CorpusFile_IsItsFolder(string relative, string expected)
    {
        using var source = MappedFileSource.Open(TestPaths.CorpusFile(relative));
        Assert.Equal(expected, FormatSniffer.Sniff(source).ToString());
    }
}
