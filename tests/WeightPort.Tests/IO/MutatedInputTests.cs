using WeightPort.Formats.Safetensors;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>Truncated and bit-flipped corpus files either read or fail with <see cref="CheckpointFormatException"/>, never anything else.</summary>
public sealed class MutatedInputTests
{
    public static TheoryData<string> Files() => [.. CorpusExpectations.Files("torchsharp"), .. CorpusExpectations.Files("safetensors")];

    private static void ReadOrRefuse(string relative, byte[] bytes)
    {
        var source = new MemoryByteSource(bytes);
        try
        {
            using var checkpoint = relative.StartsWith("safetensors", StringComparison.Ordinal)
                ? SafetensorsReader.Read(source, "m")
                : TorchSharpReader.Read(source, "m");
            foreach (var t in checkpoint.Tensors) t.Tensor.Sha256Hex(); // every view must be readable
        }
        catch (CheckpointFormatException)
        {
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_EveryTruncation_ReadsOrRefuses(string relative)
    {
        byte[] bytes = File.ReadAllBytes(TestPaths.CorpusFile(relative));
        for (int length = 0; length < bytes.Length; length++)
        {
            var cut = bytes[..length];
            if (length == 0 || !relative.StartsWith("safetensors", StringComparison.Ordinal))
                ReadOrRefuse(relative, cut);
            else
                Assert.Throws<CheckpointFormatException>(() => SafetensorsReader.Read(new MemoryByteSource(cut), "m"));
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_RandomByteFlips_ReadsOrRefuses(string relative)
    {
        byte[] original = File.ReadAllBytes(TestPaths.CorpusFile(relative));
        var rng = new Random(relative.Length);
        for (int round = 0; round < 2000; round++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = rng.Next(1, 4);
            // Bias towards the structural start of the file, where headers live.
            for (int i = 0; i < flips; i++) bytes[rng.Next(Math.Min(bytes.Length, rng.Next(2) == 0 ? 64 : bytes.Length))] ^= (byte)(1 << rng.Next(8));
            ReadOrRefuse(relative, bytes);
        }
    }
}
