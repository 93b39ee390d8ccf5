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
