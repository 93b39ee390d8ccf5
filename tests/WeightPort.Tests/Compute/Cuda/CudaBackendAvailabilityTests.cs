using System.Runtime.InteropServices;
using WeightPort.Compute.Cuda;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

public sealed class CudaBackendAvailabilityTests
{
    [SkippableFact]
    public void TryCreate_WithoutCuda_ReturnsFalseWithReason()
    {
        Skip.If(CudaBackend.IsAvailable, "CUDA is available here; CudaEngineTests cover it");

        bool created = CudaBackend.TryCreate(out CudaBackend? backend, out string? reason);

        Assert.False(created);
        Assert.Null(backend);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Equal(CudaBackend.UnavailableReason, reason);
        if (!NativeLibrary.TryLoad("libcuda.so.1", out _))
        {
            Assert.StartsWith("CUDA driver library libcuda.so.1 not found (searched: ", reason, StringComparison.Ordinal);
            Assert.Contains("is an NVIDIA driver installed?", reason, StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public void Create_WithoutCuda_ThrowsCudaUnavailable()
    {
        Skip.If(CudaBackend.IsAvailable, "CUDA is available here");

        var e = Assert.Throws<CudaUnavailableException>(() => CudaBackend.Create());
        Assert.Equal(CudaBackend.UnavailableReason, e.Message);
    }

    [Fact]
    public void LibrariesLoad_NoDriverAnywhere_ReportsDriverBeforeOtherLibraries()
    {
        var e = Assert.Throws<CudaUnavailableException>(() => CudaLibraries.Load(new FakeFileSystemProbe(), new FakeNativeLoader()));

        Assert.Contains("libcuda.so.1", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("cuBLAS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CudaOptions_Default_KeepsTf32Off()
    {
        Assert.False(new CudaOptions().AllowTf32);
        Assert.False(new CudaOptions().Pedantic);
    }
}
