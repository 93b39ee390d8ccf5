using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace WeightPort.Fuzz;

/// <summary>
/// Finds a zip's records (local headers, data, central directory, ZIP64 records, end record) and every size, count and
/// offset field in them, tolerantly: it describes seeds that are valid zips and gives up quietly on anything else.
/// </summary>
public static class ZipScanner
{
    /// <summary>Scans <paramref name="data"/> into <paramref name="layout"/>; returns the .pkl members (inflated) for the pickle seeds.</summary>
    public static List<(string Name, byte[] Bytes)> Scan(byte[] data, SeedLayout layout)
    {
        var pickles = new List<(string, byte[])>();
        int eocd = FindEnd(data);
        if (eocd < 0) return pickles;
        layout.AddBoundary(eocd);
        layout.AddField(eocd + 8, 2, FieldEncoding.LittleEndian, "zip.eocd.count-disk");
        layout.AddField(eocd + 10, 2, FieldEncoding.LittleEndian, "zip.eocd.count");
        layout.AddField(eocd + 12, 4, FieldEncoding.LittleEndian, "zip.eocd.cd-size");
        layout.AddField(eocd + 16, 4, FieldEncoding.LittleEndian, "zip.eocd.cd-offset");
        layout.AddField(eocd + 20, 2, FieldEncoding.LittleEndian, "zip.eocd.comment-length");
        long count = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(eocd + 10));
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(eocd + 12));
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(eocd + 16));
        long cdEnd = eocd;
        int locator = eocd - 20;
        if (locator >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(locator)) == 0x07064b50)
        {
            layout.AddBoundary(locator);
            layout.AddField(locator + 8, 8, FieldEncoding.LittleEndian, "zip64.locator.offset");
            long z64 = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(locator + 8));
            if (z64 < 0 || z64 + 56 > data.Length) return pickles;
            layout.AddBoundary((int)z64);
            layout.AddField((int)z64 + 4, 8, FieldEncoding.LittleEndian, "zip64.end.size");
            layout.AddField((int)z64 + 24, 8, FieldEncoding.LittleEndian, "zip64.end.count-disk");
            layout.AddField((int)z64 + 32, 8, FieldEncoding.LittleEndian, "zip64.end.count");
            layout.AddField((int)z64 + 40, 8, FieldEncoding.LittleEndian, "zip64.end.cd-size");
            layout.AddField((int)z64 + 48, 8, FieldEncoding.LittleEndian, "zip64.end.cd-offset");
            count = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)z64 + 32));
            cdSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)z64 + 40));
            cdOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)z64 + 48));
            cdEnd = z64;
        }
        if (cdOffset < 0 || cdOffset > cdEnd || count > 100_000) return pickles;
        layout.ZipCentralStart = (int)cdOffset;
        layout.ZipCentralEnd = (int)cdEnd;
        layout.AddBoundary((int)cdOffset);

        int p = (int)cdOffset;
        var records = new List<ZipRecord>();
        for (long i = 0; i < count; i++)
        {
            if (p + 46 > cdEnd || BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p)) != 0x02014b50) return pickles;
            layout.AddBoundary(p);
            layout.AddField(p + 20, 4, FieldEncoding.LittleEndian, "zip.cd.csize");
            layout.AddField(p + 24, 4, FieldEncoding.LittleEndian, "zip.cd.usize");
            layout.AddField(p + 28, 2, FieldEncoding.LittleEndian, "zip.cd.name-length");
            layout.AddField(p + 30, 2, FieldEncoding.LittleEndian, "zip.cd.extra-length");
            layout.AddField(p + 42, 4, FieldEncoding.LittleEndian, "zip.cd.local-offset");
            int method = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(p + 10));
            long csize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p + 20));
            long usize = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p + 24));
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(p + 28));
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(p + 30));
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(p + 32));
            long lho = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(p + 42));
            int next = p + 46 + nameLen + extraLen + commentLen;
            if (next > cdEnd) return pickles;
            string name = Encoding.UTF8.GetString(data, p + 46, nameLen);
            int offsetField = p + 42, offsetWidth = 4;
            ScanExtra(data, p + 46 + nameLen, extraLen, layout, ref usize, ref csize, ref lho, ref offsetField, ref offsetWidth);
            records.Add(new ZipRecord((int)lho, p, next - p, offsetField, offsetWidth));

            if (lho < 0 || lho + 30 > cdOffset) return pickles;
            int l = (int)lho;
            layout.AddBoundary(l);
            layout.AddField(l + 18, 4, FieldEncoding.LittleEndian, "zip.local.csize");
            layout.AddField(l + 22, 4, FieldEncoding.LittleEndian, "zip.local.usize");
            layout.AddField(l + 26, 2, FieldEncoding.LittleEndian, "zip.local.name-length");
            layout.AddField(l + 28, 2, FieldEncoding.LittleEndian, "zip.local.extra-length");
            int localName = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(l + 26));
            int localExtra = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(l + 28));
            long dataStart = l + 30L + localName + localExtra;
            if (dataStart + csize > cdOffset) return pickles;
            layout.AddBoundary((int)dataStart);
            layout.AddBoundary((int)(dataStart + csize));
            if (name.EndsWith(".pkl", StringComparison.Ordinal))
            {
                byte[]? pickle = method == 0 ? data.AsSpan((int)dataStart, (int)csize).ToArray() : Inflate(data, (int)dataStart, (int)csize);
                if (pickle is not null) pickles.Add((name, pickle));
                if (method == 0) PickleScanner.Scan(data.AsSpan(0, (int)(dataStart + csize)), (int)dataStart, 0, layout);
            }
            p = next;
        }
        layout.ZipRecords.AddRange(records);
        return pickles;
    }

    private static void ScanExtra(byte[] data, int start, int length, SeedLayout layout, ref long usize, ref long csize, ref long lho,
        ref int offsetField, ref int offsetWidth)
    {
        int q = start, end = start + length;
        while (q + 4 <= end)
        {
            int id = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(q));
            int len = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(q + 2));
            layout.AddField(q + 2, 2, FieldEncoding.LittleEndian, "zip.extra.length");
            if (q + 4 + len > end) return;
            if (id == 1)
            {
                int k = q + 4;
                if (usize == 0xFFFFFFFF && k + 8 <= q + 4 + len) { layout.AddField(k, 8, FieldEncoding.LittleEndian, "zip64.extra.usize"); usize = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(k)); k += 8; }
                if (csize == 0xFFFFFFFF && k + 8 <= q + 4 + len) { layout.AddField(k, 8, FieldEncoding.LittleEndian, "zip64.extra.csize"); csize = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(k)); k += 8; }
                if (lho == 0xFFFFFFFF && k + 8 <= q + 4 + len)
                {
                    layout.AddField(k, 8, FieldEncoding.LittleEndian, "zip64.extra.local-offset");
                    lho = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(k));
                    offsetField = k;
                    offsetWidth = 8;
                }
            }
            q += 4 + len;
        }
    }

    private static byte[]? Inflate(byte[] data, int start, int length)
    {
        try
        {
            using var input = new MemoryStream(data, start, length, writable: false);
            using var deflate = new DeflateStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            deflate.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static int FindEnd(byte[] data)
    {
        for (int i = data.Length - 22; i >= Math.Max(0, data.Length - 22 - 0xFFFF); i--)
        {
            if (data[i] == 'P' && data[i + 1] == 'K' && data[i + 2] == 5 && data[i + 3] == 6) return i;
        }
        return -1;
    }
}
