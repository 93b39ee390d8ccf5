using WeightPort.Tensors;

namespace WeightPort.Fuzz;

/// <summary>
/// A TorchSharp file: LEB128 count, then per entry a 7-bit key length, the key, LEB128 dtype, rank and dims, then the
/// data; or one bare tensor record. Every LEB128 field is an inflation target and every field start a boundary.
/// </summary>
public static class TorchSharpScanner
{
    /// <summary>Scans <paramref name="data"/> into <paramref name="layout"/>, as a state dict or else as a single tensor.</summary>
    public static void Scan(byte[] data, SeedLayout layout)
    {
        var fields = new SeedLayout();
        if (TryStateDict(data, fields) || TrySingle(data, fields = new SeedLayout()))
        {
            foreach (var f in fields.Fields) layout.AddField(f.Offset, f.Width, f.Encoding, f.What);
            fields.Seal(data.Length);
            foreach (int b in fields.Boundaries) layout.AddBoundary(b);
        }
    }

    private static bool TryStateDict(byte[] data, SeedLayout layout)
    {
        int p = 0;
        if (!Leb(data, ref p, layout, "torchsharp.count", out long count) || count > data.Length) return false;
        for (long i = 0; i < count; i++)
        {
            if (!Leb(data, ref p, layout, "torchsharp.key-length", out long keyLength) || keyLength > data.Length - p) return false;
            p += (int)keyLength;
            if (!Tensor(data, ref p, layout)) return false;
        }
        return p == data.Length;
    }

    private static bool TrySingle(byte[] data, SeedLayout layout)
    {
        int p = 0;
        return Tensor(data, ref p, layout) && p == data.Length;
    }

    private static bool Tensor(byte[] data, ref int p, SeedLayout layout)
    {
        if (!Leb(data, ref p, layout, "torchsharp.dtype", out long code) || !DTypes.TryFromTorchSharpCode(code, out var dtype)) return false;
        if (!Leb(data, ref p, layout, "torchsharp.rank", out long rank) || rank > 64) return false;
        long numel = 1;
        for (long d = 0; d < rank; d++)
        {
            if (!Leb(data, ref p, layout, "torchsharp.dim", out long dim) || dim > data.Length) return false;
            numel *= dim;
            if (numel > data.Length) return false;
        }
        long bytes = numel * dtype.ElementSize();
        if (bytes > data.Length - p) return false;
        p += (int)bytes;
        layout.AddBoundary(p);
        return true;
    }

    private static bool Leb(byte[] data, ref int p, SeedLayout layout, string what, out long value)
    {
        value = 0;
        int start = p;
        layout.AddBoundary(start);
        for (int shift = 0; shift < 63; shift += 7)
        {
            if (p >= data.Length) return false;
            byte b = data[p++];
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                layout.AddField(start, p - start, FieldEncoding.Leb128, what);
                return true;
            }
        }
        return false;
    }
}
