using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Conformance;

/// <summary>Every pytorch-zip and pytorch-legacy file of the corpus read and checked against EXPECTED.json (PyTorch 1.13's torch.load).</summary>
public sealed class PyTorchCorpusTests
{
    private static readonly string[] Folders = ["pytorch-zip", "pytorch-legacy"];

    internal static List<string> FileList() =>
        [.. Folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(TestPaths.Corpus, folder))
            .Order(StringComparer.Ordinal).Select(f => folder + "/" + Path.GetFileName(f)))];

    public static TheoryData<string> Files() => new(FileList());

    internal static JsonElement Expected(string relative)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.CorpusFile("EXPECTED.json")));
        Assert.True(doc.RootElement.TryGetProperty(relative, out var e), $"EXPECTED.json has no entry for '{relative}'");
        return e.GetProperty("value").Clone();
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Open_CorpusFile_MatchesTorchLoad(string relative)
    {
        var expected = Expected(relative);
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile(relative));
        Assert.Equal(relative.StartsWith("pytorch-zip", StringComparison.Ordinal) ? CheckpointFormat.PyTorchZip : CheckpointFormat.PyTorchLegacy, checkpoint.Format);
        Assert.NotNull(checkpoint.Root);
        var tree = new ExpectedTree();
        tree.Compare(expected, checkpoint.Root!, "");
        Assert.True(tree.TensorCount > 0, "every corpus checkpoint holds tensors");
        // The flattened list: the same tensors, the same dotted paths, in pickle order.
        Assert.Equal(tree.TensorPaths, checkpoint.Tensors.Select(t => t.Path));
        Assert.Empty(checkpoint.UnsafeGlobals);
    }

    [Fact]
    public void Corpus_EveryPyTorchFile_HasAnExpectation()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.CorpusFile("EXPECTED.json")));
        var files = FileList();
        Assert.True(files.Count >= 13, $"only {files.Count} corpus files found");
        foreach (var f in files) Assert.True(doc.RootElement.TryGetProperty(f, out _), f);
    }

    [Fact]
    public void Open_LegacyUnclonedViews_SharesOneStorageObject()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile("pytorch-legacy/burn_legacy_uncloned_views.pt"));
        var storages = checkpoint.Tensors.Select(t => t.Tensor.Storage).Distinct().ToList();
        Assert.Single(storages);
        Assert.Equal(100, storages[0].ElementCount);
        Assert.NotEqual(checkpoint.Tensors[0].Tensor.StorageOffset, checkpoint.Tensors[1].Tensor.StorageOffset);
    }

    [Fact]
    public void Open_ModuleStateDict_KeepsMetadataBuildAndDottedNames()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile("pytorch-zip/pybridge_module_load.pth"));
        var root = Assert.IsType<PickleDict>(checkpoint.Root);
        Assert.Equal("collections.OrderedDict", root.PythonType);
        Assert.IsType<PickleDict>(root.State);
        Assert.NotNull(checkpoint.Find("lin1.weight"));
        Assert.Equal("pyload_test", checkpoint.Metadata["prefix"]);
        Assert.Equal("3", checkpoint.Metadata["version"]);
    }

    [Fact]
    public void Open_OptimizerState_IntKeysBecomeNumbersInPaths()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile("pytorch-zip/pybridge_adam_load.pth"));
        Assert.Equal("state.0.step", checkpoint.Tensors[0].Path);
        Assert.Equal(14, checkpoint.Storages.Count);
    }
}
