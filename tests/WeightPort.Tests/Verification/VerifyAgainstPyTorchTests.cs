using WeightPort.Compute.Cpu;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Model;
using WeightPort.Tensors;
using WeightPort.Tests.Infrastructure;
using WeightPort.Verification;
using Xunit;

namespace WeightPort.Tests.Verification;

/// <summary>The C# model against real PyTorch outputs (fixtures/references, made by tools/make_reference.py).</summary>
public sealed class VerifyAgainstPyTorchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-verify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, CpuBlas> ReferencesAndBlas()
    {
        var data = new TheoryData<string, CpuBlas>();
        foreach (var r in Directory.GetFiles(Path.Combine(TestPaths.Fixtures, "references"), "*.ref.pt").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(r), CpuBlas.Managed);
            data.Add(Path.GetFileName(r), CpuBlas.OpenBlas);
        }
        return data;
    }

    private static string FixtureOf(string reference) => Path.Combine(TestPaths.Fixtures, reference[..^".ref.pt".Length]);

    private static string ReferencePath(string reference) => Path.Combine(TestPaths.Fixtures, "references", reference);

    [Theory]
    [MemberData(nameof(ReferencesAndBlas))]
    public void Original_MatchesPyTorchReference(string reference, CpuBlas blas)
    {
        Assert.True(blas != CpuBlas.OpenBlas || CpuBackend.IsOpenBlasAvailable, "libopenblas.so.0 is missing: CI installs libopenblas0-pthread");
        using var backend = CpuBackend.Create(blas);
        var report = ModelVerifier.AgainstReference(AwdLstmLoader.Load(FixtureOf(reference)), ReferenceOutputs.Read(ReferencePath(reference)), backend, Tolerance.Default);
        Assert.True(report.Passed, Describe(report));
        Assert.All(report.Outputs, o => Assert.True(o.MaxAbsError < 1e-5, $"{o.Name}: {o.MaxAbsError}"));
    }

    [Theory]
    [InlineData("wt103_mini_fwd.pth.ref.pt", OutputFormat.TorchSharp)]
    [InlineData("fastai_v2_classifier.zip.pth.ref.pt", OutputFormat.Safetensors)]
    [InlineData("fastai_v1_classifier.legacy.pth.ref.pt", OutputFormat.TorchSharp)]
    [InlineData("fastai_v2_lm_bidir.zip.pth.ref.pt", OutputFormat.Pth)]
    [InlineData("fastai_v1_encoder.legacy.pth.ref.pt", OutputFormat.Safetensors)]
    public void Converted_MatchesPyTorchReference_AndItsSource(string reference, OutputFormat format)
    {
        var target = new ConvertTarget(Path.Combine(_dir, "model." + format.Id()), format);
        using (var source = FastaiCheckpoint.Open(FixtureOf(reference))) ConversionPlan.Create(source).Write(target);
        using var backend = CpuBackend.Create();
        var converted = AwdLstmLoader.Load(target.OutputPath);
        Assert.NotNull(converted.Manifest);
        var vsReference = ModelVerifier.AgainstReference(converted, ReferenceOutputs.Read(ReferencePath(reference)), backend, Tolerance.Default);
        Assert.True(vsReference.Passed, Describe(vsReference));
        var vsSource = ModelVerifier.AgainstSource(converted, AwdLstmLoader.Load(FixtureOf(reference)), backend, Tolerance.Default);
        Assert.True(vsSource.Passed, Describe(vsSource));
        Assert.NotEmpty(vsSource.Weights);
        Assert.All(vsSource.Weights, w => Assert.Equal(0, w.Differing));
    }

    [Fact]
    public void OneWeightChanged_FailsAgainstReferenceAndSource()
    {
        var target = new ConvertTarget(Path.Combine(_dir, "lm.dat"), OutputFormat.TorchSharp);
        using (var source = FastaiCheckpoint.Open(FixtureOf("wt103_mini_fwd.pth.ref.pt"))) ConversionPlan.Create(source).Write(target);
        long offset;
        using (var written = CheckpointReader.Open(target.OutputPath))
        {
            var t = written.Find("rnns.1.weight_hh_l0")!;
            offset = t.Storage.ByteOffset + 4 * 37;
        }
        using (var fs = new FileStream(target.OutputPath, FileMode.Open, FileAccess.ReadWrite))
        {
            var buf = new byte[4];
            fs.Position = offset;
            fs.ReadExactly(buf);
            float v = BitConverter.ToSingle(buf) + 0.25f;
            fs.Position = offset;
            fs.Write(BitConverter.GetBytes(v));
        }
        // The manifest notices first.
        var ex = Assert.Throws<CheckpointFormatException>(() => AwdLstmLoader.Load(target.OutputPath));
        Assert.Contains("does not match its manifest", ex.Message);
        File.Delete(target.ManifestPath);

        using var backend = CpuBackend.Create();
        var changed = AwdLstmLoader.Load(target.OutputPath);
        var report = ModelVerifier.AgainstReference(changed, ReferenceOutputs.Read(ReferencePath("wt103_mini_fwd.pth.ref.pt")), backend, Tolerance.Default);
        Assert.False(report.Passed);
        var vsSource = ModelVerifier.AgainstSource(changed, AwdLstmLoader.Load(FixtureOf("wt103_mini_fwd.pth.ref.pt")), backend, Tolerance.Default);
        Assert.False(vsSource.Passed);
        var bad = Assert.Single(vsSource.Weights, w => !w.Passed);
        Assert.Equal("rnns.1.weight_hh_l0", bad.Name);
        Assert.Equal(1, bad.Differing);
    }

    [Fact]
    public void ReferenceFromAnotherModel_Fails()
    {
        // Same shapes (vocab 60, emb 10), different weights.
        using var backend = CpuBackend.Create();
        var report = ModelVerifier.AgainstReference(AwdLstmLoader.Load(FixtureOf("fastai_v2_lm.zip.pth.ref.pt")),
            ReferenceOutputs.Read(ReferencePath("fastai_v1_lm.legacy.pth.ref.pt")), backend, Tolerance.Default);
        Assert.False(report.Passed);
        Assert.Contains(report.Outputs, o => !o.Passed);
    }

    [Fact]
    public void ReferenceWithOtherVocabulary_FailsWithAProblemNotAnException()
    {
        using var backend = CpuBackend.Create();
        var report = ModelVerifier.AgainstReference(AwdLstmLoader.Load(FixtureOf("fastai_v2_lm.zip.pth.ref.pt")),
            ReferenceOutputs.Read(ReferencePath("wt103_mini_fwd.pth.ref.pt")), backend, Tolerance.Default);
        Assert.False(report.Passed);
        Assert.NotEmpty(report.Problems);
    }

    private static string Describe(VerificationReport r) =>
        string.Join("\n", r.Outputs.Select(o => $"{o.Name}: abs {o.MaxAbsError} rel {o.MaxRelError} cos {o.Cosine} top1 {o.Top1Agreement} violations {o.Violations}")
            .Concat(r.Problems).Concat(r.Weights.Where(w => !w.Passed).Select(w => $"weight {w.Name} differs")));
}
