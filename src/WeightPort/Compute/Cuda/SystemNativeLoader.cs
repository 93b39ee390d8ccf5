using System.Runtime.InteropServices;

namespace WeightPort.Compute.Cuda;

/// <summary><see cref="INativeLoader"/> over <see cref="NativeLibrary"/> (dlopen on Linux).</summary>
internal sealed class SystemNativeLoader : INativeLoader
{
    /// <summary>The single instance.</summary>
    public static SystemNativeLoader Instance { get; } = new();

    private SystemNativeLoader()
    {
    }

    /// <inheritdoc />
    public bool TryLoad(string nameOrPath, out IntPtr handle, out string? error)
    {
        try
        {
            // NativeLibrary.Load rather than TryLoad: its exception carries dlerror(), which tells a missing dependency
            // or a wrong architecture apart from a missing file.
            handle = NativeLibrary.Load(nameOrPath);
            error = null;
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            handle = IntPtr.Zero;
            error = e.Message;
            return false;
        }
    }
}
