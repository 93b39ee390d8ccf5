using System.Runtime.InteropServices;

namespace WeightPort.IO;

/// <summary>Page-level memory hints (Linux <c>madvise</c>); elsewhere every call is a no-op.</summary>
internal static unsafe partial class NativePages
{
    private const nuint HugePage = 2 << 20;
    private const nuint SmallPage = 4096;
    private const int MadvDontNeed = 4;
    private const int MadvHugePage = 14;

    /// <summary>
    /// Native memory aligned to 2 MiB that asks for transparent huge pages: a fresh 4 KiB page costs a fault on first
    /// touch, so 88 MB of converted weights would take 21,000 faults instead of about 45. Free with <see cref="Free"/>.
    /// </summary>
    public static byte* AllocateHuge(long bytes)
    {
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), HugePage);
        if (OperatingSystem.IsLinux()) _ = Madvise(p, (nuint)Math.Max(bytes, 1), MadvHugePage); // a hint; ignored where unsupported
        return p;
    }

    /// <summary>Frees memory from <see cref="AllocateHuge"/>.</summary>
    public static void Free(byte* p) => NativeMemory.AlignedFree(p);

    /// <summary>
    /// Drops this process's mapping of the whole pages inside [<paramref name="start"/>, +<paramref name="bytes"/>) of
    /// a read-only file mapping: they leave the resident set and come back from the page cache if read again. Never
    /// call it on anonymous or written memory, whose contents it would discard.
    /// </summary>
    public static void DropFilePages(byte* start, long bytes)
    {
        if (!OperatingSystem.IsLinux()) return;
        nuint first = ((nuint)start + SmallPage - 1) & ~(SmallPage - 1);
        nuint end = ((nuint)start + (nuint)bytes) & ~(SmallPage - 1);
        if (end > first) _ = Madvise((void*)first, end - first, MadvDontNeed);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
