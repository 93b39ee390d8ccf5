using WeightPort.Compute.Cuda;
using Xunit;

namespace WeightPort.Tests.Compute.Cuda;

public sealed class NativeLibrarySearchTests
{
    [Fact]
    public void Load_CublasInCudaHome_LoadsItByFullPathAfterItsLtCompanion()
    {
        var probe = new FakeFileSystemProbe()
            .WithEnvironment("CUDA_HOME", "/opt/cuda-12.6")
            .WithFile("/opt/cuda-12.6/lib64/libcublas.so.12")
            .WithFile("/opt/cuda-12.6/lib64/libcublasLt.so.12");
        var loader = new FakeNativeLoader().Accept("/opt/cuda-12.6/lib64/libcublas.so.12");

        LoadedLibrary loaded = NativeLibrarySearch.Load(NativeLibrarySpec.Cublas, probe, loader);

        Assert.Equal("/opt/cuda-12.6/lib64/libcublas.so.12", loaded.NameOrPath);
        Assert.Equal("libcublas.so.12", loaded.FileName);
        int lt = loader.Attempts.IndexOf("/opt/cuda-12.6/lib64/libcublasLt.so.12");
        int main = loader.Attempts.IndexOf("/opt/cuda-12.6/lib64/libcublas.so.12");
        Assert.True(lt >= 0 && lt < main, "libcublasLt must be loaded from the same folder before libcublas: " + string.Join(", ", loader.Attempts));
    }

    [Fact]
    public void Load_SonameKnownToSystemLoader_PrefersItOverFolders()
    {
        var probe = new FakeFileSystemProbe().WithFile("/usr/local/cuda/lib64/libcublas.so.13");
        var loader = new FakeNativeLoader().Accept("libcublas.so.12").Accept("/usr/local/cuda/lib64/libcublas.so.13");

        LoadedLibrary loaded = NativeLibrarySearch.Load(NativeLibrarySpec.Cublas, probe, loader);

        Assert.Equal("libcublas.so.12", loaded.NameOrPath);
        Assert.Equal(["libcublas.so.13", "libcublas.so.12"], loader.Attempts);
    }

    [Fact]
    public void Load_NvrtcOnlyInPipNvidiaWheel_FindsItInSitePackages()
    {
        const string lib = "/usr/local/lib/python3.11/dist-packages/nvidia/cuda_nvrtc/lib";
        var probe = new FakeFileSystemProbe()
            .WithFile(lib + "/libnvrtc.so.12")
            .WithFile(lib + "/libnvrtc-builtins.so.12.4");
        var loader = new FakeNativeLoader().Accept(lib + "/libnvrtc.so.12");

        LoadedLibrary loaded = NativeLibrarySearch.Load(NativeLibrarySpec.Nvrtc, probe, loader);

        Assert.Equal(lib + "/libnvrtc.so.12", loaded.NameOrPath);
        Assert.Contains(lib + "/libnvrtc-builtins.so.12.4", loader.Attempts);
    }

    [Fact]
    public void Load_Cuda13WheelLayout_FindsCublasInNvidiaCu13Lib()
    {
        const string lib = "/home/user/.local/lib/python3.12/site-packages/nvidia/cu13/lib";
        var probe = new FakeFileSystemProbe().WithFile(lib + "/libcublas.so.13").WithFile(lib + "/libcublasLt.so.13");
        var loader = new FakeNativeLoader().Accept(lib + "/libcublas.so.13");

        Assert.Equal(lib + "/libcublas.so.13", NativeLibrarySearch.Load(NativeLibrarySpec.Cublas, probe, loader).NameOrPath);
    }

