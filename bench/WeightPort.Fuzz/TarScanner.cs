using System.Text;

namespace WeightPort.Fuzz;

/// <summary>Walks a ustar archive's 512-byte headers: boundaries at each header and member end, the octal size and checksum fields, and the pickles at the start of members.</summary>
public static class TarScanner
{
    /// <summary>Scans <paramref name="data"/>; returns the members that start with a complete pickle.</summary>
    public static List<(string Name, byte[] Bytes)> Scan(byte[] data, SeedLayout layout)
    {
        var pickles = new List<(string, byte[])>();
        int p = 0;
        while (p + 512 <= data.Length && data.AsSpan(p, 512).ContainsAnyExcept((byte)0))
        {
            layout.AddBoundary(p);
            layout.AddBoundary(p + 512);
            layout.AddField(p + 124, 12, FieldEncoding.Octal, "tar.size");
            layout.AddField(p + 148, 8, FieldEncoding.Octal, "tar.checksum");
            layout.TarHeaders.Add(p);
            string name = Encoding.ASCII.GetString(data, p, 100).TrimEnd('\0');
            string octal = Encoding.ASCII.GetString(data, p + 124, 12).Trim('\0', ' ');
            long size;
            try { size = octal.Length == 0 ? 0 : Convert.ToInt64(octal, 8); }
            catch (FormatException) { return pickles; }
            int start = p + 512;
            if (size < 0 || start + size > data.Length) return pickles;
            layout.AddBoundary((int)(start + size));
            var member = data.AsSpan(0, (int)(start + size));
            int end = PickleScanner.Scan(member, start, 0, layout);
            if (end > 0) pickles.Add((name, data[start..end]));
            p = start + (int)((size + 511) / 512 * 512);
        }
        layout.AddBoundary(p);
        return pickles;
    }
}
