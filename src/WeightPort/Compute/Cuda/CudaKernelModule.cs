using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// <c>kernels.cu</c> compiled by NVRTC for one device architecture (cached per process) and loaded into a context.
/// </summary>
/// <remarks>
/// It first asks NVRTC for a cubin for the exact architecture (<c>--gpu-architecture=sm_XY</c>): a cubin loads on any
/// driver of the same CUDA major, even one older than NVRTC. When NVRTC does not know the architecture, or the cubin
/// does not load, it falls back to PTX for <c>compute_XY</c> and then for older virtual architectures, which the driver
/// JIT-compiles (this needs a driver at least as new as NVRTC).
/// </remarks>
internal sealed unsafe class CudaKernelModule : IDisposable
{
    private static readonly ConcurrentDictionary<string, (byte[] Image, string Target)> Images = new();
    private static readonly int[] FallbackVirtualArchitectures = [90, 80, 75, 70, 60, 52];

    private readonly CudaDriverApi _driver;
    private readonly Dictionary<string, IntPtr> _functions = new(StringComparer.Ordinal);
    private IntPtr _module;

    private CudaKernelModule(CudaDriverApi driver, IntPtr module, string target)
    {
        _driver = driver;
        _module = module;
        Target = target;
        foreach (string name in KernelNames.All)
        {
            IntPtr function;
            byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
            fixed (byte* p = utf8) driver.Check(driver.cuModuleGetFunction(&function, module, p), "cuModuleGetFunction(" + name + ")");
            _functions[name] = function;
        }
    }

    /// <summary>What the module was built for, e.g. <c>sm_90 cubin</c>, <c>compute_90 PTX</c>.</summary>
    public string Target { get; }

    /// <summary>The <c>CUfunction</c> of an entry point from <see cref="KernelNames"/>.</summary>
    public IntPtr this[string name] => _functions[name];

    /// <summary>Compiles (or takes from the cache) and loads the kernels; the context must be current.</summary>
    /// <exception cref="CudaException">The source does not compile (log attached) or no image loads.</exception>
    public static CudaKernelModule Load(CudaLibraries libraries, int major, int minor)
    {
        CudaDriverApi driver = libraries.Driver;
        string source = KernelNames.LoadSource();
        int arch = major * 10 + minor;
        var attempts = new List<(string Option, bool Cubin)> { ($"sm_{arch}", true), ($"compute_{arch}", false) };
        foreach (int older in FallbackVirtualArchitectures)
        {
            if (older < arch) attempts.Add(($"compute_{older}", false));
        }

        var failures = new List<string>();
        foreach ((string option, bool cubin) in attempts)
        {
            string key = $"{libraries.Nvrtc.Library.NameOrPath}|{option}";
            if (!Images.TryGetValue(key, out var image))
            {
                byte[]? compiled = Compile(libraries.Nvrtc, source, option, cubin, failures);
                if (compiled is null) continue;
                image = (compiled, option + (cubin ? " cubin" : " PTX"));
                Images[key] = image;
            }
            IntPtr module;
            int status;
            fixed (byte* p = image.Image) status = driver.cuModuleLoadData(&module, p);
            if (status == 0) return new CudaKernelModule(driver, module, image.Target);
            failures.Add($"{image.Target}: cuModuleLoadData returned {driver.ErrorName(status)} ({status})");
        }
        (int nvMajor, int nvMinor) = libraries.Nvrtc.Version();
        throw new CudaException("cuModuleLoadData", 0, "no loadable kernel image",
            $"kernels.cu for sm_{arch} with NVRTC {nvMajor}.{nvMinor} ({libraries.Nvrtc.Library.NameOrPath}) and driver {CudaLibraries.FormatVersion(libraries.DriverVersion)}: {string.Join("; ", failures)}"
            + " (PTX from an NVRTC newer than the driver cannot be JIT-compiled: use an NVRTC no newer than the driver)");
    }

    /// <summary>Runs NVRTC; null when it rejects the architecture option (the caller tries the next one).</summary>
    private static byte[]? Compile(NvrtcApi nvrtc, string source, string architecture, bool cubin, List<string> failures)
    {
        IntPtr program;
        byte[] sourceUtf8 = Encoding.UTF8.GetBytes(source + "\0");
        byte[] nameUtf8 = Encoding.UTF8.GetBytes(KernelNames.ResourceName + "\0");
        fixed (byte* src = sourceUtf8)
        fixed (byte* name = nameUtf8)
        {
            nvrtc.Check(nvrtc.nvrtcCreateProgram(&program, src, name, 0, null, null), "nvrtcCreateProgram");
        }
        try
        {
            // No --use_fast_math: accurate expf/tanhf and IEEE division, as PyTorch's kernels.
            string[] options = ["--gpu-architecture=" + architecture];
            byte[][] optionBytes = options.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
            var handles = optionBytes.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
            int status;
            try
            {
                byte** pointers = stackalloc byte*[handles.Length];
                for (int i = 0; i < handles.Length; i++) pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                status = nvrtc.nvrtcCompileProgram(program, handles.Length, pointers);
            }
            finally
            {
                foreach (GCHandle h in handles) h.Free();
            }
            if (status == NvrtcApi.ErrorInvalidOption)
            {
                failures.Add($"{architecture}: NVRTC rejected the option ({nvrtc.ErrorName(status)}): {ProgramLog(nvrtc, program).Trim()}");
                return null;
            }
            nvrtc.Check(status, "nvrtcCompileProgram", $"kernels.cu for {architecture}:\n{ProgramLog(nvrtc, program)}");

            nuint size;
            if (cubin)
            {
                nvrtc.Check(nvrtc.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize");
                var image = new byte[checked((int)size)];
                fixed (byte* p = image) nvrtc.Check(nvrtc.nvrtcGetCUBIN(program, p), "nvrtcGetCUBIN");
                return image;
            }
            nvrtc.Check(nvrtc.nvrtcGetPTXSize(program, &size), "nvrtcGetPTXSize");
            // The size includes the terminating NUL that cuModuleLoadData needs to recognise PTX text.
            var ptx = new byte[checked((int)size)];
            fixed (byte* p = ptx) nvrtc.Check(nvrtc.nvrtcGetPTX(program, p), "nvrtcGetPTX");
            return ptx;
        }
        finally
        {
            nvrtc.nvrtcDestroyProgram(&program);
        }
    }

    private static string ProgramLog(NvrtcApi nvrtc, IntPtr program)
    {
        nuint size;
        if (nvrtc.nvrtcGetProgramLogSize(program, &size) != 0 || size <= 1) return "";
        var log = new byte[checked((int)size)];
        fixed (byte* p = log)
        {
            if (nvrtc.nvrtcGetProgramLog(program, p) != 0) return "";
        }
        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }

    /// <summary>Unloads the module (its context must be current).</summary>
    public void Dispose()
    {
        if (_module == IntPtr.Zero) return;
        // Unloading during teardown must not throw over an earlier, more interesting error.
        _driver.cuModuleUnload(_module);
        _module = IntPtr.Zero;
    }
}
