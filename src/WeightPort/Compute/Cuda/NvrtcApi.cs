using System.Runtime.InteropServices;

namespace WeightPort.Compute.Cuda;

/// <summary>The NVRTC functions WeightPort needs (see <see cref="CudaDriverApi"/> for the binding style).</summary>
internal sealed unsafe class NvrtcApi
{
    /// <summary><c>NVRTC_ERROR_INVALID_OPTION</c>: e.g. a GPU architecture this NVRTC does not know.</summary>
    public const int ErrorInvalidOption = 5;

    /// <summary><c>NVRTC_ERROR_COMPILATION</c>: the program log says why.</summary>
    public const int ErrorCompilation = 6;

    public readonly delegate* unmanaged<int*, int*, int> nvrtcVersion;
    public readonly delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int> nvrtcCreateProgram;
    public readonly delegate* unmanaged<IntPtr, int, byte**, int> nvrtcCompileProgram;
    public readonly delegate* unmanaged<IntPtr, nuint*, int> nvrtcGetPTXSize;
    public readonly delegate* unmanaged<IntPtr, byte*, int> nvrtcGetPTX;
    public readonly delegate* unmanaged<IntPtr, nuint*, int> nvrtcGetCUBINSize;
    public readonly delegate* unmanaged<IntPtr, byte*, int> nvrtcGetCUBIN;
    public readonly delegate* unmanaged<IntPtr, nuint*, int> nvrtcGetProgramLogSize;
    public readonly delegate* unmanaged<IntPtr, byte*, int> nvrtcGetProgramLog;
    public readonly delegate* unmanaged<IntPtr*, int> nvrtcDestroyProgram;
    private readonly delegate* unmanaged<int, byte*> nvrtcGetErrorString;

    /// <summary>Binds every function from the loaded NVRTC library.</summary>
    public NvrtcApi(LoadedLibrary library)
    {
        Library = library;
        IntPtr h = library.Handle;
        nvrtcVersion = (delegate* unmanaged<int*, int*, int>)CudaDriverApi.Export(h, "nvrtcVersion");
        nvrtcCreateProgram = (delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int>)CudaDriverApi.Export(h, "nvrtcCreateProgram");
        nvrtcCompileProgram = (delegate* unmanaged<IntPtr, int, byte**, int>)CudaDriverApi.Export(h, "nvrtcCompileProgram");
        nvrtcGetPTXSize = (delegate* unmanaged<IntPtr, nuint*, int>)CudaDriverApi.Export(h, "nvrtcGetPTXSize");
        nvrtcGetPTX = (delegate* unmanaged<IntPtr, byte*, int>)CudaDriverApi.Export(h, "nvrtcGetPTX");
        nvrtcGetCUBINSize = (delegate* unmanaged<IntPtr, nuint*, int>)CudaDriverApi.Export(h, "nvrtcGetCUBINSize");
        nvrtcGetCUBIN = (delegate* unmanaged<IntPtr, byte*, int>)CudaDriverApi.Export(h, "nvrtcGetCUBIN");
        nvrtcGetProgramLogSize = (delegate* unmanaged<IntPtr, nuint*, int>)CudaDriverApi.Export(h, "nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = (delegate* unmanaged<IntPtr, byte*, int>)CudaDriverApi.Export(h, "nvrtcGetProgramLog");
        nvrtcDestroyProgram = (delegate* unmanaged<IntPtr*, int>)CudaDriverApi.Export(h, "nvrtcDestroyProgram");
        nvrtcGetErrorString = (delegate* unmanaged<int, byte*>)CudaDriverApi.Export(h, "nvrtcGetErrorString");
    }

    /// <summary>What was loaded.</summary>
    public LoadedLibrary Library { get; }

    /// <summary>Throws <see cref="CudaException"/> when <paramref name="status"/> is not <c>NVRTC_SUCCESS</c>.</summary>
    public void Check(int status, string function, string? detail = null)
    {
        if (status != 0) throw new CudaException(function, status, ErrorName(status), detail);
    }

    /// <summary>NVRTC's name for a result, e.g. <c>NVRTC_ERROR_COMPILATION</c>.</summary>
    public string ErrorName(int status)
    {
        byte* text = nvrtcGetErrorString(status);
        return text != null ? Marshal.PtrToStringUTF8((IntPtr)text) ?? "?" : "nvrtcResult " + status;
    }

    /// <summary>NVRTC's version as (major, minor).</summary>
    public (int Major, int Minor) Version()
    {
        int major, minor;
        Check(nvrtcVersion(&major, &minor), "nvrtcVersion");
        return (major, minor);
    }
}
