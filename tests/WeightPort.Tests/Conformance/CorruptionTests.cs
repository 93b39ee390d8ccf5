using WeightPort.Formats;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Conformance;

/// <summary>Every corpus file truncated or mutated: a <see cref="CheckpointFormatException"/>, never another exception.</summary>
[Trait("Category", "Slow")]
public sealed class CorruptionTests
{
    private static readonly string[] Folders = ["pytorch-zip", "pytorch-legacy", "pickle", "not-checkpoints"];

    public static TheoryData<string> Files() =>
        new(Folders.SelectMany(f => Directory.EnumerateFiles(Path.Combine(TestPaths.Corpus, f)).Order(StringComparer.Ordinal)
            .Select(p => f + "/" + Path.GetFileName(p))));

    [Theory]
    [MemberData(nameof(Files))]
    public void Open_TruncatedCorpusFile_ThrowsCheckpointFormatException(string relative)
    {
        var bytes = File.ReadAllBytes(TestPaths.CorpusFile(relative));
        using var dir = new TempDir();
        var cuts = new SortedSet<int> { 0, 1, 2, 7, 15, 16, 30, 64, bytes.Length / 3, bytes.Length / 2, bytes.Length - 22, bytes.Length - 9, bytes.Length - 1 };
        foreach (int cut in cuts.Where(c => c >= 0 && c < bytes.Length))
        {
            string path = dir.Write("cut.bin", bytes[..cut]);
            var e = Record.Exception(() => CheckpointReader.Open(path).Dispose());
            Assert.True(e is CheckpointFormatException, $"{relative} cut at {cut}: {e?.GetType().Name ?? "no exception"}: {e?.Message}");
            Assert.Equal(path, ((CheckpointFormatException)e!).FilePath);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Open_MutatedCorpusFile_OnlyEverThrowsCheckpointFormatException(string relative)
    {
        var original = File.ReadAllBytes(TestPaths.CorpusFile(relative));
        if (original.Length > 100_000) original = original[..100_000];
        var rng = new Random(relative.Length * 7919 + original.Length);
        using var dir = new TempDir();
        for (int round = 0; round < 400; round++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + rng.Next(3);
            for (int k = 0; k < flips; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            string path = dir.Write("mutated.bin", bytes);
            var e = Record.Exception(() =>
            {
                using var c = CheckpointReader.Open(path);
                foreach (var t in c.Tensors) t.Tensor.Sha256Hex();
            });
            Assert.True(e is null or CheckpointFormatException, $"{relative} round {round}: {e?.GetType().Name}: {e?.Message}\n{e?.StackTrace}");
        }
    }
}
