using System.Runtime.InteropServices;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// The cuBLAS functions WeightPort needs (see <see cref="CudaDriverApi"/> for the binding style). cuBLAS is column-major;
/// <see cref="GemmCall"/> maps WeightPort's row-major products onto it.
/// </summary>
internal sealed unsafe class CublasApi
{
    /// <summary><c>CUBLAS_OP_N</c>.</summary>
    public const int OpN = 0;

    /// <summary><c>CUBLAS_OP_T</c>.</summary>
    public const int OpT = 1;

    /// <summary><c>CUBLAS_DEFAULT_MATH</c>: float32 GEMMs in float32 (no TF32).</summary>
    public const int DefaultMath = 0;

    /// <summary><c>CUBLAS_PEDANTIC_MATH</c>.</summary>
    public const int PedanticMath = 2;

    /// <summary><c>CUBLAS_TF32_TENSOR_OP_MATH</c>.</summary>
    public const int Tf32TensorOpMath = 3;

    public readonly delegate* unmanaged<IntPtr*, int> cublasCreate_v2;
    public readonly delegate* unmanaged<IntPtr, int> cublasDestroy_v2;
    public readonly delegate* unmanaged<IntPtr, int*, int> cublasGetVersion_v2;
    public readonly delegate* unmanaged<IntPtr, IntPtr, int> cublasSetStream_v2;
    public readonly delegate* unmanaged<IntPtr, int, int> cublasSetMathMode;
    public readonly delegate* unmanaged<IntPtr, int, int, int, int, int, float*, ulong, int, ulong, int, float*, ulong, int, int> cublasSgemm_v2;
    public readonly delegate* unmanaged<IntPtr, int, int, int, int, int, float*, ulong, int, long, ulong, int, long, float*, ulong, int, long, int, int> cublasSgemmStridedBatched;
    private readonly delegate* unmanaged<int, byte*> cublasGetStatusName;

    /// <summary>Binds every function from the loaded cuBLAS library.</summary>
    public CublasApi(LoadedLibrary library)
    {
        Library = library;
        IntPtr h = library.Handle;
        cublasCreate_v2 = (delegate* unmanaged<IntPtr*, int>)CudaDriverApi.Export(h, "cublasCreate_v2");
        cublasDestroy_v2 = (delegate* unmanaged<IntPtr, int>)CudaDriverApi.Export(h, "cublasDestroy_v2");
        cublasGetVersion_v2 = (delegate* unmanaged<IntPtr, int*, int>)CudaDriverApi.Export(h, "cublasGetVersion_v2");
        cublasSetStream_v2 = (delegate* unmanaged<IntPtr, IntPtr, int>)CudaDriverApi.Export(h, "cublasSetStream_v2");
        cublasSetMathMode = (delegate* unmanaged<IntPtr, int, int>)CudaDriverApi.Export(h, "cublasSetMathMode");
        cublasSgemm_v2 = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, ulong, int, ulong, int, float*, ulong, int, int>)CudaDriverApi.Export(h, "cublasSgemm_v2");
        cublasSgemmStridedBatched = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, ulong, int, long, ulong, int, long, float*, ulong, int, long, int, int>)CudaDriverApi.Export(h, "cublasSgemmStridedBatched");
        // Added in CUDA 11.4; older libraries get names from the table below.
        cublasGetStatusName = NativeLibrary.TryGetExport(h, "cublasGetStatusName", out IntPtr name) ? (delegate* unmanaged<int, byte*>)name : null;
    }

    /// <summary>What was loaded.</summary>
    public LoadedLibrary Library { get; }

    /// <summary>Throws <see cref="CudaException"/> when <paramref name="status"/> is not <c>CUBLAS_STATUS_SUCCESS</c>.</summary>
    public void Check(int status, string function)
    {
        if (status != 0) throw new CudaException(function, status, StatusName(status));
    }

    /// <summary>The symbolic name of a <c>cublasStatus_t</c>.</summary>
    public string StatusName(int status)
    {
        if (cublasGetStatusName != null && cublasGetStatusName(status) is var text && text != null)
            return Marshal.PtrToStringUTF8((IntPtr)text) ?? "?";
        return status switch
        {
            1 => "CUBLAS_STATUS_NOT_INITIALIZED",
            3 => "CUBLAS_STATUS_ALLOC_FAILED",
            7 => "CUBLAS_STATUS_INVALID_VALUE",
            8 => "CUBLAS_STATUS_ARCH_MISMATCH",
            11 => "CUBLAS_STATUS_MAPPING_ERROR",
            13 => "CUBLAS_STATUS_EXECUTION_FAILED",
            14 => "CUBLAS_STATUS_INTERNAL_ERROR",
            15 => "CUBLAS_STATUS_NOT_SUPPORTED",
            16 => "CUBLAS_STATUS_LICENSE_ERROR",
            _ => "cublasStatus_t " + status,
        };
    }
}
