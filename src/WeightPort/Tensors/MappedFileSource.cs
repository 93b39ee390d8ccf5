using System.IO.MemoryMappedFiles;

namespace WeightPort.Tensors;

/// <summary>
/// A read-only memory mapping of a whole file. Pages are touched only when a tensor's bytes are read, so indexing a
/// 222 MB checkpoint costs little memory.
/// </summary>
public sealed unsafe class MappedFileSource : ByteSource
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private readonly long _length;

    private MappedFileSource(string path, MemoryMappedFile? file, MemoryMappedViewAccessor? view, byte* pointer, long length)
    {
        Name = path;
        _file = file;
        _view = view;
        _pointer = pointer;
        _length = length;
    }

    /// <summary>Maps <paramref name="path"/> read-only. An empty file yields an empty source (mapping it would fail).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static MappedFileSource Open(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long length = stream.Length;
        if (length == 0) return new MappedFileSource(path, null, null, null, 0);
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            return new MappedFileSource(path, file, view, p, length);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override long Length => _length;

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The base address of the mapping; valid until disposal. Null for an empty file.</summary>
    public byte* Pointer => _pointer;

    /// <inheritdoc />
    public override ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        CheckRange(offset, length);
        ObjectDisposedException.ThrowIf(_pointer == null && _length != 0, this);
        return length == 0 ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(_pointer + offset, length);
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
        }
    }
}
