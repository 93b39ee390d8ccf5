namespace WeightPort.IO;

/// <summary>
/// Bytes that tensors are read from: a memory-mapped file or a managed buffer (a decompressed zip entry, a test).
/// Readers keep references into a source rather than copying storages, so opening a large checkpoint is cheap.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    /// <summary>Total bytes available.</summary>
    public abstract long Length { get; }

    /// <summary>A short human name for error messages (usually the file path).</summary>
    public abstract string Name { get; }

    /// <summary>Returns <paramref name="length"/> bytes at <paramref name="offset"/>. Throws <see cref="ArgumentOutOfRangeException"/> outside the source.</summary>
    public abstract ReadOnlySpan<byte> GetSpan(long offset, int length);

    /// <summary>
    /// Copies <paramref name="destination"/>.Length bytes at <paramref name="offset"/> into <paramref name="destination"/>.
    /// Bulk copies go through here rather than <see cref="GetSpan"/> so that a file-backed source can read with
    /// <c>pread</c> and keep the copied pages out of the process's resident set.
    /// </summary>
    public virtual void Read(long offset, Span<byte> destination) => GetSpan(offset, destination.Length).CopyTo(destination);

    /// <summary>True when [offset, offset + length) lies inside the source, computed without overflow.</summary>
    public bool Contains(long offset, long length) => offset >= 0 && length >= 0 && offset <= Length && length <= Length - offset;

    /// <summary>Checks a range and throws a <see cref="ArgumentOutOfRangeException"/> naming it.</summary>
    protected void CheckRange(long offset, int length)
    {
        if (!Contains(offset, length))
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, {offset}+{length}) is outside '{Name}' of {Length} bytes");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the mapping or buffer.</summary>
    protected virtual void Dispose(bool disposing) { }
}
