using System.Runtime.InteropServices;

namespace WeightPort.Compute.Cuda;

/// <summary>
/// The CUDA driver API functions WeightPort needs, bound from <c>libcuda.so.1</c> with <see cref="NativeLibrary.GetExport"/>
/// into unmanaged function pointers (no reflection-based marshalling, so trimming and single-file publishing keep working).
/// Every call goes through <see cref="Check"/>, which throws <see cref="CudaException"/> naming the function and error.
/// Handles (<c>CUcontext</c>, <c>CUstream</c>, …) are <see cref="IntPtr"/>; <c>CUdeviceptr</c> is a 64-bit <see cref="ulong"/>.
/// </summary>
internal sealed unsafe class CudaDriverApi
{
    /// <summary><c>CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT</c>.</summary>
    public const int AttributeMultiprocessorCount = 16;

    /// <summary><c>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR</c>.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary><c>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR</c>.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    /// <summary><c>CUDA_ERROR_NO_DEVICE</c>.</summary>
    public const int ErrorNoDevice = 100;

    /// <summary><c>CUDA_ERROR_INSUFFICIENT_DRIVER</c>.</summary>
    public const int ErrorInsufficientDriver = 35;

    /// <summary><c>CUDA_ERROR_STUB_LIBRARY</c>: the toolkit's link stub was loaded instead of the driver.</summary>
    public const int ErrorStubLibrary = 34;

    public readonly delegate* unmanaged<uint, int> cuInit;
    public readonly delegate* unmanaged<int*, int> cuDriverGetVersion;
    public readonly delegate* unmanaged<int*, int> cuDeviceGetCount;
    public readonly delegate* unmanaged<int*, int, int> cuDeviceGet;
    public readonly delegate* unmanaged<byte*, int, int, int> cuDeviceGetName;
    public readonly delegate* unmanaged<int*, int, int, int> cuDeviceGetAttribute;
    public readonly delegate* unmanaged<nuint*, int, int> cuDeviceTotalMem_v2;
    public readonly delegate* unmanaged<IntPtr*, int, int> cuDevicePrimaryCtxRetain;
    public readonly delegate* unmanaged<int, int> cuDevicePrimaryCtxRelease;
    public readonly delegate* unmanaged<IntPtr, int> cuCtxSetCurrent;
    public readonly delegate* unmanaged<int> cuCtxSynchronize;
    public readonly delegate* unmanaged<ulong*, nuint, int> cuMemAlloc_v2;
    public readonly delegate* unmanaged<ulong, int> cuMemFree_v2;
    public readonly delegate* unmanaged<ulong, void*, nuint, IntPtr, int> cuMemcpyHtoDAsync_v2;
    public readonly delegate* unmanaged<void*, ulong, nuint, IntPtr, int> cuMemcpyDtoHAsync_v2;
    public readonly delegate* unmanaged<ulong, ulong, nuint, IntPtr, int> cuMemcpyDtoDAsync_v2;
    public readonly delegate* unmanaged<ulong, uint, nuint, IntPtr, int> cuMemsetD32Async;
    public readonly delegate* unmanaged<IntPtr*, void*, int> cuModuleLoadData;
    public readonly delegate* unmanaged<IntPtr, int> cuModuleUnload;
    public readonly delegate* unmanaged<IntPtr*, IntPtr, byte*, int> cuModuleGetFunction;
    public readonly delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> cuLaunchKernel;
    public readonly delegate* unmanaged<IntPtr*, uint, int> cuStreamCreate;
    public readonly delegate* unmanaged<IntPtr, int> cuStreamSynchronize;
    public readonly delegate* unmanaged<IntPtr, int> cuStreamDestroy_v2;
    public readonly delegate* unmanaged<IntPtr*, uint, int> cuEventCreate;
    public readonly delegate* unmanaged<IntPtr, IntPtr, int> cuEventRecord;
    public readonly delegate* unmanaged<IntPtr, int> cuEventSynchronize;
    public readonly delegate* unmanaged<float*, IntPtr, IntPtr, int> cuEventElapsedTime;
    public readonly delegate* unmanaged<IntPtr, int> cuEventDestroy_v2;
    private readonly delegate* unmanaged<int, byte**, int> cuGetErrorName;
    private readonly delegate* unmanaged<int, byte**, int> cuGetErrorString;

