using System.Diagnostics;
using WeightPort.Compute.Cuda;
using WeightPort.Tests.Infrastructure;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>
/// Builds HostEmulation/fake_cuda.cpp (which includes the shipped kernels.cu) with g++ into a stand-in for
/// libcuda.so.1, libcublas.so.12 and libnvrtc.so.12, and loads it through the real library search.
/// </summary>
internal static class HostEmulatedCuda
{
    private static readonly Lazy<(string? Library, string? Problem)> Built = new(Build);

    /// <summary>A C++ compiler, or null.</summary>
    public static string? Compiler { get; } = new[] { Environment.GetEnvironmentVariable("CXX"), "/usr/bin/g++", "/usr/bin/c++" }
        .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    /// <summary>Why the emulation cannot run here, or null.</summary>
    public static string? Unavailable => Compiler is null ? "no C++ compiler (g++) to build the CUDA host emulation" : null;

    /// <summary>
    /// Fresh copies of the emulation in a new folder (a new path is a new dlopen object with its own state, and a new
    /// key in the kernel-image cache), loaded through <see cref="CudaLibraries.Load"/>.
    /// </summary>
    public static CudaLibraries Load()
    {
        (string? library, string? problem) = Built.Value;
        if (library is null) throw new InvalidOperationException(problem);
        string folder = Directory.CreateTempSubdirectory("wp-fakecuda-").FullName;
        foreach (string name in (string[])["libcuda.so.1", "libcublas.so.12", "libnvrtc.so.12"])
            File.Copy(library, Path.Combine(folder, name));
        return CudaLibraries.Load(new OverrideOnlyProbe(folder), new PathOnlyLoader());
    }

    private static (string?, string?) Build()
    {
        if (Compiler is null) return (null, Unavailable);
        string folder = Directory.CreateTempSubdirectory("wp-fakecuda-build-").FullName;
        File.WriteAllText(Path.Combine(folder, "kernels.cu"), KernelNames.LoadSource());
        string source = Path.Combine(TestPaths.RepoRoot, "tests", "WeightPort.Tests", "Compute", "Cuda", "HostEmulation", "fake_cuda.cpp");
        string output = Path.Combine(folder, "libfake.so");
        var start = new ProcessStartInfo(Compiler)
        {
            ArgumentList = { "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden", "-I", folder, "-o", output, source },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process process = Process.Start(start)!;
        string errors = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Compiler} failed on fake_cuda.cpp + kernels.cu:\n{errors}");
        return (output, null);
    }

    /// <summary>The real file system, but the only environment variable is the search override.</summary>
    private sealed class OverrideOnlyProbe(string folder) : IFileSystemProbe
    {
        public bool FileExists(string path) => RealFileSystemProbe.Instance.FileExists(path);

        public IReadOnlyList<string> GetDirectories(string parent, string pattern) => [];

        public IReadOnlyList<string> GetFiles(string directory, string pattern) => RealFileSystemProbe.Instance.GetFiles(directory, pattern);

        public string? GetEnvironmentVariable(string name) => name == NativeLibrarySearch.OverrideVariable ? folder : null;

        public string? HomeDirectory => null;
    }

    /// <summary>Never asks the system loader for a bare soname, so a real driver on a GPU machine is not picked up.</summary>
    private sealed class PathOnlyLoader : INativeLoader
    {
        public bool TryLoad(string nameOrPath, out IntPtr handle, out string? error)
        {
            if (Path.IsPathRooted(nameOrPath)) return SystemNativeLoader.Instance.TryLoad(nameOrPath, out handle, out error);
            handle = IntPtr.Zero;
            error = "bare names are not loaded in the emulation";
            return false;
        }
    }
}
