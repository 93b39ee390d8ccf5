using WeightPort.Formats;
using WeightPort.Tests.Formats.Pickle;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>Non-allowlisted objects inside a real torch.save checkpoint: strict refusal, ignored subtrees, scanner mode.</summary>
public sealed class UnsafeGlobalTests
{
    private static string Save(TempDir dir)
    {
        string path = dir.File("train.pth");
        Python.Run($"import torch, argparse\ntorch.save({{'model': {{'w': torch.arange(6.).reshape(2, 3), 'b': torch.ones(2)}}, 'opt': {{'hypers': argparse.Namespace(lr=0.1), 'step': 3}}}}, '{path}')");
        return path;
    }

    [Fact]
    public void Open_ObjectOutsideAllowlist_RefusedWithNameOffsetEntryAndPath()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(Save(dir)).Dispose());
        Assert.Equal(CheckpointError.UnsafeGlobal, e.Error);
        Assert.Contains("'argparse.Namespace'", e.Message);
        Assert.Contains("in 'train/data.pkl'", e.Message);
        Assert.Contains("under 'opt.hypers'", e.Message);
        Assert.NotNull(e.Offset);
    }

    [Fact]
    public void Open_ObjectUnderIgnoredSubtree_RecordedAndTensorsRead()
    {
        using var dir = new TempDir();
        using var checkpoint = CheckpointReader.Open(Save(dir), new CheckpointReadOptions { IgnoredSubtrees = ["opt"] });
        Assert.Equal(["model.w", "model.b"], checkpoint.Tensors.Select(t => t.Path));
        var g = Assert.Single(checkpoint.UnsafeGlobals);
        Assert.Equal("argparse.Namespace", g.FullName);
        Assert.Equal("opt.hypers", g.Path);
        Assert.Equal("train/data.pkl", g.Entry);
        Assert.Equal([0f, 1, 2, 3, 4, 5], checkpoint.Find("model.w")!.ToFloat32Array());
    }

    [Fact]
    public void Open_IgnoredSubtreeElsewhere_StillRefused()
    {
        using var dir = new TempDir();
        var options = new CheckpointReadOptions { IgnoredSubtrees = ["model", "op"] };
        Assert.Equal(CheckpointError.UnsafeGlobal, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(Save(dir), options).Dispose()).Error);
    }

    [Fact]
    public void Open_ReportMode_RecordsEveryUnsafeGlobal()
    {
        using var dir = new TempDir();
        using var checkpoint = CheckpointReader.Open(Save(dir), new CheckpointReadOptions { ReportUnsafeGlobals = true });
        Assert.Equal(2, checkpoint.Tensors.Count);
        Assert.Contains(checkpoint.UnsafeGlobals, g => g.FullName == "argparse.Namespace" && g.Path == "opt.hypers");
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Open_WholePickledModule_IsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("module.pth");
        Python.Run($"import torch\ntorch.save(torch.nn.Linear(2, 3), '{path}')");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path).Dispose());
        Assert.Equal(CheckpointError.UnsafeGlobal, e.Error);
        Assert.Contains("torch.nn.modules.linear.Linear", e.Message);
    }
}
