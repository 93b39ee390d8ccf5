namespace WeightPort.Compute.Cuda;

/// <summary>
/// What to look for: the names a library goes by, newest first, and where beyond the system loader it may live.
/// </summary>
/// <param name="DisplayName">How messages call it, e.g. <c>cuBLAS</c>.</param>
/// <param name="Files">File names in order of preference (newest CUDA major first).</param>
/// <param name="IsDriver">The driver lives only in system folders, never in a toolkit or a Python wheel.</param>
/// <param name="WheelSubfolders">Folders under a Python site-packages directory that hold it (PyTorch's nvidia wheels).</param>
/// <param name="Hint">What to do when it is missing.</param>
internal sealed record NativeLibrarySpec(string DisplayName, IReadOnlyList<LibraryFile> Files, bool IsDriver, IReadOnlyList<string> WheelSubfolders, string Hint)
{
    /// <summary>
    /// The same spec with the files a driver supporting CUDA <paramref name="driverMajor"/> can run put first: a cuBLAS
    /// or NVRTC from a newer CUDA major fails on an older driver (cuBLAS 13 needs a CUDA 13 driver), so where both
    /// libcublas.so.13 and .12 are installed, a 12.x driver gets .12. Newer files stay as a last resort.
    /// </summary>
    public NativeLibrarySpec ForDriver(int driverMajor) =>
        this with { Files = [.. Files.Where(f => MajorOf(f.Name) <= driverMajor), .. Files.Where(f => MajorOf(f.Name) > driverMajor)] };

    /// <summary>The CUDA major a file name belongs to: <c>libnvrtc.so.11.2</c> → 11 (0 when unversioned).</summary>
    internal static int MajorOf(string fileName)
    {
        int so = fileName.IndexOf(".so.", StringComparison.Ordinal);
        if (so < 0) return 0;
        ReadOnlySpan<char> rest = fileName.AsSpan(so + 4);
        int end = rest.IndexOf('.');
        return int.TryParse(end < 0 ? rest : rest[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int major) ? major : 0;
    }

    /// <summary>The driver API, installed with the NVIDIA kernel driver (never the toolkit's <c>stubs/libcuda.so</c>).</summary>
    public static NativeLibrarySpec Driver { get; } = new(
        "CUDA driver library",
        [new LibraryFile("libcuda.so.1")],
        IsDriver: true,
        WheelSubfolders: [],
        Hint: "is an NVIDIA driver installed?");

    /// <summary>cuBLAS from CUDA 13, 12 or 11 (each needs its cuBLASLt).</summary>
    public static NativeLibrarySpec Cublas { get; } = new(
        "cuBLAS",
        [
            new LibraryFile("libcublas.so.13", "libcublasLt.so.13"),
            new LibraryFile("libcublas.so.12", "libcublasLt.so.12"),
            new LibraryFile("libcublas.so.11", "libcublasLt.so.11"),
        ],
        IsDriver: false,
        // CUDA 13 wheels put every library in nvidia/cu13/lib; CUDA 12 and 11 wheels one folder per package.
        WheelSubfolders: ["nvidia/cu13/lib", "nvidia/cublas/lib", "torch/lib"],
        Hint: "install the CUDA toolkit's cuBLAS (e.g. the libcublas-12-x package) or PyTorch with CUDA, or set CUDA_HOME or WEIGHTPORT_CUDA_LIBS");

    /// <summary>The runtime compiler that builds <c>kernels.cu</c> for the device at hand.</summary>
    public static NativeLibrarySpec Nvrtc { get; } = new(
        "NVRTC",
        [
            new LibraryFile("libnvrtc.so.13", "libnvrtc-builtins.so.13*"),
            new LibraryFile("libnvrtc.so.12", "libnvrtc-builtins.so.12*"),
            // CUDA 11.2 and later ship an ABI-stable libnvrtc.so.11.2; 11.0 and 11.1 had their own.
            new LibraryFile("libnvrtc.so.11.2", "libnvrtc-builtins.so.11*"),
            new LibraryFile("libnvrtc.so.11.1", "libnvrtc-builtins.so.11*"),
            new LibraryFile("libnvrtc.so.11.0", "libnvrtc-builtins.so.11*"),
        ],
        IsDriver: false,
        WheelSubfolders: ["nvidia/cu13/lib", "nvidia/cuda_nvrtc/lib", "torch/lib"],
        Hint: "install the CUDA toolkit's NVRTC (e.g. the cuda-nvrtc-12-x package) or PyTorch with CUDA, or set CUDA_HOME or WEIGHTPORT_CUDA_LIBS");
}
