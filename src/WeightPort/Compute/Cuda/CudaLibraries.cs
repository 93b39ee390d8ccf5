namespace WeightPort.Compute.Cuda;

/// <summary>
/// The three native libraries, loaded and bound once per process (driver first, so that a machine without an NVIDIA
/// driver is reported as such rather than as a missing cuBLAS), with <c>cuInit</c> done.
/// </summary>
internal sealed class CudaLibraries
{
    private static readonly Lock Gate = new();
    private static CudaLibraries? _shared;

    private CudaLibraries(CudaDriverApi driver, CublasApi cublas, NvrtcApi nvrtc, int driverVersion, int deviceCount)
    {
        Driver = driver;
        Cublas = cublas;
        Nvrtc = nvrtc;
        DriverVersion = driverVersion;
        DeviceCount = deviceCount;
    }

    /// <summary>The driver API.</summary>
    public CudaDriverApi Driver { get; }

    /// <summary>cuBLAS.</summary>
    public CublasApi Cublas { get; }

    /// <summary>NVRTC.</summary>
    public NvrtcApi Nvrtc { get; }

    /// <summary>The CUDA version the driver supports, as <c>cuDriverGetVersion</c> encodes it (12040 = 12.4).</summary>
    public int DriverVersion { get; }

    /// <summary>Visible CUDA devices (at least 1).</summary>
    public int DeviceCount { get; }

    /// <summary>Loads the libraries from this machine, once per process; failures are not cached (a retry searches again).</summary>
    /// <exception cref="CudaUnavailableException">A library is missing, the driver is unusable, or there is no device.</exception>
    public static CudaLibraries Shared
    {
        get
        {
            lock (Gate)
            {
                return _shared ??= Load(RealFileSystemProbe.Instance, SystemNativeLoader.Instance);
            }
        }
    }

    /// <summary>Loads and initializes with the given probe and loader.</summary>
    internal static unsafe CudaLibraries Load(IFileSystemProbe probe, INativeLoader loader)
    {
        var driver = new CudaDriverApi(NativeLibrarySearch.Load(NativeLibrarySpec.Driver, probe, loader));
        int status = driver.cuInit(0);
        if (status != 0)
        {
            string name = driver.ErrorName(status);
            string why = status switch
            {
                CudaDriverApi.ErrorNoDevice => "no CUDA device",
                CudaDriverApi.ErrorInsufficientDriver => "the NVIDIA driver is older than this CUDA driver library",
                CudaDriverApi.ErrorStubLibrary => "the CUDA toolkit's link stub was loaded instead of the real driver library",
                _ => "the CUDA driver cannot be initialized",
            };
            throw new CudaUnavailableException(why, $"{why}: cuInit returned {name} ({status}) from {driver.Library.NameOrPath}");
        }
        int version, count;
        driver.Check(driver.cuDriverGetVersion(&version), "cuDriverGetVersion");
        driver.Check(driver.cuDeviceGetCount(&count), "cuDeviceGetCount");
        if (count <= 0) throw new CudaUnavailableException("no CUDA device", $"no CUDA device: cuDeviceGetCount returned {count} (driver {FormatVersion(version)}, {driver.Library.NameOrPath})");

        int driverMajor = version / 1000;
        var cublas = new CublasApi(NativeLibrarySearch.Load(NativeLibrarySpec.Cublas.ForDriver(driverMajor), probe, loader));
        var nvrtc = new NvrtcApi(NativeLibrarySearch.Load(NativeLibrarySpec.Nvrtc.ForDriver(driverMajor), probe, loader));
        return new CudaLibraries(driver, cublas, nvrtc, version, count);
    }

    /// <summary>12040 → "12.4".</summary>
    internal static string FormatVersion(int cudaVersion) => $"{cudaVersion / 1000}.{cudaVersion % 1000 / 10}";
}
