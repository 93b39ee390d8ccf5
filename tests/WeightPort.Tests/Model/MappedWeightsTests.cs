using System.Buffers;
using System.Runtime.InteropServices;
using WeightPort.Compute.Cpu;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Model;

/// <summary>Loaded weights are read in place from the mapped file where it allows, and never outlive their mapping unsafely.</summary>
public sealed class MappedWeightsTests
{
    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, name);

    private static IEnumerable<ReadOnlyMemory<float>> All(AwdLstmWeights w)
    {
        yield return w.Embedding;
        foreach (var layer in w.Layers)
            foreach (var d in layer)
            {
                yield return d.WeightIh;
                yield return d.WeightHh;
                yield return d.BiasIh;
                yield return d.BiasHh;
            }
        if (w.DecoderWeight is { } dw) yield return dw;
        if (w.DecoderBias is { } db) yield return db;
        foreach (var b in w.ClassifierHead ?? [])
        {
            yield return b.BnWeight;
            yield return b.LinearWeight;
        }
    }

    private static bool IsMapped(ReadOnlyMemory<float> m) => MemoryMarshal.TryGetMemoryManager<float, MappedFloatMemory>(m, out _);

    [Theory]
    [InlineData("fastai_v2_lm.zip.pth")]
    [InlineData("fastai_v2_classifier.zip.pth")]
    [InlineData("wt103_mini_fwd.pth")]
    public void ZipFloat32Checkpoint_LoadsEveryWeightMapped_WithTheCopiedValues(string name)
    {
        using var loaded = AwdLstmLoader.Load(Fixture(name));
        using var reference = FastaiCheckpoint.Open(Fixture(name));
        var copied = ConversionPlan.Create(reference).Tensors.Where(t => t.Role is not null).ToDictionary(t => (t.Role, t.Index), t => t.ToFloat32Array());
        var all = All(loaded.Weights).ToList();
        Assert.All(all, m => Assert.True(IsMapped(m), "a float32 tensor of a zip checkpoint was copied instead of mapped"));
        Assert.Equal(copied[(FastaiRole.Embedding, 0)], loaded.Weights.Embedding.ToArray());
        Assert.Equal(copied[(FastaiRole.WeightHh, 0)], loaded.Weights.Layers[0][0].WeightHh.ToArray());
    }

    [SkippableFact]
    public unsafe void LegacyCheckpoint_UnalignedStorages_AreMappedOnX64AndArm64_WithTheCopiedValues()
    {
        Skip.IfNot(RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64, "unaligned floats are copied on this architecture");
        using var loaded = AwdLstmLoader.Load(Fixture("fastai_v2_lm.legacy.pth"));
        using var reference = FastaiCheckpoint.Open(Fixture("fastai_v2_lm.legacy.pth"));
        var copied = ConversionPlan.Create(reference).Tensors.Single(t => t.Role == FastaiRole.Embedding).ToFloat32Array();
        Assert.All(All(loaded.Weights), m => Assert.True(IsMapped(m)));
        int unaligned = 0;
        foreach (var m in All(loaded.Weights))
        {
            using var pin = m.Pin();
            if ((nint)pin.Pointer % sizeof(float) != 0) unaligned++;
        }
        Assert.True(unaligned > 0, "the fixture was expected to have storages at unaligned offsets (legacy layout)");
        Assert.Equal(copied, loaded.Weights.Embedding.ToArray());
    }

    [Fact]
    public void Float16Checkpoint_FallsBackToCopies()
    {
        using var loaded = AwdLstmLoader.Load(Fixture("fastai_v1_lm_fp16.zip.pth"));
        Assert.All(All(loaded.Weights), m => Assert.False(IsMapped(m), "float16 storage cannot be read in place as float32"));
    }

    [Fact]
    public void DisposedCheckpoint_UnpinnedWeights_ThrowInsteadOfReadingUnmappedMemory()
    {
        var loaded = AwdLstmLoader.Load(Fixture("fastai_v2_lm.zip.pth"));
        var embedding = loaded.Weights.Embedding;
        Assert.True(IsMapped(embedding));
        loaded.Dispose();
        Assert.Throws<ObjectDisposedException>(() => embedding.Span[0]);
        Assert.Throws<ObjectDisposedException>(() => embedding.Pin());
    }

    [Fact]
    public unsafe void PinnedWeights_StayReadableAfterTheCheckpointIsDisposed()
    {
        var loaded = AwdLstmLoader.Load(Fixture("fastai_v2_lm.zip.pth"));
        var embedding = loaded.Weights.Embedding;
        float[] expected = embedding.ToArray();
        MemoryHandle pin = embedding.Pin();
        loaded.Dispose();
        var view = new ReadOnlySpan<float>(pin.Pointer, expected.Length);
        Assert.Equal(expected, view.ToArray());
        pin.Dispose();
    }

    [Fact]
    public void ModelsBuiltOnPlanWeights_KeepWorkingAfterTheCheckpointIsDisposed()
    {
        var tokens = new int[,] { { 2, 3, 4, 5, 6 } };
        float[] lmBefore, lmAfter;
        float[,] classesBefore, classesAfter;
        var lmCheckpoint = FastaiCheckpoint.Open(Fixture("fastai_v2_lm.zip.pth"));
        var classifierCheckpoint = FastaiCheckpoint.Open(Fixture("fastai_v2_classifier.zip.pth"));
        using var backend = WeightPort.Compute.Cpu.CpuBackend.Create();
        using var lm = AwdLstm.FromWeights(AwdLstmWeights.FromPlan(ConversionPlan.Create(lmCheckpoint)), backend);
        using var classifier = AwdLstmClassifier.FromWeights(AwdLstmWeights.FromPlan(ConversionPlan.Create(classifierCheckpoint)), backend);
        lmBefore = lm.Forward(tokens).Logits.ToArray();
        classesBefore = classifier.Classify(tokens);
        lmCheckpoint.Dispose();
        classifierCheckpoint.Dispose();
        lm.Reset();
        lmAfter = lm.Forward(tokens).Logits.ToArray();
        classesAfter = classifier.Classify(tokens);
        Assert.Equal(lmBefore, lmAfter);
        Assert.Equal(classesBefore, classesAfter);
    }

    /// <summary>Whether this process holds <paramref name="path"/> open or mapped (Linux: /proc/self/fd and /proc/self/maps).</summary>
    private static bool IsOpenOrMapped(string path)
    {
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == path) return true;
            }
            catch (IOException) { }
        }
        return File.ReadLines("/proc/self/maps").Any(line => line.EndsWith(path, StringComparison.Ordinal));
    }

    [SkippableFact]
    public void ModelFromLoad_RunsOnMappedWeights_AndDisposeClosesTheFile()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "open files and mappings are read from /proc");
        string copy = Path.Combine(Path.GetTempPath(), $"wp-mapped-{Guid.NewGuid():N}.pth");
        File.Copy(Fixture("fastai_v2_lm.zip.pth"), copy);
        try
        {
            var model = AwdLstm.Load(copy, CpuBackend.Create());
            Assert.True(IsMapped(model.Weights.Embedding));
            var tokens = new int[,] { { 2, 3, 4, 5 } };
            var first = model.Forward(tokens).Logits.ToArray();
            model.Reset();
            Assert.Equal(first, model.Forward(tokens).Logits.ToArray());
            Assert.True(IsOpenOrMapped(copy), "the loaded model was expected to hold its checkpoint mapped");
            model.Dispose();
            Assert.Throws<ObjectDisposedException>(() => model.Weights.Embedding.Span[0]);
            Assert.False(IsOpenOrMapped(copy), "the checkpoint is still open or mapped after the model was disposed");
        }
        finally
        {
            if (File.Exists(copy)) File.Delete(copy);
        }
    }
}