    [Fact]
    public void Load_Version13Missing_FallsBackToVersion12()
    {
        var probe = new FakeFileSystemProbe()
            .WithFile("/usr/local/cuda-12.4/lib64/libcublas.so.12")
            .WithFile("/usr/local/cuda-12.4/lib64/libcublasLt.so.12");
        var loader = new FakeNativeLoader().Accept("/usr/local/cuda-12.4/lib64/libcublas.so.12");

        LoadedLibrary loaded = NativeLibrarySearch.Load(NativeLibrarySpec.Cublas, probe, loader);

        Assert.Equal("libcublas.so.12", loaded.FileName);
        Assert.DoesNotContain(loader.Attempts, a => a.StartsWith('/') && a.EndsWith("libcublas.so.13", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_SeveralToolkits_SearchesNewestFirstNumerically()
    {
        var probe = new FakeFileSystemProbe()
            .WithFile("/usr/local/cuda-12.9/lib64/libcublas.so.12")
            .WithFile("/usr/local/cuda-12.10/lib64/libcublas.so.12")
            .WithFile("/usr/local/cuda-11.8/lib64/libcublas.so.11");

        var paths = NativeLibrarySearch.Plan(NativeLibrarySpec.Cublas, probe).Candidates.Where(c => c.Directory is not null).Select(c => c.NameOrPath).ToList();

        Assert.Equal(
        [
            "/usr/local/cuda-12.10/lib64/libcublas.so.12",
            "/usr/local/cuda-12.9/lib64/libcublas.so.12",
            "/usr/local/cuda-11.8/lib64/libcublas.so.11",
        ], paths);
    }

    [Fact]
    public void Plan_OverrideVariable_IsSearchedBeforeCudaHome()
    {
        var probe = new FakeFileSystemProbe()
            .WithEnvironment(NativeLibrarySearch.OverrideVariable, "/custom/a:/custom/b")
            .WithEnvironment("CUDA_HOME", "/opt/cuda");

        IReadOnlyList<string> folders = NativeLibrarySearch.Folders(NativeLibrarySpec.Nvrtc, probe);

        Assert.Equal(["/custom/a", "/custom/b", "/opt/cuda/lib64", "/opt/cuda/lib"], folders.Take(4));
    }

    [Fact]
    public void Plan_Driver_NeverSearchesToolkitStubsOrWheels()
    {
        var probe = new FakeFileSystemProbe()
            .WithEnvironment("CUDA_HOME", "/usr/local/cuda")
            .WithFile("/usr/local/cuda/lib64/stubs/libcuda.so.1")
            .WithFile("/usr/local/lib/python3.11/dist-packages/nvidia/cu13/lib/libcuda.so.1");

        IReadOnlyList<string> folders = NativeLibrarySearch.Folders(NativeLibrarySpec.Driver, probe);

        Assert.Contains("/usr/lib/x86_64-linux-gnu", folders);
        Assert.Contains("/usr/lib/wsl/lib", folders);
        Assert.DoesNotContain(folders, f => f.Contains("cuda", StringComparison.Ordinal) || f.Contains("python", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_NothingFound_MessageNamesLibraryEveryPlaceAndHint()
    {
        var probe = new FakeFileSystemProbe()
            .WithEnvironment("CUDA_HOME", "/opt/cuda")
            .WithFile("/usr/lib/python3.11/dist-packages/numpy/__init__.py");
        var loader = new FakeNativeLoader();

        var e = Assert.Throws<CudaUnavailableException>(() => NativeLibrarySearch.Load(NativeLibrarySpec.Cublas, probe, loader));

        Assert.Contains("cuBLAS libcublas.so.13 / libcublas.so.12 / libcublas.so.11 not found", e.Message, StringComparison.Ordinal);
        Assert.Contains("the system loader (ld.so.cache, LD_LIBRARY_PATH)", e.Message, StringComparison.Ordinal);
        Assert.Contains("/opt/cuda/lib64", e.Message, StringComparison.Ordinal);
        Assert.Contains("/usr/local/cuda/lib64", e.Message, StringComparison.Ordinal);
        Assert.Contains("/usr/lib/python3.11/dist-packages/nvidia/cublas/lib", e.Message, StringComparison.Ordinal);
        Assert.Contains("/usr/lib/python3.11/dist-packages/torch/lib", e.Message, StringComparison.Ordinal);
        Assert.Contains("install the CUDA toolkit's cuBLAS", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DriverMissing_MessageAsksWhetherDriverIsInstalled()
    {
        var e = Assert.Throws<CudaUnavailableException>(() => NativeLibrarySearch.Load(NativeLibrarySpec.Driver, new FakeFileSystemProbe(), new FakeNativeLoader()));

        Assert.StartsWith("CUDA driver library libcuda.so.1 not found (searched: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith(": is an NVIDIA driver installed?", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileExistsButFailsToLoad_MessageReportsLoaderError()
    {
        var probe = new FakeFileSystemProbe().WithFile("/usr/local/cuda/lib64/libnvrtc.so.12");
        var loader = new FakeNativeLoader().Reject("/usr/local/cuda/lib64/libnvrtc.so.12", "libnvrtc-builtins.so.12.4: cannot open shared object file");

        var e = Assert.Throws<CudaUnavailableException>(() => NativeLibrarySearch.Load(NativeLibrarySpec.Nvrtc, probe, loader));

        Assert.Contains("found but failed to load: /usr/local/cuda/lib64/libnvrtc.so.12: libnvrtc-builtins.so.12.4: cannot open shared object file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PythonPackageFolders_VirtualEnvAndDebian_ListsNewestPythonFirstWithoutDuplicates()
    {
        var probe = new FakeFileSystemProbe { HomeDirectory = null }
            .WithEnvironment("VIRTUAL_ENV", "/srv/venv")
            .WithFile("/srv/venv/lib/python3.9/site-packages/x")
            .WithFile("/srv/venv/lib/python3.12/site-packages/x")
            .WithFile("/usr/lib/python3/dist-packages/x");

        IReadOnlyList<string> folders = NativeLibrarySearch.PythonPackageFolders(probe);

        Assert.Equal(["/srv/venv/lib/python3.12/site-packages", "/srv/venv/lib/python3.9/site-packages", "/usr/lib/python3/dist-packages"], folders);
    }

    [Fact]
    public void ForDriver_Cuda12Driver_PrefersVersion12OverNewer13()
    {
        var probe = new FakeFileSystemProbe()
            .WithFile("/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13")
            .WithFile("/usr/local/cuda-12.4/lib64/libcublas.so.12");
        var loader = new FakeNativeLoader()
            .Accept("/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13")
            .Accept("/usr/local/cuda-12.4/lib64/libcublas.so.12");

        Assert.Equal(["libcublas.so.12", "libcublas.so.11", "libcublas.so.13"], NativeLibrarySpec.Cublas.ForDriver(12).Files.Select(f => f.Name));
        Assert.Equal("/usr/local/cuda-12.4/lib64/libcublas.so.12", NativeLibrarySearch.Load(NativeLibrarySpec.Cublas.ForDriver(12), probe, loader).NameOrPath);
        Assert.Equal(NativeLibrarySpec.Nvrtc.Files, NativeLibrarySpec.Nvrtc.ForDriver(13).Files);
    }

    [Theory]
    [InlineData("libnvrtc.so.11.2", 11)]
    [InlineData("libcublas.so.13", 13)]
    [InlineData("libcuda.so.1", 1)]
    [InlineData("libcublas.so", 0)]
    public void MajorOf_FileNames_ParsesFirstVersionNumber(string name, int expected) => Assert.Equal(expected, NativeLibrarySpec.MajorOf(name));

    [Theory]
    [InlineData("/usr/local/cuda-12.4", new[] { 12, 4 })]
    [InlineData("/usr/lib/python3.11", new[] { 3, 11 })]
    [InlineData("/x/libnvrtc-builtins.so.12.8", new[] { 12, 8 })]
    [InlineData("/usr/local/cuda", new int[0])]
    public void VersionOf_Names_ParsesTrailingVersion(string path, int[] expected)
    {
        Assert.Equal(expected, VersionedNameComparer.VersionOf(path));
    }
}
