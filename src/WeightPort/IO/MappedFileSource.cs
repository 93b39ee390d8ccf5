using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace WeightPort.IO;

/// <summary>
/// A read-only memory mapping of a whole file. Pages are touched only when a tensor's bytes are read, so indexing a
/// 222 MB checkpoint costs little memory.
/// </summary>
internal sealed unsafe class MappedFileSource : ByteSource
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private readonly long _length;
    private readonly SafeFileHandle _handle;

    private MappedFileSource(string path, SafeFileHandle handle, MemoryMappedFile? file, MemoryMappedViewAccessor? view, byte* pointer, long length)
    {
        Name = path;
        _handle = handle;
        _file = file;
        _view = view;
        _pointer = pointer;
        _length = length;
    }

    /// <summary>Maps <paramref name="path"/> read-only. An empty file yields an empty source (mapping it would fail).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static MappedFileSource Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length == 0) return new MappedFileSource(path, handle, null, null, null, 0);
            file = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            return new MappedFileSource(path, handle, file, view, p, length);
        }
        catch
        {
            view?.Dispose();
            file?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The base address of the mapping; valid until disposal. Null for an empty file.</summary>
    public byte* Pointer => _pointer;

    /// <summary>
    /// Keeps the mapping alive until <see cref="RemovePin"/>, even across <see cref="ByteSource.Dispose()"/>, and returns
    /// its start.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The source is already disposed.</exception>
    internal byte* AddPin()
    {
        ObjectDisposedException.ThrowIf(_pointer == null || _view is null, this);
        bool added = false;
        _view.SafeMemoryMappedViewHandle.DangerousAddRef(ref added);
        if (!added) throw new ObjectDisposedException(Name);
        return _pointer;
    }

    /// <summary>Ends one <see cref="AddPin"/>; the last one after disposal unmaps the file.</summary>
    internal void RemovePin() => _view!.SafeMemoryMappedViewHandle.DangerousRelease();

    /// <inheritdoc />
    public override ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        CheckRange(offset, length);
        ObjectDisposedException.ThrowIf(_pointer == null && _length != 0, this);
        return length == 0 ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    /// <inheritdoc />
    public override void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        for (int done = 0; done < destination.Length;)
        {
            int n = RandomAccess.Read(_handle, destination[done..], offset + done);
            if (n <= 0) throw new EndOfStreamException($"'{Name}' ended at {offset + done} while {destination.Length - done} more bytes were expected (did the file shrink?)");
            done += n;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_pointer != null && _view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointer = null;
        }
        if (disposing)
        {
            _view?.Dispose();
            _file?.Dispose();
            _handle.Dispose();
        }
    }
}
