using System.Diagnostics;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Conversion;

/// <summary>
/// Every PyTorch-written fastai fixture converts to every format, and what is written carries exactly the values
/// PyTorch saw under the right source keys (fixtures.json), read back through WeightPort's readers.
/// </summary>
public sealed class ConvertFixtureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-convert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> FixturesAndFormats()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in FixtureManifest.Names("fastai-"))
            foreach (var f in new[] { "torchsharp", "safetensors", "pth" }) data.Add(name, f);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixturesAndFormats))]
    public void Convert_Fixture_WritesPyTorchValuesUnderMappedNames(string fixture, string format)
    {
        Assert.True(OutputFormats.TryParse(format, out var fmt));
        var shas = FixtureManifest.TensorHashes(fixture);
        using var source = FastaiCheckpoint.Open(Path.Combine(TestPaths.Fixtures, fixture));
        var target = new ConvertTarget(Path.Combine(_dir, fixture + "." + format), fmt.Value);
        var result = ConversionPlan.Create(source).Write(target);

        using var written = CheckpointReader.Open(target.OutputPath);
        var plan = result.Plan;
        var expectedNames = CheckpointConverter.TensorsFor(plan, fmt.Value).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(expectedNames.Order(StringComparer.Ordinal), written.Tensors.Select(t => t.Path).Order(StringComparer.Ordinal));
        if (fmt != OutputFormat.Pth)
        {
            foreach (var t in plan.Tensors)
            {
                var output = written.Find(t.TargetName);
                Assert.NotNull(output);
                Assert.Equal(t.Shape, output.Shape);
                Assert.True(shas[t.SourcePath] == output.Sha256Hex(), $"{t.TargetName} (from {t.SourcePath}) differs from PyTorch's value");
            }
            Assert.All(plan.Tensors.Where(t => t.TargetName.EndsWith("weight_hh_l0", StringComparison.Ordinal)), t => Assert.EndsWith("_raw", t.SourcePath));
        }
        // The manifest records the output's real hash and size.
        var manifest = ConversionManifest.FromJson(File.ReadAllText(target.ManifestPath));
        Assert.Equal(new FileInfo(target.OutputPath).Length, manifest.Output!.Size);
        using (var fs = File.OpenRead(target.OutputPath))
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(fs)), manifest.Output.Sha256);
        Assert.Empty(Directory.GetFiles(_dir, ".*.tmp"));
    }

    public static TheoryData<string> ZipFastaiFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var n in FixtureManifest.Names("fastai-").Where(n => n.Contains(".zip.", StringComparison.Ordinal) || n.StartsWith("wt103", StringComparison.Ordinal)))
        {
            // fastai v1 classifiers carry Linear biases a fastai-v2 head has no place for.
            if (FixtureManifest.Entry(n).GetProperty("layout").GetString() is "fastai-v1-classifier" or "fastai-v0.7-classifier") continue;
            data.Add(n);
        }
        return data;
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(ZipFastaiFixtures))]
    public void CleanedPth_LoadsStrictlyIntoFastaiV2ModelInRealTorch(string fixture)
    {
        var src = Path.Combine(TestPaths.Fixtures, fixture);
        using var source = FastaiCheckpoint.Open(src);
        var target = new ConvertTarget(Path.Combine(_dir, fixture + ".clean.pth"), OutputFormat.Pth);
        ConversionPlan.Create(source).Write(target);
        var (code, output) = RunPython(Path.Combine(TestPaths.RepoRoot, "tools", "check_clean_pth.py"), target.OutputPath, src, target.ManifestPath);
        Assert.True(code == 0, output);
        Assert.Contains("OK", output);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void CleanedPthChecker_WrongOriginal_Fails()
    {
        // The checker must be able to fail: the same layout from a different model is refused.
        using var source = FastaiCheckpoint.Open(Path.Combine(TestPaths.Fixtures, "fastai_v2_lm.zip.pth"));
        var target = new ConvertTarget(Path.Combine(_dir, "v2.clean.pth"), OutputFormat.Pth);
        ConversionPlan.Create(source).Write(target);
        var (code, output) = RunPython(Path.Combine(TestPaths.RepoRoot, "tools", "check_clean_pth.py"), target.OutputPath,
            Path.Combine(TestPaths.Fixtures, "fastai_v1_lm.zip.pth"), target.ManifestPath);
        Assert.NotEqual(0, code);
        Assert.Contains("FAIL", output);
    }

    internal static (int Code, string Output) RunPython(params string[] args)
    {
        var psi = new ProcessStartInfo(TestPaths.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
