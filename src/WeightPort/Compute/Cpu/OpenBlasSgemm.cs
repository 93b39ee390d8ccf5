using System.Runtime.InteropServices;

namespace WeightPort.Compute.Cpu;

/// <summary>
/// <see cref="ISgemm"/> on OpenBLAS, loaded at run time so the library works (on the managed kernels) where it is
/// missing. <c>m = 1</c> goes to <c>cblas_sgemv</c>: OpenBLAS's sgemm packs B even for a single row, which doubles
/// the memory traffic of the bandwidth-bound single-token step.
/// </summary>
internal sealed unsafe class OpenBlasSgemm : ISgemm
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    /// <summary>Names tried in order; Debian's libopenblas0-pthread installs <c>libopenblas.so.0</c>.</summary>
    private static readonly string[] LibraryNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll", "openblas"];

    private static readonly Lazy<OpenBlasSgemm?> Shared = new(Load);

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemv;

    private OpenBlasSgemm(IntPtr sgemm, IntPtr sgemv, string description)
    {
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        _sgemv = (delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemv;
        Description = description;
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>The process-wide binding, or null when no OpenBLAS with the CBLAS entry points can be loaded.</summary>
    public static OpenBlasSgemm? Instance => Shared.Value;

    private static OpenBlasSgemm? Load()
    {
        foreach (string name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, typeof(OpenBlasSgemm).Assembly, null, out IntPtr lib)) continue;
            if (NativeLibrary.TryGetExport(lib, "cblas_sgemm", out IntPtr sgemm) && NativeLibrary.TryGetExport(lib, "cblas_sgemv", out IntPtr sgemv))
            {
                string config = "";
                if (NativeLibrary.TryGetExport(lib, "openblas_get_config", out IntPtr getConfig))
                    config = Marshal.PtrToStringAnsi(((delegate* unmanaged<IntPtr>)getConfig)()) ?? "";
                int threads = 0;
                if (NativeLibrary.TryGetExport(lib, "openblas_get_num_threads", out IntPtr getThreads))
                    threads = ((delegate* unmanaged<int>)getThreads)();
                return new OpenBlasSgemm(sgemm, sgemv, $"OpenBLAS ({name}; {config.Trim()}; {threads} threads)");
            }
            NativeLibrary.Free(lib);
        }
        return null;
    }

    /// <inheritdoc />
    public bool Supports(WeightElement element) => element == WeightElement.Float32;

    /// <inheritdoc />
    public void MultiplyTransposed(int m, int n, int k, float* a, int lda, WeightView b, float* bias, float* c, int ldc, bool accumulate)
    {
        if (b.Element != WeightElement.Float32) throw new NotSupportedException($"OpenBLAS multiplies float32 weights only, not {b.Element}");
        MultiplyTransposed(m, n, k, a, lda, (float*)b.Data, b.Ld, bias, c, ldc, accumulate);
    }

    /// <inheritdoc />
    public void MultiplyTransposed(int m, int n, int k, float* a, int lda, float* b, int ldb, float* bias, float* c, int ldc, bool accumulate)
    {
        if (m == 0 || n == 0) return;
        if (bias != null)
        {
            // Seeding C with the bias and using beta = 1 replaces the pass OpenBLAS would spend zeroing C for beta = 0.
            Vector256Sgemm.AddBiasRows(m, n, bias, c, ldc, accumulate);
            accumulate = true;
        }
        if (k == 0)
        {
            if (!accumulate) Vector256Sgemm.ClearRows(m, n, c, ldc);
            return;
        }
        float beta = accumulate ? 1f : 0f;
        if (m == 1) _sgemv(RowMajor, NoTrans, n, k, 1f, b, ldb, a, 1, beta, c, 1);
        else _sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, a, lda, b, ldb, beta, c, ldc);
    }
}
