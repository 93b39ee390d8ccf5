using System.Buffers.Binary;
using System.Text;
using WeightPort.IO;

namespace WeightPort.Formats.Torch.Writing;

/// <summary>
/// Writes a zip archive with the exact byte layout of PyTorch's <c>PyTorchStreamWriter</c> (miniz), docs/formats.md §4.4 and §7: every record STORED, its data 64-byte aligned by an <c>FB</c> extra field of <c>'Z'</c> padding, flags
/// 0x0808 with zero CRC and sizes in the local header and a 16-byte data descriptor after the data (an empty record has
/// flags 0x0800 and no descriptor, as miniz writes it), then the central directory, a ZIP64 end record, its locator and
/// the classic end record. Output is written forward only; the stream need not be seekable.
/// </summary>
internal sealed class TorchZipArchiveWriter
{
    private const int Alignment = 64;
    private const int LocalHeaderSize = 30;
    private const int CentralHeaderSize = 46;
    private const ushort FlagsWithDescriptor = 0x0808; // bit 3: data descriptor, bit 11: UTF-8 names
    private const ushort FlagsEmpty = 0x0800;
    private const long Zip32Limit = uint.MaxValue;

    private readonly Stream _output;
    private readonly List<(byte[] Name, ushort Flags, uint Crc, long Size, long Offset)> _entries = [];
    private long _position;
    private bool _finished;

    public TorchZipArchiveWriter(Stream output) => _output = output;

    /// <summary>Writes a record held in memory.</summary>
    public void WriteRecord(string name, ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        WriteRecord(name, copy.Length, sink => sink(copy));
    }

    /// <summary>Writes a record of <paramref name="size"/> bytes that <paramref name="produce"/> hands to its sink in chunks.</summary>
    /// <exception cref="InvalidOperationException">The producer wrote a different number of bytes than announced.</exception>
    /// <exception cref="NotSupportedException">The record or its offset needs ZIP64 fields (4 GiB and more).</exception>
    public void WriteRecord(string name, long size, Action<ByteChunkHandler> produce)
    {
        if (_finished) throw new InvalidOperationException("the archive is already finished");
        if (size >= Zip32Limit || _position >= Zip32Limit)
            throw new NotSupportedException($"record '{name}' of {size:N0} bytes at offset {_position:N0}: records or offsets of 4 GiB and more need ZIP64 local fields, which this writer does not produce");
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        long offset = _position;
        // As PyTorchStreamWriter's getPadding: data starts after the header, the name and the 4-byte FB field header.
        long start = offset + LocalHeaderSize + nameBytes.Length + 4;
        int padding = (int)((Alignment - start % Alignment) % Alignment);
        ushort flags = size == 0 ? FlagsEmpty : FlagsWithDescriptor;

        Span<byte> header = stackalloc byte[LocalHeaderSize];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], checked((ushort)nameBytes.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], checked((ushort)(padding + 4)));
        Write(header);
        Write(nameBytes);
        var extra = new byte[4 + padding];
        extra[0] = (byte)'F';
        extra[1] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), (ushort)padding);
        extra.AsSpan(4).Fill((byte)'Z');
        Write(extra);

        uint crc = 0;
        long written = 0;
        produce(chunk =>
        {
            crc = Crc32.Append(crc, chunk);
            written += chunk.Length;
            Write(chunk);
        });
        if (written != size)
            throw new InvalidOperationException($"record '{name}' announced {size:N0} bytes but {written:N0} were produced");

        if (size > 0)
        {
            Span<byte> descriptor = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor, 0x08074b50);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor[4..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor[8..], (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(descriptor[12..], (uint)size);
            Write(descriptor);
        }
        _entries.Add((nameBytes, flags, crc, size, offset));
    }

    /// <summary>Writes the central directory and the end records.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        long directoryOffset = _position;
        Span<byte> central = stackalloc byte[CentralHeaderSize];
        foreach (var e in _entries)
        {
            central.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(central, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(central[8..], e.Flags);
            BinaryPrimitives.WriteUInt32LittleEndian(central[16..], e.Crc);
            BinaryPrimitives.WriteUInt32LittleEndian(central[20..], (uint)e.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(central[24..], (uint)e.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(central[28..], (ushort)e.Name.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(central[42..], (uint)e.Offset);
            Write(central);
            Write(e.Name);
        }
        long directorySize = _position - directoryOffset;
        long zip64EndOffset = _position;

        Span<byte> zip64End = stackalloc byte[56];
        zip64End.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(zip64End, 0x06064b50);
        BinaryPrimitives.WriteUInt64LittleEndian(zip64End[4..], 44);
        BinaryPrimitives.WriteUInt16LittleEndian(zip64End[12..], 0x031e); // made by: Unix, spec 3.0, as miniz
        BinaryPrimitives.WriteUInt16LittleEndian(zip64End[14..], 45);     // needed: 4.5 (ZIP64)
        BinaryPrimitives.WriteUInt64LittleEndian(zip64End[24..], (ulong)_entries.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(zip64End[32..], (ulong)_entries.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(zip64End[40..], (ulong)directorySize);
        BinaryPrimitives.WriteUInt64LittleEndian(zip64End[48..], (ulong)directoryOffset);
        Write(zip64End);

        Span<byte> locator = stackalloc byte[20];
        locator.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
        BinaryPrimitives.WriteUInt64LittleEndian(locator[8..], (ulong)zip64EndOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(locator[16..], 1);
        Write(locator);

        Span<byte> end = stackalloc byte[22];
        end.Clear();
        ushort count16 = (ushort)Math.Min(_entries.Count, ushort.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], count16);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], count16);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)Math.Min(directorySize, Zip32Limit));
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)Math.Min(directoryOffset, Zip32Limit));
        Write(end);
        _output.Flush();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _position += bytes.Length;
    }
}
