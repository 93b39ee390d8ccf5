using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using WeightPort.IO;

namespace WeightPort.Formats.Torch;

/// <summary>
/// A zip archive's central directory (ZIP64 too), read from the end of a <see cref="ByteSource"/> and cross-checked
/// against every local header. Entries must cover the file from byte 0 up to the central directory, so a pickle with a
/// zip appended (a polyglot) is refused. Layout: PKWARE APPNOTE 6.3; torch's writer: docs/formats.md §4.4.
/// </summary>
internal sealed class ZipDirectory
{
    private const uint LocalHeaderSignature = 0x04034b50;
    private const uint CentralHeaderSignature = 0x02014b50;
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const int EndSize = 22;
    private const int Zip64LocatorSize = 20;
    private const int CentralHeaderSize = 46;
    private const int LocalHeaderSize = 30;
    private const int MaxEntries = 1 << 20;
    // Deflate cannot expand data by more than about 1032:1; a larger declared ratio is a bomb or a lie.
    private const long MaxDeflateRatio = 1100;

    private readonly Dictionary<string, ZipEntry> _byName;

    private ZipDirectory(ByteSource source, List<ZipEntry> entries)
    {
        Source = source;
        Entries = entries;
        // Names are unique unless a scan tolerated duplicates; then the first record of a name answers Find.
        _byName = new Dictionary<string, ZipEntry>(StringComparer.Ordinal);
        foreach (var e in entries) _byName.TryAdd(e.Name, e);
    }

    public ByteSource Source { get; }

    /// <summary>Entries in central directory order.</summary>
    public IReadOnlyList<ZipEntry> Entries { get; }

