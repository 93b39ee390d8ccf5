using System.Globalization;

namespace WeightPort.Cli.Rendering;

/// <summary>Number and shape formatting shared by the text renderers.</summary>
internal static class Format
{
    /// <summary>1,234,567.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A byte count with a readable unit: "177.3 MB (177,333,120 bytes)".</summary>
    public static string Bytes(long n) => n < 10_000 ? $"{Count(n)} bytes" : $"{Human(n)} ({Count(n)} bytes)";

    /// <summary>177.3 MB (decimal units, as file managers show).</summary>
    public static string Human(long n)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.Length - 1) { v /= 1000; u++; }
        return u == 0 ? $"{n} B" : v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>[2, 3, 4].</summary>
    public static string Shape(IReadOnlyList<long> dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>(12, 4, 1).</summary>
    public static string Stride(IReadOnlyList<long> dims) => "(" + string.Join(", ", dims) + (dims.Count == 1 ? ",)" : ")");

    /// <summary>A float with invariant culture and round-trip precision.</summary>
    public static string Float(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
