using System.Security.Cryptography;

namespace WeightPort.IO;

/// <summary>
/// A write-only pass-through that hashes what goes by, so a manifest can record an output's SHA-256 without reading
/// the file back.
/// </summary>
public sealed class HashingWriteStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _written;

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _written;

    /// <summary>The SHA-256 of everything written, lower-case hex. Call once, after the last write.</summary>
    public string FinishSha256() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <inheritdoc />
    public override bool CanRead => false;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => true;
    /// <inheritdoc />
    public override long Length => _written;
    /// <inheritdoc />
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    /// <inheritdoc />
    public override void Flush() => inner.Flush();
    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        inner.Write(buffer);
        _written += buffer.Length;
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
