using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace WeightPort.Fuzz;

/// <summary>The byte-level and format-aware mutations; each is a pure function of its inputs and the random stream.</summary>
public static class Mutator
{
    /// <summary>Applies <paramref name="kind"/> to <paramref name="seed"/>; <paramref name="other"/> is the splice partner. Notes what it did in <paramref name="log"/>.</summary>
    public static byte[] Apply(MutationKind kind, Seed seed, Seed other, FuzzRandom rng, StringBuilder log)
    {
        byte[] b = seed.Bytes;
        var layout = seed.Layout;
        switch (kind)
        {
            case MutationKind.BitFlip:
                return BitFlip((byte[])b.Clone(), layout, rng, log);
            case MutationKind.InterestingBytes:
                return Interesting((byte[])b.Clone(), rng, log);
            case MutationKind.TruncateAtBoundary:
                {
                    int cut = rng.Pick(layout.Boundaries) + (rng.Chance(20) ? rng.Next(3) - 1 : 0);
                    cut = Math.Clamp(cut, 0, b.Length);
                    log.Append(CultureInfo.InvariantCulture, $" truncate@{cut}");
                    return b[..cut];
                }
            case MutationKind.TruncateRandom:
                return TruncateRandom(b, rng, log);
            case MutationKind.Splice:
                {
                    int x = rng.Chance(60) ? rng.Pick(layout.Boundaries) : rng.Next(b.Length + 1);
                    int y = rng.Chance(60) ? rng.Pick(other.Layout.Boundaries) : rng.Next(other.Bytes.Length + 1);
                    log.Append(CultureInfo.InvariantCulture, $" splice {x} + '{other.Name}'@{y}");
                    return [.. b.AsSpan(0, x), .. other.Bytes.AsSpan(y)];
                }
            case MutationKind.InflateField when layout.Fields.Count > 0:
                return Inflate(b, layout, rng.Pick(layout.Fields), rng, log);
            case MutationKind.ReorderZip when layout.ZipRecords.Count > 1:
                return ZipReorderer.Reorder(b, layout, rng, log);
            case MutationKind.Chunk:
                return Chunk(b, rng, log);
            case MutationKind.RemoveRecord when layout.Boundaries.Count > 2:
                {
                    int i = rng.Next(layout.Boundaries.Count - 1);
                    int from = layout.Boundaries[i], to = layout.Boundaries[i + 1];
                    log.Append(CultureInfo.InvariantCulture, $" remove [{from},{to})");
                    return [.. b.AsSpan(0, from), .. b.AsSpan(to)];
                }
            case MutationKind.PickleFragment when seed.Kind is SeedKind.Pickle or SeedKind.Legacy && layout.Boundaries.Count > 2:
                {
                    // Half the time attached to the root just before the object pickle's STOP, else popped at any boundary.
                    int objectPickle = seed.Kind == SeedKind.Legacy ? 3 : 0;
                    bool attach = layout.PickleStops.Count > objectPickle && rng.Chance(50);
                    int at = attach ? layout.PickleStops[objectPickle] : layout.Boundaries[1 + rng.Next(layout.Boundaries.Count - 2)];
                    log.Append(CultureInfo.InvariantCulture, $" {(attach ? "attached" : "popped")}@{at}");
                    return [.. b.AsSpan(0, at), .. PickleFragments.Make(rng, log), attach ? (byte)0x86 : (byte)'0', .. b.AsSpan(at)];
                }
            case MutationKind.None:
                return (byte[])b.Clone();
            default:
                return BitFlip((byte[])b.Clone(), layout, rng, log);
        }
    }

    /// <summary>A cheap structure-blind mutation stacked on top of the first one.</summary>
    public static byte[] Havoc(byte[] b, FuzzRandom rng, StringBuilder log) => rng.Next(4) switch
    {
        0 => BitFlip(b, null, rng, log),
        1 => Interesting(b, rng, log),
        2 => Chunk(b, rng, log),
        _ => TruncateRandom(b, rng, log),
    };

