using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace WeightPort.IO;

/// <summary>
/// Writes a file so that readers never see a partial one: bytes go to a temporary file in the same folder
/// (<c>.&lt;name&gt;.&lt;random&gt;.tmp</c>), which <see cref="Commit"/> flushes to disk and renames over the target.
/// Disposing without committing, or any failure while committing, deletes the temporary file.
/// </summary>
/// <remarks>
/// The temporary file lives beside the target because a rename is only atomic within one file system. The folder
/// itself is not fsync'ed after the rename (.NET has no API for it), so a power loss right after <see cref="Commit"/>
/// may still lose the new name on some file systems, but never leaves a torn file under it.
/// </remarks>
internal sealed class AtomicFileWriter : IDisposable
{
    private const string TempSuffix = ".tmp";
    private const int RandomBytes = 6; // 12 hex digits
    private const int BufferSize = 1 << 16;

    private readonly bool _overwrite;
    private FileStream? _stream;
    private bool _committed;

    private readonly bool _durable;

    private AtomicFileWriter(string targetPath, string tempPath, FileStream stream, bool overwrite, bool durable)
    {
        TargetPath = targetPath;
        TempPath = tempPath;
        _stream = stream;
        _overwrite = overwrite;
        _durable = durable;
    }

    /// <summary>The full path that <see cref="Commit"/> will create or replace.</summary>
    public string TargetPath { get; }

    /// <summary>The temporary file being written.</summary>
    public string TempPath { get; }

