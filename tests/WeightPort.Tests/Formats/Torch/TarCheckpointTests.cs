using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Tests.Conformance;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>The tar format (torch ≤ 0.1.9), on the fixture tools/make_tar_fixture.py built from torch's layout and torch.load checked.</summary>
public sealed class TarCheckpointTests
{
    private static string Fixture => Path.Combine(TestPaths.Fixtures, "legacy_tar.pt");

    [Fact]
    public void Open_TarFixture_MatchesTorchLoad()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "legacy_tar.expected.json")));
        using var checkpoint = CheckpointReader.Open(Fixture);
        Assert.Equal(CheckpointFormat.PyTorchTar, checkpoint.Format);
        var tree = new ExpectedTree();
        tree.Compare(doc.RootElement.GetProperty("value"), checkpoint.Root!, "");
        Assert.Equal(4, tree.TensorCount);
        Assert.Equal(tree.TensorPaths, checkpoint.Tensors.Select(t => t.Path));
        Assert.Same(checkpoint.Find("weight")!.Storage, checkpoint.Find("weight_t")!.Storage);
    }

    [Fact]
    public void Open_TarFixtureTruncated_IsRefused()
    {
        var bytes = File.ReadAllBytes(Fixture);
        using var dir = new Pickle.TempDir();
        // Members end at 2,713; a cut after the end-of-archive block would leave a complete archive.
        foreach (int cut in new[] { 0, 100, 511, 600, 1200, 1600, 2000, 2600, 2700, 3000 })
        {
            string path = dir.Write($"cut{cut}.pt", bytes[..cut]);
            Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        }
    }
}
