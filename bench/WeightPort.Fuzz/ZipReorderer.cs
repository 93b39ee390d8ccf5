using System.Buffers.Binary;
using System.Text;

namespace WeightPort.Fuzz;

/// <summary>
/// Rewrites a zip with its entries in another order and every local-header offset fixed, so the reader sees a
/// structurally valid archive whose record order (local, central or both) differs from what torch writes.
/// </summary>
public static class ZipReorderer
{
    /// <summary>Returns a reordered copy of the zip <paramref name="b"/>.</summary>
    public static byte[] Reorder(byte[] b, SeedLayout layout, FuzzRandom rng, StringBuilder log)
    {
        var records = layout.ZipRecords;
        int n = records.Count;
        // Local blocks in file order: each runs to the next local header (data descriptors and padding included).
        var byLocal = records.OrderBy(r => r.LocalOffset).ToList();
        var blockEnd = new Dictionary<ZipRecord, int>();
        for (int i = 0; i < n; i++) blockEnd[byLocal[i]] = i + 1 < n ? byLocal[i + 1].LocalOffset : layout.ZipCentralStart;
        if (byLocal[0].LocalOffset != 0) return (byte[])b.Clone();

        int mode = rng.Next(3); // 0: local records only, 1: central entries only, 2: both in the same new order
        var localOrder = mode == 1 ? byLocal : Shuffle(byLocal, rng);
        var centralOrder = mode switch { 0 => records.ToList(), 1 => Shuffle(records, rng), _ => localOrder };
        log.Append(" reorder-zip ").Append(mode switch { 0 => "local", 1 => "central", _ => "both" });

        var output = new byte[b.Length];
        var newLocal = new Dictionary<ZipRecord, int>();
        int w = 0;
        foreach (var r in localOrder)
        {
            int len = blockEnd[r] - r.LocalOffset;
            newLocal[r] = w;
            b.AsSpan(r.LocalOffset, len).CopyTo(output.AsSpan(w));
            w += len;
        }
        int cd = w;
        foreach (var r in centralOrder)
        {
            b.AsSpan(r.CentralOffset, r.CentralLength).CopyTo(output.AsSpan(w));
            int field = w + (r.OffsetField - r.CentralOffset);
            if (r.OffsetFieldWidth == 8) BinaryPrimitives.WriteUInt64LittleEndian(output.AsSpan(field), (ulong)newLocal[r]);
            else BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(field), (uint)newLocal[r]);
            w += r.CentralLength;
        }
        // Whatever follows the entries (ZIP64 records, end record) is unchanged: the directory's offset and size are too.
        b.AsSpan(w).CopyTo(output.AsSpan(w));
        return cd == layout.ZipCentralStart ? output : (byte[])b.Clone();
    }

    private static List<T> Shuffle<T>(IReadOnlyList<T> items, FuzzRandom rng)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
