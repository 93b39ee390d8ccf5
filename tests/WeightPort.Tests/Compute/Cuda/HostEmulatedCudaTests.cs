using System.Runtime.InteropServices;
using WeightPort.Bench;
using WeightPort.Compute.Cuda;
using WeightPort.Fastai;
using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// The whole CUDA stack — library search, the driver/cuBLAS/NVRTC bindings, <see cref="CudaBackend"/>,
/// <see cref="CudaDeviceOps"/>'s kernel-argument packing and the shipped <c>kernels.cu</c> (compiled by g++ for the
/// host) — against the double-precision reference, on a machine without a GPU. What it cannot check: real cuBLAS
/// and NVRTC, the GPU's arithmetic and concurrency (that is <see cref="CudaEngineTests"/>' job).
/// </summary>
[Trait("Category", "Slow")]
public sealed unsafe class HostEmulatedCudaTests
{
    private static LanguageModelEngine Engine(CudaBackend backend, AwdLstmWeights weights) => backend.CreateEngine(weights);

    [SkippableFact]
    public void Forward_Unidirectional_MatchesDoubleReference()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        using CudaBackend backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);
        EngineScenarios.ForwardMatchesReference(w => Engine(backend, w), TestModels.Random(TestModels.Unidirectional, seed: 1), 3, 5);
    }

    [SkippableFact]
    public void Forward_BidirectionalUntied_MatchesDoubleReference()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        using CudaBackend backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);
        EngineScenarios.ForwardMatchesReference(w => Engine(backend, w), TestModels.Random(TestModels.Bidirectional, seed: 3, tied: false), 3, 5);
    }

    [SkippableFact]
    public void Forward_LargerThanOneLaunchBlock_MatchesDoubleReference()
    {
        // 8·12·4·96 gate elements and 8·12·64 embeddings: many 256-thread blocks, folded grids really stride.
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        using CudaBackend backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);
        var config = new AwdLstmConfig(VocabSize: 301, EmbSize: 64, HiddenSize: 96, Layers: 3);
        EngineScenarios.ForwardMatchesReference(w => Engine(backend, w), TestModels.Random(config, seed: 21), 8, 12);
    }

    [SkippableFact]
    public void Encode_StatefulCallsWithBatchChanges_MatchDoubleReference()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        using CudaBackend backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);
        EngineScenarios.StatefulCallsMatchReference(w => Engine(backend, w), TestModels.Random(TestModels.Bidirectional, seed: 5));
        EngineScenarios.StatefulCallsMatchReference(w => Engine(backend, w), TestModels.Random(TestModels.Unidirectional, seed: 4));
    }

    [SkippableFact]
    public void Create_Default_DescribesDeviceAndKeepsTf32Off()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        CudaLibraries libraries = HostEmulatedCuda.Load();
        using CudaBackend backend = CudaBackend.Create(libraries, 0, null);
        using CudaLanguageModelEngine engine = backend.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));

        Assert.Equal(CublasApi.DefaultMath, Call(libraries.Cublas.Library, "fake_last_math_mode"));
        Assert.Equal("sm_90 cubin", backend.KernelTarget);
        Assert.Equal(new Version(9, 0), backend.ComputeCapability);
        Assert.Equal(120405, backend.CublasVersion);
        Assert.Contains("WeightPort host emulator (sm_90, 4 SMs, 1.0 GiB)", backend.Description, StringComparison.Ordinal);
        Assert.Contains("driver CUDA 12.4", backend.Description, StringComparison.Ordinal);
        Assert.Contains("cuBLAS 12.4.5", backend.Description, StringComparison.Ordinal);
        Assert.Contains("NVRTC 12.4", backend.Description, StringComparison.Ordinal);
        Assert.Contains("math float32 (no TF32)", backend.Description, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(true, false, CublasApi.Tf32TensorOpMath)]
    [InlineData(false, true, CublasApi.PedanticMath)]
    public void Create_Options_SetCublasMathMode(bool tf32, bool pedantic, int expected)
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        CudaLibraries libraries = HostEmulatedCuda.Load();
        using CudaBackend backend = CudaBackend.Create(libraries, 0, new CudaOptions { AllowTf32 = tf32, Pedantic = pedantic });
        using CudaLanguageModelEngine engine = backend.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));

        Assert.Equal(expected, Call(libraries.Cublas.Library, "fake_last_math_mode"));
    }

    [SkippableFact]
    public void Create_NvrtcTooOldForDevice_FallsBackToOlderPtx()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        CudaLibraries libraries = HostEmulatedCuda.Load();
        CallVoid(libraries.Nvrtc.Library, "fake_set_nvrtc_no_sm", 1);
        using CudaBackend backend = CudaBackend.Create(libraries, 0, null);
        using CudaLanguageModelEngine engine = backend.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));

        Assert.Equal("compute_80 PTX", backend.KernelTarget);
    }

    [SkippableFact]
    public void Dispose_BackendWithOpenEngine_FreesAllDeviceMemoryAndReleasesContext()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        CudaLibraries libraries = HostEmulatedCuda.Load();
        var backend = CudaBackend.Create(libraries, 0, null);
        CudaLanguageModelEngine engine = backend.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));
        engine.Encode(TestModels.RandomTokens(6, 37, 1), 2, 3, new float[36]);
        engine.Decode(new float[12], 2, new float[74]);
        Assert.True(Call(libraries.Driver.Library, "fake_live_allocations") > 0);

        backend.Dispose();

        Assert.Equal(0, Call(libraries.Driver.Library, "fake_live_allocations"));
        Assert.Equal(0, Call(libraries.Driver.Library, "fake_primary_retains"));
        Assert.Throws<ObjectDisposedException>(() => engine.Reset());
    }

    [SkippableFact]
    public void Encode_Timing_IsMeasuredWithEvents()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        using CudaBackend backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);
        using CudaLanguageModelEngine engine = backend.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));
        engine.Encode(TestModels.RandomTokens(6, 37, 1), 2, 3, new float[36]);

        Assert.True(engine.LastEncodeTiming.ComputeMs > 0, engine.LastEncodeTiming.ToString());
        Assert.True(engine.LastEncodeTiming.UploadMs >= 0 && engine.LastEncodeTiming.DownloadMs >= 0);
    }

    [SkippableFact]
    public void Benchmark_SmallModel_ReportsConsistentNumbersAndLeavesStateReset()
    {
        Skip.If(HostEmulatedCuda.Unavailable is not null, HostEmulatedCuda.Unavailable);
        using CudaBackend backend = CudaBackend.Create(HostEmulatedCuda.Load(), 0, null);
        using CudaLanguageModelEngine engine = backend.CreateCudaEngine(TestModels.Random(TestModels.Unidirectional, seed: 2));

        CudaBenchmarkResult result = CudaBenchmark.Run(engine, batch: 4, seq: 7, iterations: 3, warmup: 1, latencyIterations: 5);

        Assert.Equal((4, 7, 3, true), (result.Batch, result.Seq, result.Iterations, result.WithDecoder));
        Assert.True(result.MedianWallMs > 0 && result.MedianComputeMs > 0 && result.MedianComputeMs <= result.MedianWallMs, result.ToString());
        Assert.Equal(28 / (result.MedianWallMs / 1000), result.TokensPerSecond, 6);
        Assert.True(result.SingleTokenMedianMs > 0 && result.SingleTokenP90Ms >= result.SingleTokenMedianMs);
        Assert.Equal(0, engine.BatchSize);
    }

    private static int Call(LoadedLibrary library, string function) =>
        ((delegate* unmanaged<int>)NativeLibrary.GetExport(library.Handle, function))();

    private static void CallVoid(LoadedLibrary library, string function, int value) =>
        ((delegate* unmanaged<int, void>)NativeLibrary.GetExport(library.Handle, function))(value);
}
