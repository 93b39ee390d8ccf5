using System.Runtime.InteropServices;
using WeightPort.Compute.Cuda;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

public sealed class SystemNativeLoaderTests
{
    [Fact]
    public void TryLoad_BareSonameOfSystemLibrary_LoadsThroughSystemLoader()
    {
        Assert.True(SystemNativeLoader.Instance.TryLoad("libc.so.6", out IntPtr handle, out string? error), error);
        Assert.NotEqual(IntPtr.Zero, handle);
    }

    [Fact]
    public void TryLoad_FileThatIsNotALibrary_FailsWithLoaderMessage()
    {
        string path = Path.Combine(Path.GetTempPath(), $"libweightport-fake-{Guid.NewGuid():N}.so.12");
        File.WriteAllText(path, "not an ELF file");
        try
        {
            Assert.False(SystemNativeLoader.Instance.TryLoad(path, out IntPtr handle, out string? error));
            Assert.Equal(IntPtr.Zero, handle);
            Assert.Contains(Path.GetFileName(path), error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Export_FunctionMissing_ThrowsCudaUnavailableNamingIt()
    {
        IntPtr libc = NativeLibrary.Load("libc.so.6");

        var e = Assert.Throws<CudaUnavailableException>(() => CudaDriverApi.Export(libc, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease"));

        Assert.Contains("does not export cuDevicePrimaryCtxRelease_v2 or cuDevicePrimaryCtxRelease", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_FirstNameMissing_FallsBackToSecond()
    {
        IntPtr libc = NativeLibrary.Load("libc.so.6");

        Assert.Equal(NativeLibrary.GetExport(libc, "strlen"), CudaDriverApi.Export(libc, "cuNoSuchFunction", "strlen"));
    }
}
