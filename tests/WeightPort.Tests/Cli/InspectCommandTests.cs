using System.Text.Json;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Cli;

public sealed class InspectCommandTests
{
    [Fact]
    public void Inspect_NoFile_IsUsageError()
    {
        var r = CliRunner.Run("inspect");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("file", r.Error);
    }

    [Fact]
    public void UnknownVerb_IsUsageError()
    {
        var r = CliRunner.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void Inspect_MissingFile_IsBadInputNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "weightport-no-such-file.pth");
        var r = CliRunner.Run("inspect", path);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("weightport-no-such-file.pth", r.Error);
    }

    [Fact]
    public void Inspect_LfsPointer_SaysGitLfsPull()
    {
        var r = CliRunner.Run("inspect", TestPaths.CorpusFile("not-checkpoints/git_lfs_pointer.pth"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("git lfs pull", r.Error);
        Assert.Contains("git_lfs_pointer.pth", r.Error);
    }

    [Theory]
    [InlineData("fastai_v2_lm_with_opt.legacy.pth")]
    [InlineData("fastai_v2_lm_with_opt.zip.pth")]
    public void Inspect_FastaiCheckpointSavedWithOptimizer_ListsItsTensorsAndTheGlobalUnderOpt(string name)
    {
        // convert ignores fastai's 'opt' subtree (fastcore's L lives there); inspect must not refuse what convert accepts.
        var r = CliRunner.Run("inspect", Path.Combine(TestPaths.Fixtures, name), "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Contains(doc.RootElement.GetProperty("tensors").EnumerateArray(), t => t.GetProperty("path").GetString() == "model.0.encoder.weight");
        Assert.Contains("fastcore.foundation.L", doc.RootElement.GetProperty("unsafe_globals").GetRawText());
    }

    [Fact]
    public void Inspect_Png_SaysPng()
    {
        var r = CliRunner.Run("inspect", TestPaths.CorpusFile("not-checkpoints/png_signature.pt"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("PNG", r.Error);
    }

    [Fact]
    public void Inspect_SharedStorageLegacy_ReportsOneGroupWithBothViews()
    {
        var r = CliRunner.Run("inspect", TestPaths.CorpusFile("pytorch-legacy/burn_legacy_uncloned_views.pt"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("PyTorch legacy", r.Out);
        Assert.Contains("storage sharing:", r.Out);
        Assert.DoesNotContain("storage sharing: none", r.Out);
        Assert.Contains("totals: 2 tensors, 1 storages", r.Out);
    }

    [Fact]
    public void InspectJson_CarriesTheSameFactsAsPyTorch()
    {
        var r = CliRunner.Run("inspect", TestPaths.CorpusFile("pytorch-zip/candle_fortran_tensor_3d.pth"), "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal("pytorch-zip", root.GetProperty("format").GetString());
        var t = Assert.Single(root.GetProperty("tensors").EnumerateArray());
        Assert.Equal("int64", t.GetProperty("dtype").GetString());
        Assert.Equal([2L, 3L, 4L], t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([1L, 2L, 6L], t.GetProperty("stride").EnumerateArray().Select(e => e.GetInt64()));
        Assert.False(t.GetProperty("contiguous").GetBoolean());
        Assert.Equal(1, root.GetProperty("totals").GetProperty("storages").GetInt32());
    }
}