    public ZipEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Reads the central directory and every local header.</summary>
    /// <param name="source">The archive.</param>
    /// <param name="tolerate">
    /// For the scanner: receives what a reader refuses but a scan can read past (encryption flags on stored data,
    /// duplicate names, a local name that differs, gaps and overlaps, unsupported methods, whose records are left out)
    /// instead of it being thrown. Null: every such problem throws.
    /// </param>
    /// <exception cref="CheckpointFormatException">The archive is not readable (or not acceptable, without <paramref name="tolerate"/>).</exception>
    public static ZipDirectory Read(ByteSource source, Action<CheckpointFormatException>? tolerate = null)
    {
        void Refuse(CheckpointFormatException e)
        {
            if (tolerate is null) throw e;
            tolerate(e);
        }

        long length = source.Length;
        long eocd = FindEnd(source);
        var end = source.GetSpan(eocd, EndSize);
        int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(end[20..]);
        if (eocd + EndSize + commentLength != length)
            Refuse(Archive(CheckpointError.MalformedArchive, $"{length - eocd - EndSize - commentLength:N0} bytes follow the zip's end record (comment of {commentLength} bytes)", eocd));
        if (BinaryPrimitives.ReadUInt16LittleEndian(end[4..]) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(end[6..]) != 0)
            throw Archive(CheckpointError.MalformedArchive, "multi-disk zip archives are not supported", eocd);
        long count = BinaryPrimitives.ReadUInt16LittleEndian(end[10..]);
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(end[12..]);
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(end[16..]);
        long cdEnd = eocd;

        long locator = eocd - Zip64LocatorSize;
        if (locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(source.GetSpan(locator, 4)) == Zip64LocatorSignature)
        {
            var loc = source.GetSpan(locator, Zip64LocatorSize);
            long z64 = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(loc[8..]), "ZIP64 end record offset", locator);
            if (!source.Contains(z64, 56) || BinaryPrimitives.ReadUInt32LittleEndian(source.GetSpan(z64, 4)) != Zip64EndSignature)
                throw Archive(CheckpointError.MalformedArchive, $"ZIP64 locator points at {z64:N0}, where there is no ZIP64 end record", locator);
            var rec = source.GetSpan(z64, 56);
            long recSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(rec[4..]);
            if (recSize < 44 || z64 + 12 + recSize != locator)
                throw Archive(CheckpointError.MalformedArchive, $"ZIP64 end record of {recSize:N0} bytes does not end at the locator", z64);
            count = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(rec[32..]), "entry count", z64);
            cdSize = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(rec[40..]), "central directory size", z64);
            cdOffset = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(rec[48..]), "central directory offset", z64);
            cdEnd = z64;
        }
        else if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF)
        {
            throw Archive(CheckpointError.Truncated, "the zip end record asks for ZIP64 values but there is no ZIP64 locator", eocd);
        }

        if (count > MaxEntries) throw Archive(CheckpointError.LimitExceeded, $"zip declares {count:N0} entries (limit {MaxEntries:N0})", eocd);
        if (cdOffset + cdSize != cdEnd)
            throw Archive(CheckpointError.MalformedArchive, $"central directory at {cdOffset:N0} of {cdSize:N0} bytes does not end where the end record starts ({cdEnd:N0})", eocd);

        var entries = new List<ZipEntry>((int)Math.Min(count, 1024));
        var names = new HashSet<string>(StringComparer.Ordinal);
        long p = cdOffset;
        for (long i = 0; i < count; i++)
        {
            if (!source.Contains(p, CentralHeaderSize) || p + CentralHeaderSize > cdEnd)
                throw Archive(CheckpointError.MalformedArchive, $"central directory entry {i} at {p:N0} runs past the directory", p);
            var h = source.GetSpan(p, CentralHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != CentralHeaderSignature)
                throw Archive(CheckpointError.MalformedArchive, $"central directory entry {i} has a bad signature", p);
            int flags = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
            int method = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
            long csize = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
            long usize = BinaryPrimitives.ReadUInt32LittleEndian(h[24..]);
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[30..]);
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(h[32..]);
            long lho = BinaryPrimitives.ReadUInt32LittleEndian(h[42..]);
            long next = p + CentralHeaderSize + nameLen + extraLen + commentLen;
            if (next > cdEnd) throw Archive(CheckpointError.MalformedArchive, $"central directory entry {i} runs past the directory", p);
            string name = DecodeName(source.GetSpan(p + CentralHeaderSize, nameLen), flags, p);
            var extra = source.GetSpan(p + CentralHeaderSize + nameLen, extraLen);
            ApplyZip64Extra(extra, ref usize, ref csize, ref lho, name, p);

            // A scan reads a flagged record's stored bytes as they are: a payload behind a flag bit stays visible.
            if ((flags & 0x41) != 0) Refuse(Archive(CheckpointError.MalformedArchive, $"zip entry '{name}' is encrypted", p));
            if (method is not (ZipEntry.Stored or ZipEntry.Deflate))
            {
                Refuse(Archive(CheckpointError.MalformedArchive, $"zip entry '{name}' uses compression method {method} (only STORED and DEFLATE are read)", p));
                p = next;
                continue;
            }
            if (name.Length == 0 || name.StartsWith('/') || name.Contains('\\') || name.Split('/').Contains(".."))
                Refuse(Archive(CheckpointError.MalformedArchive, $"zip entry name '{name}' is empty, absolute or climbs out of the archive", p));
            if (!names.Add(name)) Refuse(Archive(CheckpointError.MalformedArchive, $"zip entry '{name}' appears twice", p));
            if (method == ZipEntry.Stored && csize != usize)
            {
                Refuse(Archive(CheckpointError.MalformedArchive, $"STORED zip entry '{name}' has compressed size {csize:N0} but size {usize:N0}", p));
                usize = csize; // a scan reads the bytes that are there
            }

            long dataOffset = ReadLocalHeader(source, lho, name, method, cdOffset, Refuse);
            if (dataOffset + csize > cdOffset)
                throw Archive(CheckpointError.Truncated, $"zip entry '{name}' of {csize:N0} bytes at {dataOffset:N0} runs into the central directory at {cdOffset:N0}", lho);
            entries.Add(new ZipEntry(name, method, crc, csize, usize, lho, dataOffset));
            p = next;
        }
        if (p != cdEnd) throw Archive(CheckpointError.MalformedArchive, $"central directory holds {cdEnd - p:N0} bytes after its last entry", p);

        CheckCoverage(source, entries, cdOffset, Refuse);
        return new ZipDirectory(source, entries);
    }

    /// <summary>
    /// The entries must tile the file from byte 0 to the central directory: only a data descriptor may sit between one
    /// entry's data and the next header. Anything else is hidden content (a polyglot) or overlapping entries (a bomb).
    /// </summary>
    private static void CheckCoverage(ByteSource source, List<ZipEntry> entries, long cdOffset, Action<CheckpointFormatException> refuse)
    {
        long cursor = 0;
        foreach (var e in entries.OrderBy(e => e.LocalHeaderOffset))
        {
            CheckGap(source, cursor, e.LocalHeaderOffset, e.Name, refuse);
            cursor = e.DataOffset + e.CompressedSize;
        }
        CheckGap(source, cursor, cdOffset, "the central directory", refuse);
    }

    private static void CheckGap(ByteSource source, long from, long to, string before, Action<CheckpointFormatException> refuse)
    {
        long gap = to - from;
        if (gap == 0) return;
        if (gap < 0)
        {
            refuse(Archive(CheckpointError.MalformedArchive, $"zip data overlaps '{before}' by {-gap:N0} bytes (overlapping entries)", to));
            return;
        }
        // Data descriptors: CRC + sizes (12 or 20 bytes), optionally after the PK\x07\x08 signature (16 or 24).
        bool signed = gap >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(source.GetSpan(from, 4)) == 0x08074b50;
        if (gap is 16 or 24 ? signed : gap is 12 or 20 && !signed) return;
        refuse(from == 0
            ? Archive(CheckpointError.MalformedArchive, $"{gap:N0} bytes precede the first zip entry (a polyglot?)", 0)
            : Archive(CheckpointError.MalformedArchive, $"{gap:N0} unexplained bytes lie between zip records before {before} (hidden content?)", from));
    }

    /// <summary>The bytes of a STORED entry in place, or of a DEFLATE entry inflated into memory (hard-capped at its declared size).</summary>
    public ByteSource Open(ZipEntry entry, out long offset)
    {
        if (entry.Method == ZipEntry.Stored)
        {
            offset = entry.DataOffset;
            return Source;
        }
        offset = 0;
        return new MemoryByteSource(Inflate(entry), entry.Name);
    }

    /// <summary>The whole entry as a span (for small records: data.pkl, version, byteorder).</summary>
    public ReadOnlySpan<byte> ReadSmall(ZipEntry entry)
    {
        if (entry.Size > int.MaxValue)
            throw Archive(CheckpointError.LimitExceeded, $"zip entry '{entry.Name}' of {entry.Size:N0} bytes is over 2 GiB", entry.LocalHeaderOffset);
        return entry.Method == ZipEntry.Stored ? Source.GetSpan(entry.DataOffset, (int)entry.Size) : Inflate(entry);
    }

    private byte[] Inflate(ZipEntry entry)
    {
        if (entry.Size > int.MaxValue)
            throw Archive(CheckpointError.LimitExceeded, $"compressed zip entry '{entry.Name}' inflates to {entry.Size:N0} bytes (over 2 GiB)", entry.LocalHeaderOffset);
        if (entry.Size > checked(entry.CompressedSize * MaxDeflateRatio + 1024))
            throw Archive(CheckpointError.LimitExceeded, $"compressed zip entry '{entry.Name}' declares {entry.Size:N0} bytes from {entry.CompressedSize:N0} (a ratio deflate cannot reach: zip bomb?)", entry.LocalHeaderOffset);
        var buffer = new byte[entry.Size];
        int filled = 0;
        try
        {
            using var deflate = new DeflateStream(new ByteSourceStream(Source, entry.DataOffset, entry.CompressedSize), CompressionMode.Decompress);
            while (filled < buffer.Length)
            {
                int n = deflate.Read(buffer, filled, buffer.Length - filled);
                if (n == 0) break;
                filled += n;
            }
            Span<byte> probe = stackalloc byte[1];
            if (filled == buffer.Length && deflate.Read(probe) != 0)
                throw Archive(CheckpointError.MalformedArchive, $"compressed zip entry '{entry.Name}' inflates to more than its declared {entry.Size:N0} bytes", entry.LocalHeaderOffset);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, $"compressed zip entry '{entry.Name}' is corrupt: {e.Message}", offset: entry.DataOffset, inner: e);
        }
        if (filled != buffer.Length)
            throw Archive(CheckpointError.Truncated, $"compressed zip entry '{entry.Name}' inflates to {filled:N0} bytes, {entry.Size:N0} declared", entry.LocalHeaderOffset);
        if (entry.Crc32 != 0 && Crc32.Compute(buffer) != entry.Crc32)
            throw Archive(CheckpointError.MalformedArchive, $"compressed zip entry '{entry.Name}' fails its CRC-32 check", entry.LocalHeaderOffset);
        return buffer;
    }

    private static long FindEnd(ByteSource source)
    {
        long length = source.Length;
        if (length < EndSize) throw Archive(CheckpointError.Truncated, $"the zip is {length} bytes, too short for its end record (file truncated?)", 0);
        long lowest = Math.Max(0, length - EndSize - 0xFFFF);
        int window = (int)(length - lowest);
        var span = source.GetSpan(lowest, window);
        for (int i = window - EndSize; i >= 0; i--)
        {
            if (span[i] == 'P' && span[i + 1] == 'K' && span[i + 2] == 5 && span[i + 3] == 6) return lowest + i;
        }
        throw Archive(CheckpointError.Truncated, "the zip has no end-of-central-directory record (file truncated?)", length);
    }

    private static long ReadLocalHeader(ByteSource source, long lho, string name, int method, long limit, Action<CheckpointFormatException> refuse)
    {
        if (!source.Contains(lho, LocalHeaderSize) || lho + LocalHeaderSize > limit)
            throw Archive(CheckpointError.MalformedArchive, $"local header of '{name}' at {lho:N0} is outside the entries' region", lho);
        var h = source.GetSpan(lho, LocalHeaderSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(h) != LocalHeaderSignature)
            throw Archive(CheckpointError.MalformedArchive, $"local header of '{name}' at {lho:N0} has a bad signature", lho);
        int localMethod = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(h[26..]);
        int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(h[28..]);
        if (localMethod != method)
            refuse(Archive(CheckpointError.MalformedArchive, $"local header of '{name}' says method {localMethod}, the central directory {method}", lho));
        if (!source.Contains(lho + LocalHeaderSize, nameLen + extraLen))
            throw Archive(CheckpointError.Truncated, $"local header of '{name}' runs past the end of the file", lho);
        var localName = source.GetSpan(lho + LocalHeaderSize, nameLen);
        if (!localName.SequenceEqual(Encoding.UTF8.GetBytes(name)) && !localName.SequenceEqual(Encoding.Latin1.GetBytes(name)))
            refuse(Archive(CheckpointError.MalformedArchive, $"local header at {lho:N0} names '{Encoding.UTF8.GetString(localName)}', the central directory '{name}'", lho));
        return lho + LocalHeaderSize + nameLen + extraLen;
    }

    private static void ApplyZip64Extra(ReadOnlySpan<byte> extra, ref long usize, ref long csize, ref long lho, string name, long at)
    {
        while (extra.Length >= 4)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(extra);
            int len = BinaryPrimitives.ReadUInt16LittleEndian(extra[2..]);
            if (len > extra.Length - 4) throw Archive(CheckpointError.MalformedArchive, $"extra field of '{name}' runs past its end", at);
            if (id == 0x0001)
            {
                var z = extra.Slice(4, len);
                int k = 0;
                if (usize == 0xFFFFFFFF) { usize = Field(z, ref k, name, at); }
                if (csize == 0xFFFFFFFF) { csize = Field(z, ref k, name, at); }
                if (lho == 0xFFFFFFFF) { lho = Field(z, ref k, name, at); }
            }
            extra = extra[(4 + len)..];
        }
    }

    private static long Field(ReadOnlySpan<byte> z, ref int k, string name, long at)
    {
        if (k + 8 > z.Length) throw Archive(CheckpointError.MalformedArchive, $"ZIP64 extra field of '{name}' is too short", at);
        long v = ToLong(BinaryPrimitives.ReadUInt64LittleEndian(z[k..]), "ZIP64 field", at);
        k += 8;
        return v;
    }

    private static long ToLong(ulong v, string what, long at) =>
        v <= long.MaxValue ? (long)v : throw Archive(CheckpointError.MalformedArchive, $"{what} {v:N0} is out of range", at);

    private static string DecodeName(ReadOnlySpan<byte> raw, int flags, long at)
    {
        try
        {
            return (flags & 0x800) != 0 || raw.IndexOfAnyInRange((byte)0x80, (byte)0xFF) < 0
                ? new UTF8Encoding(false, true).GetString(raw)
                : Encoding.Latin1.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            throw Archive(CheckpointError.MalformedArchive, "zip entry name is not valid UTF-8", at);
        }
    }

    private static CheckpointFormatException Archive(CheckpointError error, string reason, long offset) =>
        new(error, reason, offset: offset);
}
