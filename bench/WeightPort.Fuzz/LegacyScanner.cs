using System.Buffers.Binary;

namespace WeightPort.Fuzz;

/// <summary>
/// A legacy checkpoint is five pickles then, per storage, an int64 element count and the raw bytes. The scanner walks
/// the pickles and then finds the storage chain (element sizes are not in the stream, so it searches 1/2/4/8/16-byte
/// sizes for the chain that ends exactly at the end of the file).
/// </summary>
public static class LegacyScanner
{
    private static readonly int[] ElementSizes = [4, 2, 8, 1, 16];

    /// <summary>Scans <paramref name="data"/>; returns the five pickles for the pickle seeds (empty when it is not a legacy file).</summary>
    public static List<(string Name, byte[] Bytes)> Scan(byte[] data, SeedLayout layout)
    {
        var pickles = new List<(string, byte[])>();
        int p = 0;
        for (int i = 0; i < 5; i++)
        {
            int end = PickleScanner.Scan(data, p, 0, layout);
            if (end < 0) return pickles;
            pickles.Add(($"pickle{i + 1}", data[p..end]));
            p = end;
        }
        var chain = new List<int>();
        if (Chain(data, p, chain, [])) chain.ForEach(c =>
        {
            layout.AddBoundary(c);
            layout.AddBoundary(c + 8);
            layout.AddField(c, 8, FieldEncoding.LittleEndian, "legacy.storage-count");
        });
        return pickles;
    }

    private static bool Chain(byte[] data, int p, List<int> chain, HashSet<int> dead)
    {
        if (p == data.Length) return true;
        if (p + 8 > data.Length || dead.Contains(p)) return false;
        long n = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(p));
        if (n < 0 || n > data.Length) return false;
        chain.Add(p);
        foreach (int es in ElementSizes)
        {
            long next = p + 8 + n * es;
            if (next <= data.Length && Chain(data, (int)next, chain, dead)) return true;
        }
        chain.RemoveAt(chain.Count - 1);
        dead.Add(p);
        return false;
    }
}