    /// <summary>Binds every function from the loaded driver library.</summary>
    /// <exception cref="CudaUnavailableException">A function is missing: the driver is too old for this code.</exception>
    public CudaDriverApi(LoadedLibrary library)
    {
        Library = library;
        IntPtr h = library.Handle;
        cuInit = (delegate* unmanaged<uint, int>)Export(h, "cuInit");
        cuDriverGetVersion = (delegate* unmanaged<int*, int>)Export(h, "cuDriverGetVersion");
        cuDeviceGetCount = (delegate* unmanaged<int*, int>)Export(h, "cuDeviceGetCount");
        cuDeviceGet = (delegate* unmanaged<int*, int, int>)Export(h, "cuDeviceGet");
        cuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)Export(h, "cuDeviceGetName");
        cuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Export(h, "cuDeviceGetAttribute");
        cuDeviceTotalMem_v2 = (delegate* unmanaged<nuint*, int, int>)Export(h, "cuDeviceTotalMem_v2");
        cuDevicePrimaryCtxRetain = (delegate* unmanaged<IntPtr*, int, int>)Export(h, "cuDevicePrimaryCtxRetain");
        // CUDA 11 renamed the release to _v2; both take a CUdevice.
        cuDevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)Export(h, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        cuCtxSetCurrent = (delegate* unmanaged<IntPtr, int>)Export(h, "cuCtxSetCurrent");
        cuCtxSynchronize = (delegate* unmanaged<int>)Export(h, "cuCtxSynchronize");
        cuMemAlloc_v2 = (delegate* unmanaged<ulong*, nuint, int>)Export(h, "cuMemAlloc_v2");
        cuMemFree_v2 = (delegate* unmanaged<ulong, int>)Export(h, "cuMemFree_v2");
        cuMemcpyHtoDAsync_v2 = (delegate* unmanaged<ulong, void*, nuint, IntPtr, int>)Export(h, "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync_v2 = (delegate* unmanaged<void*, ulong, nuint, IntPtr, int>)Export(h, "cuMemcpyDtoHAsync_v2");
        cuMemcpyDtoDAsync_v2 = (delegate* unmanaged<ulong, ulong, nuint, IntPtr, int>)Export(h, "cuMemcpyDtoDAsync_v2");
        cuMemsetD32Async = (delegate* unmanaged<ulong, uint, nuint, IntPtr, int>)Export(h, "cuMemsetD32Async");
        cuModuleLoadData = (delegate* unmanaged<IntPtr*, void*, int>)Export(h, "cuModuleLoadData");
        cuModuleUnload = (delegate* unmanaged<IntPtr, int>)Export(h, "cuModuleUnload");
        cuModuleGetFunction = (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Export(h, "cuModuleGetFunction");
        cuLaunchKernel = (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Export(h, "cuLaunchKernel");
        cuStreamCreate = (delegate* unmanaged<IntPtr*, uint, int>)Export(h, "cuStreamCreate");
        cuStreamSynchronize = (delegate* unmanaged<IntPtr, int>)Export(h, "cuStreamSynchronize");
        cuStreamDestroy_v2 = (delegate* unmanaged<IntPtr, int>)Export(h, "cuStreamDestroy_v2");
        cuEventCreate = (delegate* unmanaged<IntPtr*, uint, int>)Export(h, "cuEventCreate");
        cuEventRecord = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(h, "cuEventRecord");
        cuEventSynchronize = (delegate* unmanaged<IntPtr, int>)Export(h, "cuEventSynchronize");
        cuEventElapsedTime = (delegate* unmanaged<float*, IntPtr, IntPtr, int>)Export(h, "cuEventElapsedTime", "cuEventElapsedTime_v2");
        cuEventDestroy_v2 = (delegate* unmanaged<IntPtr, int>)Export(h, "cuEventDestroy_v2");
        cuGetErrorName = (delegate* unmanaged<int, byte**, int>)Export(h, "cuGetErrorName");
        cuGetErrorString = (delegate* unmanaged<int, byte**, int>)Export(h, "cuGetErrorString");
    }

    /// <summary>What was loaded.</summary>
    public LoadedLibrary Library { get; }

    /// <summary>Throws <see cref="CudaException"/> when <paramref name="status"/> is not <c>CUDA_SUCCESS</c>.</summary>
    public void Check(int status, string function)
    {
        if (status != 0) throw new CudaException(function, status, ErrorName(status), ErrorString(status));
    }

    /// <summary>The symbolic name of a <c>CUresult</c>, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName(int status)
    {
        byte* text = null;
        return cuGetErrorName(status, &text) == 0 && text != null ? Marshal.PtrToStringUTF8((IntPtr)text) ?? "?" : "CUresult " + status;
    }

    /// <summary>The driver's description of a <c>CUresult</c>.</summary>
    public string ErrorString(int status)
    {
        byte* text = null;
        return cuGetErrorString(status, &text) == 0 && text != null ? Marshal.PtrToStringUTF8((IntPtr)text) ?? "" : "";
    }

    /// <summary>The first of <paramref name="names"/> the library exports.</summary>
    internal static IntPtr Export(IntPtr handle, params string[] names)
    {
        foreach (string name in names)
        {
            if (NativeLibrary.TryGetExport(handle, name, out IntPtr address)) return address;
        }
        throw new CudaUnavailableException($"the loaded CUDA library does not export {string.Join(" or ", names)}: it is too old or not the NVIDIA library");
    }
}