    private static byte[] BitFlip(byte[] b, SeedLayout? layout, FuzzRandom rng, StringBuilder log)
    {
        if (b.Length == 0) return b;
        int flips = 1 + rng.Next(8);
        log.Append(CultureInfo.InvariantCulture, $" flip×{flips}");
        for (int i = 0; i < flips; i++)
        {
            int at = layout is not null && rng.Chance(50)
                ? Math.Clamp(rng.Pick(layout.Boundaries) + rng.Next(32) - 8, 0, b.Length - 1)
                : rng.Next(b.Length);
            b[at] ^= (byte)(1 << rng.Next(8));
        }
        return b;
    }

    private static byte[] Interesting(byte[] b, FuzzRandom rng, StringBuilder log)
    {
        int width = 1 << rng.Next(4);
        if (b.Length < width) return b;
        int at = rng.Next(b.Length - width + 1);
        ulong v = rng.Next(6) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => ulong.MaxValue >> 1 >> (64 - 8 * width),
            3 => 1UL << (8 * width - 1),
            4 => (ulong)rng.Next(256),
            _ => rng.NextRaw(),
        };
        log.Append(CultureInfo.InvariantCulture, $" set{width}@{at}={v:x}");
        Span<byte> tmp = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(tmp, v);
        tmp[..width].CopyTo(b.AsSpan(at));
        return b;
    }

    private static byte[] TruncateRandom(byte[] b, FuzzRandom rng, StringBuilder log)
    {
        int cut = rng.Next(b.Length + 1);
        log.Append(CultureInfo.InvariantCulture, $" cut@{cut}");
        return b[..cut];
    }

    private static byte[] Chunk(byte[] b, FuzzRandom rng, StringBuilder log)
    {
        int at = rng.Next(b.Length + 1);
        int len = Math.Min(1 + rng.Next(rng.Chance(80) ? 16 : 512), b.Length - at);
        switch (rng.Next(3))
        {
            case 0:
                log.Append(CultureInfo.InvariantCulture, $" delete[{at},+{len})");
                return [.. b.AsSpan(0, at), .. b.AsSpan(at + len)];
            case 1:
                log.Append(CultureInfo.InvariantCulture, $" dup[{at},+{len})");
                return [.. b.AsSpan(0, at + len), .. b.AsSpan(at)];
            default:
                {
                    var junk = new byte[1 + rng.Next(32)];
                    for (int i = 0; i < junk.Length; i++) junk[i] = (byte)rng.Next(256);
                    log.Append(CultureInfo.InvariantCulture, $" insert{junk.Length}@{at}");
                    return [.. b.AsSpan(0, at), .. junk, .. b.AsSpan(at)];
                }
        }
    }

    private static byte[] Inflate(byte[] b, SeedLayout layout, SizeField f, FuzzRandom rng, StringBuilder log)
    {
        ulong old = Read(b, f);
        ulong max = f.Encoding switch
        {
            FieldEncoding.LittleEndian => f.Width == 8 ? ulong.MaxValue : (1UL << (8 * f.Width)) - 1,
            FieldEncoding.Octal => ulong.MaxValue,
            _ => ulong.MaxValue,
        };
        ulong v = rng.Next(12) switch
        {
            0 => max,
            1 => max >> 1,
            2 => (max >> 1) + 1,
            3 => old + 1,
            4 => old * 2 + 1,
            5 => old + 1 + (ulong)rng.Next(4096),
            6 => old - 1,
            7 => 0x7FFFFFFF,
            8 => 0xFFFFFFFF,
            9 => 0x100000000,
            10 => (ulong)b.Length + (ulong)rng.Next(64),
            _ => rng.NextRaw() >> rng.Next(64),
        };
        if (f.Encoding == FieldEncoding.LittleEndian) v &= max;
        log.Append(CultureInfo.InvariantCulture, $" inflate {f.What}@{f.Offset} {old}→{v}");
        switch (f.Encoding)
        {
            case FieldEncoding.LittleEndian:
                {
                    var copy = (byte[])b.Clone();
                    Span<byte> tmp = stackalloc byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(tmp, v);
                    tmp[..f.Width].CopyTo(copy.AsSpan(f.Offset));
                    return copy;
                }
            case FieldEncoding.Leb128:
                return Replace(b, f, Leb128(v, overlong: rng.Chance(15)));
            case FieldEncoding.Octal:
                {
                    var copy = (byte[])b.Clone();
                    byte[] text = Octal(v, f.Width);
                    text.CopyTo(copy.AsSpan(f.Offset));
                    if (f.What != "tar.checksum" && rng.Chance(75)) FixTarChecksum(copy, layout, f.Offset);
                    return copy;
                }
            default:
                {
                    byte[] digits = Encoding.ASCII.GetBytes(rng.Chance(10) ? "-" + v.ToString(CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture));
                    if (rng.Chance(5)) digits = Encoding.ASCII.GetBytes("1" + new string('0', 20 + rng.Next(300)));
                    var copy = Replace(b, f, digits);
                    if (layout.SafetensorsHeader && rng.Chance(75) && copy.Length >= 8)
                    {
                        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(copy);
                        BinaryPrimitives.WriteUInt64LittleEndian(copy, n + (ulong)(digits.Length - f.Width));
                    }
                    return copy;
                }
        }
    }

    private static ulong Read(byte[] b, SizeField f)
    {
        switch (f.Encoding)
        {
            case FieldEncoding.LittleEndian:
                {
                    Span<byte> tmp = stackalloc byte[8];
                    b.AsSpan(f.Offset, f.Width).CopyTo(tmp);
                    return BinaryPrimitives.ReadUInt64LittleEndian(tmp);
                }
            case FieldEncoding.Leb128:
                {
                    ulong v = 0;
                    for (int i = 0; i < f.Width && i < 10; i++) v |= (ulong)(b[f.Offset + i] & 0x7F) << (7 * i);
                    return v;
                }
            case FieldEncoding.Octal:
                {
                    string s = Encoding.ASCII.GetString(b, f.Offset, f.Width).Trim('\0', ' ');
                    try { return s.Length == 0 ? 0 : Convert.ToUInt64(s, 8); }
                    catch (FormatException) { return 0; }
                }
            default:
                return ulong.TryParse(Encoding.ASCII.GetString(b, f.Offset, f.Width), CultureInfo.InvariantCulture, out ulong d) ? d : 0;
        }
    }

    private static byte[] Replace(byte[] b, SizeField f, ReadOnlySpan<byte> with) =>
        [.. b.AsSpan(0, f.Offset), .. with, .. b.AsSpan(f.Offset + f.Width)];

    private static byte[] Leb128(ulong v, bool overlong)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(v & 0x7F);
            v >>= 7;
            bytes.Add(v != 0 || overlong ? (byte)(b | 0x80) : b);
        }
        while (v != 0);
        if (overlong)
        {
            while (bytes.Count < 11) bytes.Add(0x80);
            bytes.Add(0);
        }
        return [.. bytes];
    }

    private static byte[] Octal(ulong v, int width)
    {
        string s = Convert.ToString((long)(v & long.MaxValue), 8);
        var field = new byte[width];
        if (s.Length <= width - 1)
        {
            Encoding.ASCII.GetBytes(s.PadLeft(width - 1, '0')).CopyTo(field, 0);
            return field;
        }
        // GNU base-256: high bit set in the first byte, then big-endian.
        field[0] = 0x80;
        for (int i = width - 1, k = 0; i > 0 && k < 8; i--, k++) field[i] = (byte)(v >> (8 * k));
        return field;
    }

    private static void FixTarChecksum(byte[] b, SeedLayout layout, int fieldOffset)
    {
        int header = layout.TarHeaders.LastOrDefault(h => h <= fieldOffset, -1);
        if (header < 0 || header + 512 > b.Length) return;
        b.AsSpan(header + 148, 8).Fill((byte)' ');
        long sum = 0;
        foreach (byte x in b.AsSpan(header, 512)) sum += x;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(b, header + 148);
    }
}
