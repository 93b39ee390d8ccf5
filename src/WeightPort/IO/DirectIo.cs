using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace WeightPort.IO;

/// <summary>
/// Switches an open file between buffered and direct I/O (Linux <c>O_DIRECT</c>, set and cleared with <c>fcntl</c>).
/// </summary>
/// <remarks>
/// Direct writes go from the caller's memory to the device without a copy into the page cache. For a large output
/// that copy is most of the writing cost, and on virtual machines whose free memory the host reclaims it is also the
/// most variable one: each new page-cache page can fault on the host first. Direct I/O needs the memory address, the
/// file offset and the length to be multiples of the device's block size; callers keep to 4 KiB multiples and clear
/// the flag for anything else. Other platforms, and file systems that refuse the flag, stay buffered.
/// </remarks>
internal static partial class DirectIo
{
    /// <summary>The alignment that direct writes keep to: at least every Linux block device's logical block size.</summary>
    public const int Alignment = 4096;

    private const int FGetFl = 3;
    private const int FSetFl = 4;

    /// <summary>O_DIRECT differs by architecture; 0 where it is not known.</summary>
    private static readonly int ODirect = !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 or Architecture.X86 => 0x4000,
        Architecture.Arm64 or Architecture.Arm => 0x10000,
        _ => 0,
    };

    /// <summary>Whether this platform can try direct I/O at all.</summary>
    public static bool IsSupported => ODirect != 0;

    /// <summary>Turns direct I/O on or off for <paramref name="handle"/>; false if the platform or file system refuses.</summary>
    public static bool TrySet(SafeFileHandle handle, bool direct)
    {
        if (!IsSupported) return false;
        int flags = Fcntl(handle, FGetFl, 0);
        if (flags < 0) return false;
        int wanted = direct ? flags | ODirect : flags & ~ODirect;
        return wanted == flags || Fcntl(handle, FSetFl, wanted) == 0;
    }

    /// <summary>Whether <paramref name="handle"/> currently has direct I/O on.</summary>
    public static bool IsSet(SafeFileHandle handle)
    {
        if (!IsSupported) return false;
        int flags = Fcntl(handle, FGetFl, 0);
        return flags >= 0 && (flags & ODirect) != 0;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeFileHandle fd, int cmd, int arg);
}
