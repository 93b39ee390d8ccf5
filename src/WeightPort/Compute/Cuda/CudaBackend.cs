using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using WeightPort.Model;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// Runs the AWD-LSTM forward pass on an NVIDIA GPU through the CUDA driver API, cuBLAS and NVRTC, all loaded at run time
/// (no CUDA needed to build or to run on the CPU). Kernels (<c>kernels.cu</c>, embedded) are compiled by NVRTC for the
/// device on the first <see cref="CreateEngine"/>. Float32 throughout; TF32 only with <see cref="CudaOptions.AllowTf32"/>.
/// </summary>
public sealed unsafe class CudaBackend : ComputeBackend
{
    private static readonly Lazy<string?> Probe = new(() =>
    {
        try
        {
            _ = CudaLibraries.Shared;
            return null;
        }
        catch (CudaUnavailableException e)
        {
            return e.Message;
        }
        catch (CudaException e)
        {
            return e.Message;
        }
    });

    private readonly CudaLibraries _libraries;
    private readonly int _device;
    private readonly Lock _gate = new();
    private readonly HashSet<CudaLanguageModelEngine> _engines = [];
    private IntPtr _context;
    private CudaKernelModule? _kernels;
    private bool _disposed;

    private CudaBackend(CudaLibraries libraries, int deviceIndex, CudaOptions options)
    {
        _libraries = libraries;
        Options = options;
        DeviceIndex = deviceIndex;
        CudaDriverApi driver = libraries.Driver;

        int device;
        driver.Check(driver.cuDeviceGet(&device, deviceIndex), "cuDeviceGet");
        _device = device;
        byte* name = stackalloc byte[256];
        driver.Check(driver.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        DeviceName = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)name) ?? "?";
        int major, minor, sms;
        driver.Check(driver.cuDeviceGetAttribute(&major, CudaDriverApi.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MAJOR)");
        driver.Check(driver.cuDeviceGetAttribute(&minor, CudaDriverApi.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute(COMPUTE_CAPABILITY_MINOR)");
        driver.Check(driver.cuDeviceGetAttribute(&sms, CudaDriverApi.AttributeMultiprocessorCount, device), "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
        ComputeCapability = new Version(major, minor);
        MultiprocessorCount = sms;
        nuint memory;
        driver.Check(driver.cuDeviceTotalMem_v2(&memory, device), "cuDeviceTotalMem_v2");
        TotalMemoryBytes = (long)memory;

        // The primary context is the one the CUDA runtime (and so cuBLAS) uses for this device.
        IntPtr context;
        driver.Check(driver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        _context = context;
        try
        {
            driver.Check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            // A throwaway handle proves cuBLAS works with this driver and device, and tells its version.
            IntPtr handle;
            int version;
            libraries.Cublas.Check(libraries.Cublas.cublasCreate_v2(&handle), "cublasCreate_v2");
            try
            {
                libraries.Cublas.Check(libraries.Cublas.cublasGetVersion_v2(handle, &version), "cublasGetVersion_v2");
            }
            finally
            {
                libraries.Cublas.cublasDestroy_v2(handle);
            }
            CublasVersion = version;
        }
        catch
        {
            driver.cuDevicePrimaryCtxRelease(device);
            _context = IntPtr.Zero;
            throw;
        }
    }

    /// <summary>
    /// Whether CUDA can be used here: the driver, cuBLAS and NVRTC load and at least one device is visible. Computed
    /// once per process; <see cref="UnavailableReason"/> says why not.
    /// </summary>
    public static bool IsAvailable => Probe.Value is null;

    /// <summary>Why <see cref="IsAvailable"/> is false (naming the missing library and the places searched), else null.</summary>
    public static string? UnavailableReason => Probe.Value;

    /// <summary>Short name: <c>cuda</c>.</summary>
    public override string Name => "cuda";

    /// <summary>The device's ordinal.</summary>
    public int DeviceIndex { get; }

    /// <summary>The device's name, e.g. <c>NVIDIA H100 80GB HBM3</c>.</summary>
    public string DeviceName { get; }

    /// <summary>The device's compute capability, e.g. 9.0.</summary>
    public Version ComputeCapability { get; }

    /// <summary>Streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemoryBytes { get; }

    /// <summary>The CUDA version the driver supports, encoded as by <c>cuDriverGetVersion</c> (12040 = 12.4).</summary>
    public int DriverVersion => _libraries.DriverVersion;

    /// <summary>cuBLAS's version as <c>cublasGetVersion</c> encodes it (e.g. 120405 = 12.4.5).</summary>
    public int CublasVersion { get; }

    /// <summary>The options it was created with.</summary>
    internal CudaOptions Options { get; }

    /// <summary>What runs the kernels, once an engine has compiled them (e.g. <c>sm_90 cubin</c>), else null.</summary>
    public string? KernelTarget => _kernels?.Target;

    /// <inheritdoc />
    public override string Description
    {
        get
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"CUDA device {DeviceIndex}: {DeviceName} (sm_{ComputeCapability.Major}{ComputeCapability.Minor}, {MultiprocessorCount} SMs, {TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB); ");
            text.Append(CultureInfo.InvariantCulture, $"driver CUDA {CudaLibraries.FormatVersion(DriverVersion)} ({_libraries.Driver.Library.NameOrPath}); ");
            text.Append(CultureInfo.InvariantCulture, $"cuBLAS {CublasVersion / 10000}.{CublasVersion / 100 % 100}.{CublasVersion % 100} ({_libraries.Cublas.Library.NameOrPath}); ");
            (int nvMajor, int nvMinor) = _libraries.Nvrtc.Version();
            text.Append(CultureInfo.InvariantCulture, $"NVRTC {nvMajor}.{nvMinor} ({_libraries.Nvrtc.Library.NameOrPath})");
            if (KernelTarget is { } target) text.Append(", kernels ").Append(target);
            text.Append("; math ").Append(Options.AllowTf32 ? "TF32 tensor cores" : Options.Pedantic ? "pedantic float32" : "float32 (no TF32)");
            return text.ToString();
        }
    }

    /// <summary>Opens device 0 with default options, or says why it cannot.</summary>
    public static bool TryCreate([NotNullWhen(true)] out CudaBackend? backend, [NotNullWhen(false)] out string? reason) =>
        TryCreate(0, null, out backend, out reason, out _);

    /// <summary>Opens device 0, or says why it cannot, in full and in a few words ("no CUDA driver found").</summary>
    internal static bool TryCreate([NotNullWhen(true)] out CudaBackend? backend, [NotNullWhen(false)] out string? reason, [NotNullWhen(false)] out string? summary) =>
        TryCreate(0, null, out backend, out reason, out summary);

    /// <summary>Opens device <paramref name="deviceIndex"/>, or says why it cannot (never throws for a missing CUDA).</summary>
    internal static bool TryCreate(int deviceIndex, CudaOptions? options, [NotNullWhen(true)] out CudaBackend? backend, [NotNullWhen(false)] out string? reason) =>
        TryCreate(deviceIndex, options, out backend, out reason, out _);

    private static bool TryCreate(int deviceIndex, CudaOptions? options, [NotNullWhen(true)] out CudaBackend? backend,
        [NotNullWhen(false)] out string? reason, [NotNullWhen(false)] out string? summary)
    {
        try
        {
            backend = Create(CudaLibraries.Shared, deviceIndex, options);
            reason = null;
            summary = null;
            return true;
        }
        catch (Exception e) when (e is CudaUnavailableException or CudaException)
        {
            backend = null;
            reason = e.Message;
            summary = (e as CudaUnavailableException)?.Summary ?? (e is CudaException ? "CUDA failed to start" : "CUDA unavailable");
            return false;
        }
    }

    /// <summary>Opens a CUDA device.</summary>
    /// <exception cref="CudaUnavailableException">CUDA cannot be used on this machine, or <paramref name="deviceIndex"/> is not a device.</exception>
    /// <exception cref="CudaException">A CUDA call failed.</exception>
    /// <param name="deviceIndex">The device, as CUDA numbers the visible ones.</param>
    /// <param name="allowTf32">Let cuBLAS use TF32 tensor cores (faster, about 3 significant digits in products); float32 math when false.</param>
    public static CudaBackend Create(int deviceIndex = 0, bool allowTf32 = false) =>
        Create(CudaLibraries.Shared, deviceIndex, new CudaOptions { AllowTf32 = allowTf32 });

    /// <summary>Opens a device through already loaded libraries (tests load stand-ins).</summary>
    internal static CudaBackend Create(CudaLibraries libraries, int deviceIndex, CudaOptions? options)
    {
        if (deviceIndex < 0 || deviceIndex >= libraries.DeviceCount)
            throw new CudaUnavailableException($"CUDA device {deviceIndex} requested but {libraries.DeviceCount} device(s) are visible (CUDA_VISIBLE_DEVICES={Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "unset"})");
        return new CudaBackend(libraries, deviceIndex, options ?? new CudaOptions());
    }

    /// <inheritdoc />
    /// <exception cref="CudaException">Out of device memory, or the kernels do not build.</exception>
    internal override LanguageModelEngine CreateEngine(AwdLstmWeights weights) => CreateCudaEngine(weights);

    /// <summary>Uploads <paramref name="weights"/> and returns an engine with a zero hidden state (compiles the kernels on first use).</summary>
    /// <exception cref="ArgumentException">The weights break <see cref="AwdLstmWeights.Validate"/>.</exception>
    /// <exception cref="CudaException">Out of device memory, or the kernels do not build.</exception>
    internal CudaLanguageModelEngine CreateCudaEngine(AwdLstmWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CudaDriverApi driver = _libraries.Driver;
            driver.Check(driver.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
            _kernels ??= CudaKernelModule.Load(_libraries, ComputeCapability.Major, ComputeCapability.Minor);
            int mathMode = Options.AllowTf32 ? CublasApi.Tf32TensorOpMath : Options.Pedantic ? CublasApi.PedanticMath : CublasApi.DefaultMath;
            var ops = new CudaDeviceOps(_libraries, _context, _kernels, mathMode);
            // The engine owns ops from here (it disposes them, also when its constructor fails).
            var engine = new CudaLanguageModelEngine(ops, weights, OnEngineDisposed);
            _engines.Add(engine);
            return engine;
        }
    }

    /// <summary>Disposes the engines still open, unloads the kernels and releases the device's primary context.</summary>
    /// <param name="disposing">True when called from <see cref="ComputeBackend.Dispose()"/>.</param>
    protected override void Dispose(bool disposing)
    {
        CudaLanguageModelEngine[] open;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            open = [.. _engines];
        }
        foreach (CudaLanguageModelEngine engine in open) engine.Dispose();
        lock (_gate)
        {
            CudaDriverApi driver = _libraries.Driver;
            if (_context != IntPtr.Zero && driver.cuCtxSetCurrent(_context) == 0) _kernels?.Dispose();
            _kernels = null;
            if (_context != IntPtr.Zero) driver.cuDevicePrimaryCtxRelease(_device);
            _context = IntPtr.Zero;
        }
    }

    private void OnEngineDisposed(CudaLanguageModelEngine engine)
    {
        lock (_gate) _engines.Remove(engine);
    }
}
