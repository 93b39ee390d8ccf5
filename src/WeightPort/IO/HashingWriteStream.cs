using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace WeightPort.IO;

/// <summary>
/// A write-only stream that hashes what goes by and writes it behind the caller, so a manifest can record an output's
/// SHA-256 without reading the file back, and neither the hashing nor the writing holds up the code producing the bytes.
/// </summary>
/// <remarks>
/// Written bytes are staged in a <see cref="WriteBehindRing"/>: one consumer hashes the blocks in order, the other
/// stores them (to a stream, or to a file with <see cref="DirectBlockWriter"/>). As an <see cref="IBufferWriter{T}"/>
/// it hands out the staging block itself, so a producer that reads its bytes from a file reads them straight into the
/// block. A failed write or hash ends the stream: the next call on the producing side throws that failure. Dispose it
/// to release the blocks.
/// </remarks>
internal sealed class HashingWriteStream : Stream, IBufferWriter<byte>
{
    internal const int BlockBytes = 4 << 20;
    private const int BlockCount = 4;
    private const int Hasher = 0, Storer = 1;

    private readonly Stream? _stream;
    private readonly DirectBlockWriter? _file;
    private readonly DirectWritePolicy _policy = new();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly WriteBehindRing _ring;
    private string? _sha256;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>, which receives every byte unchanged and in order, from a background task.</summary>
    public HashingWriteStream(Stream inner)
    {
        _stream = inner ?? throw new ArgumentNullException(nameof(inner));
        _ring = new WriteBehindRing(BlockBytes, BlockCount, HashBlock, block => _stream.Write(block.Data));
    }

    /// <summary>
    /// Writes to <paramref name="file"/> from offset 0 with positional writes, using direct I/O for whole blocks when
    /// <paramref name="directIo"/> is true and the file allows it. The handle must stay open until
    /// <see cref="FinishSha256"/> returns.
    /// </summary>
    public HashingWriteStream(SafeFileHandle file, bool directIo)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = new DirectBlockWriter(file, directIo, _policy);
        _ring = new WriteBehindRing(BlockBytes, BlockCount, HashBlock, _file.Write);
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _ring.Submitted + _ring.Current.Length;

    /// <summary>How many bytes went to the file with direct I/O (0 for a stream, or where direct I/O was refused). Valid after <see cref="FinishSha256"/>.</summary>
    public long DirectBytes => _file?.DirectBytes ?? 0;

    /// <summary>
    /// Writes out everything, waits for it, and returns the SHA-256 of everything written, lower-case hex. Later writes
    /// are refused.
    /// </summary>
    /// <exception cref="IOException">Writing failed (the original exception is rethrown).</exception>
    public string FinishSha256()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sha256 is not null) return _sha256;
        _ring.Complete();
        _file?.End();
        _stream?.Flush();
        return _sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => _sha256 is null;

    /// <inheritdoc />
    public override long Length => BytesWritten;

    /// <inheritdoc />
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    /// <summary>
    /// Writes out everything written so far and waits for it. Unless that is a whole number of 4 KiB units, what follows
    /// goes through the page cache.
    /// </summary>
    public override void Flush()
    {
        if (_sha256 is not null) return;
        _ring.Submit();
        _ring.WaitFor(Storer);
        _stream?.Flush();
    }

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
        ThrowIfNotWritable();
        while (!buffer.IsEmpty)
        {
            var block = _ring.Current;
            int n = Math.Min(buffer.Length, BlockBytes - block.Length);
            buffer[..n].CopyTo(block.Free.Span);
            block.Length += n;
            buffer = buffer[n..];
            if (block.Length == BlockBytes) _ring.Submit();
        }
    }

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>
    /// The free part of the current staging block, at least one byte and at most one 4 MiB block: a <paramref name="sizeHint"/>
    /// above what is free is not honoured (write in pieces). Valid until the next call on this stream.
    /// </summary>
    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <inheritdoc cref="GetSpan"/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfNotWritable();
        if (_ring.Current.Length == BlockBytes) _ring.Submit();
        return _ring.Current.Free;
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var block = _ring.Current;
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, BlockBytes - block.Length);
        block.Length += count;
        if (block.Length == BlockBytes) _ring.Submit();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _ring.Dispose();
            _file?.End();
            _hash.Dispose();
            _disposed = true;
        }
        base.Dispose(disposing);
    }

    private void ThrowIfNotWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_sha256 is not null) throw new InvalidOperationException("the hash was already finished; nothing more can be written");
        _ring.ThrowIfFailed();
    }

    private void HashBlock(StagingBlock block)
    {
        long start = Stopwatch.GetTimestamp();
        _hash.AppendData(block.Data);
        _policy.HashedBlock(Stopwatch.GetTimestamp() - start);
    }
}
