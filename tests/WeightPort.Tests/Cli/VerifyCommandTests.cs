using System.Text.Json;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Cli;

public sealed class VerifyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-cli-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, name);

    private static string Reference(string name) => Path.Combine(TestPaths.Fixtures, "references", name + ".ref.pt");

    [Fact]
    public void Verify_MiniWt103AgainstReference_PassesWithExitZero()
    {
        var r = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference("wt103_mini_fwd.pth"), "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.Contains("PASS", r.Out);
        Assert.Contains("logits", r.Out);
    }

    [Fact]
    public void Verify_WeightStorage_IsReportedForcedAndLossyOnRequest()
    {
        string[] common = ["verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference("wt103_mini_fwd.pth"), "--device", "cpu"];
        var auto = CliRunner.Run(common);
        Assert.True(auto.ExitCode == 0, auto.Out + auto.Error);
        Assert.Matches(@"weights: float(16|32) \(", auto.Out);
        var forced = CliRunner.Run([.. common, "--weights", "float32"]);
        Assert.True(forced.ExitCode == 0, forced.Out + forced.Error);
        Assert.Contains("weights: float32 (as asked)", forced.Out);
        // The mini model's random weights are not exact in bfloat16: the report says so and shows the error.
        var lossy = CliRunner.Run([.. common, "--weights", "bfloat16", "--blas", "managed", "--json"]);
        using var doc = System.Text.Json.JsonDocument.Parse(lossy.Out);
        var report = doc.RootElement.GetProperty("reports")[0];
        Assert.StartsWith("bfloat16 (as asked; lossy:", report.GetProperty("weight_storage").GetString());
    }

    [Fact]
    public void Verify_ForeignReference_ExitsFour()
    {
        var r = CliRunner.Run("verify", Fixture("fastai_v2_lm.zip.pth"), "--reference", Reference("fastai_v1_lm.legacy.pth"), "--device", "cpu", "--json");
        Assert.Equal(4, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.False(doc.RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void Verify_ConvertedWithoutReference_ChecksAgainstItsSource()
    {
        string output = Path.Combine(_dir, "lm.dat");
        Assert.Equal(0, CliRunner.Run("convert", Fixture("fastai_v1_lm.legacy.pth"), "-o", output).ExitCode);
        var r = CliRunner.Run("verify", output, "--device", "cpu");
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        Assert.Contains("bitwise equal", r.Out);
    }

    [Fact]
    public void Verify_OriginalWithoutReference_IsUsageError()
    {
        var r = CliRunner.Run("verify", Fixture("fastai_v2_lm.zip.pth"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--reference", r.Error);
    }

    [SkippableFact]
    public void Verify_CudaWithoutGpu_ExitsSixNamingTheLibrary()
    {
        Skip.If(WeightPort.Compute.Cuda.CudaBackend.IsAvailable, "this machine has CUDA; the no-GPU message cannot be observed");
        var r = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference("wt103_mini_fwd.pth"), "--device", "cuda");
        Assert.Equal(6, r.ExitCode);
        Assert.Contains("CUDA is not available", r.Error);
    }

    [Fact]
    public void Verify_Auto_SaysWhichDevice()
    {
        var r = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference("wt103_mini_fwd.pth"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("device:", r.Out);
        string device = r.Out.Split('\n').Single(l => l.TrimStart().StartsWith("device:", StringComparison.Ordinal)).Trim();
        Assert.Matches(@"^device: +(cuda|cpu \([^()]+\))$", device);
    }
}