    /// <summary>The stream to write the content to. Not valid after <see cref="Commit"/> or disposal.</summary>
    /// <exception cref="ObjectDisposedException">The writer was committed or disposed.</exception>
    public Stream Stream => _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));

    /// <summary>The temporary file's handle, for positional writes (<see cref="HashingWriteStream"/>). Not valid after <see cref="Commit"/> or disposal.</summary>
    internal SafeFileHandle Handle => (_stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter))).SafeFileHandle;

    /// <summary>Starts writing <paramref name="path"/>.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="overwrite">Replace an existing file; when false an existing target is refused now and again at commit.</param>
    /// <param name="durable">
    /// fsync the data before the rename, so the new file survives a power loss, not only a killed process. The rename
    /// alone already guarantees that readers see the old file or the complete new one; the fsync costs about as much as
    /// writing the data (0.6 s for 177 MB on the development machine), so it is opt-in.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a folder.</exception>
    /// <exception cref="IOException">The target exists and <paramref name="overwrite"/> is false, or the temporary file cannot be created.</exception>
    public static AtomicFileWriter Create(string path, bool overwrite = false, bool durable = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        if (name.Length == 0) throw new ArgumentException($"'{path}' names a folder, not a file", nameof(path));
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder", nameof(path));
        if (Directory.Exists(full)) throw new IOException($"'{full}' is a folder");
        if (!overwrite && File.Exists(full)) throw new OutputExistsException(full, "overwrite");

        for (int attempt = 0; ; attempt++)
        {
            string temp = Path.Combine(folder, TempName(name, Environment.ProcessId, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(RandomBytes))));
            try
            {
                var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize);
                return new AtomicFileWriter(full, temp, stream, overwrite, durable);
            }
            catch (IOException) when (attempt < 3 && File.Exists(temp))
            {
                // A 48-bit random name collided; try another.
            }
        }
    }

    /// <summary>Writes <paramref name="path"/> atomically with <paramref name="write"/>; nothing is left behind if it throws.</summary>
    /// <exception cref="IOException">As <see cref="Create"/> and <see cref="Commit"/>.</exception>
    public static void Write(string path, bool overwrite, Action<Stream> write, bool durable = false)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var writer = Create(path, overwrite, durable);
        write(writer.Stream);
        writer.Commit();
    }

    /// <summary>Flushes the content (to disk when durable) and renames the temporary file over the target.</summary>
    /// <exception cref="IOException">The flush or rename failed, or the target appeared meanwhile and overwriting was not allowed. The temporary file is deleted.</exception>
    /// <exception cref="ObjectDisposedException">Already committed or disposed.</exception>
    public void Commit()
    {
        var stream = _stream ?? throw new ObjectDisposedException(nameof(AtomicFileWriter));
        try
        {
            stream.Flush(flushToDisk: _durable);
            if (OperatingSystem.IsWindows())
            {
                // Windows cannot rename a file this process holds open without FILE_SHARE_DELETE.
                stream.Dispose();
                _stream = null;
                File.Move(TempPath, TargetPath, _overwrite);
                _committed = true;
            }
            else
            {
                // Rename while the stream (and so its lock) is still open: CleanStaleTempFiles in another process
                // must never find this temporary file unlocked while it still has its temporary name.
                File.Move(TempPath, TargetPath, _overwrite);
                _committed = true;
                stream.Dispose();
                _stream = null;
            }
        }
        finally
        {
            if (!_committed)
            {
                _stream?.Dispose();
                _stream = null;
                TryDelete(TempPath);
            }
        }
    }

    /// <summary>Abandons an uncommitted write: closes and deletes the temporary file.</summary>
    public void Dispose()
    {
        if (_committed) return;
        _stream?.Dispose();
        _stream = null;
        TryDelete(TempPath);
    }

    /// <summary>
    /// Deletes temporary files that earlier, interrupted writes of <paramref name="path"/> left in its folder
    /// (names <c>.&lt;name&gt;.&lt;writer's process id&gt;.&lt;12 hex digits&gt;.tmp</c>, or without the process id
    /// from earlier versions; nothing else is touched). A temporary file of a live writer, in this process or another,
    /// is left alone: its writer's process still runs, and the writer keeps it open with <see cref="FileShare.None"/>,
    /// an exclusive <c>flock</c> on Unix and a sharing lock on Windows that the operating system releases when the
    /// process dies, even by SIGKILL. The process id covers the moment between the file's creation and its lock, when
    /// the lock alone cannot tell a new file from a leftover. (With .NET's file locking turned off,
    /// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>, only the process id tells them apart on Unix.)
    /// </summary>
    /// <param name="path">The target whose leftovers to remove.</param>
    /// <param name="olderThan">Also keep files last written more recently than this; null: no age limit.</param>
    /// <returns>How many files were deleted.</returns>
    public static int CleanStaleTempFiles(string path, TimeSpan? olderThan = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        string? folder = Path.GetDirectoryName(full);
        if (name.Length == 0 || folder is null || !Directory.Exists(folder)) return 0;
        DateTime cutoff = olderThan is { } age ? DateTime.UtcNow - age : DateTime.MaxValue;
        int deleted = 0;
        foreach (string candidate in Directory.EnumerateFiles(folder))
        {
            if (!IsTempNameOf(Path.GetFileName(candidate), name, out int? writer)) continue;
            if (writer is int pid && ProcessIsAlive(pid)) continue;
            if (File.GetLastWriteTimeUtc(candidate) > cutoff) continue;
            if (TryDeleteUnlocked(candidate)) deleted++;
        }
        return deleted;
    }

    internal static string TempName(string name, int processId, string token) =>
        "." + name + "." + processId.ToString(CultureInfo.InvariantCulture) + "." + token + TempSuffix;

    internal static bool IsTempNameOf(string fileName, string targetName) => IsTempNameOf(fileName, targetName, out _);

    /// <summary>Whether <paramref name="fileName"/> is a temporary file of <paramref name="targetName"/>, and its writer's process id when the name records one.</summary>
    internal static bool IsTempNameOf(string fileName, string targetName, out int? processId)
    {
        processId = null;
        string prefix = "." + targetName + ".";
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(TempSuffix, StringComparison.Ordinal)) return false;
        var middle = fileName.AsSpan(prefix.Length, fileName.Length - prefix.Length - TempSuffix.Length);
        int dot = middle.IndexOf('.');
        if (dot >= 0)
        {
            if (!int.TryParse(middle[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return false;
            processId = pid;
            middle = middle[(dot + 1)..];
        }
        if (middle.Length != RandomBytes * 2) return false;
        foreach (char c in middle)
        {
            if (!char.IsAsciiHexDigitLower(c)) return false;
        }
        return true;
    }

    private static bool ProcessIsAlive(int processId)
    {
        if (processId == Environment.ProcessId) return true;
        if (OperatingSystem.IsLinux()) return Directory.Exists("/proc/" + processId.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Deletes <paramref name="path"/> unless a live writer holds it open.</summary>
    private static bool TryDeleteUnlocked(string path)
    {
        // On Windows the writer's handle (no FILE_SHARE_DELETE) already makes the delete fail.
        if (OperatingSystem.IsWindows()) return TryDelete(path);
        try
        {
            // Taking the writer's exclusive lock without waiting fails while the writer lives; hold it while deleting.
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 1);
            return TryDelete(path);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
