using System.Buffers.Binary;

namespace WeightPort.Fuzz;

/// <summary>
/// Walks a pickle stream opcode by opcode (protocols 0–5) without interpreting it: every opcode start is a record
/// boundary, and every length prefix (BINUNICODE, BINBYTES, FRAME …), memo index (BINPUT, LONG_BINGET …) and integer
/// argument (BININT*, which carry storage sizes and shapes) is a field to inflate.
/// </summary>
public static class PickleScanner
{
    /// <summary>
    /// Scans the pickle starting at <paramref name="start"/>; boundaries and fields are recorded at
    /// <paramref name="shift"/> + their offset in <paramref name="data"/>. Returns the offset after STOP, or -1 when the
    /// bytes are not a complete pickle.
    /// </summary>
    public static int Scan(ReadOnlySpan<byte> data, int start, int shift, SeedLayout? layout)
    {
        int p = start;
        while (p < data.Length)
        {
            int at = p;
            layout?.AddBoundary(shift + at);
            byte op = data[p++];
            switch (op)
            {
                case (byte)'.':
                    layout?.AddBoundary(shift + p);
                    layout?.PickleStops.Add(shift + at);
                    return p;
                // No argument.
                case (byte)'(' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'}' or (byte)'a' or (byte)'b'
                    or (byte)'d' or (byte)']' or (byte)'e' or (byte)'l' or (byte)'t' or (byte)')' or (byte)'s' or (byte)'u'
                    or (byte)'Q' or (byte)'R' or (byte)'o' or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x81 or 0x8f or 0x90
                    or 0x91 or 0x92 or 0x93 or 0x94 or 0x97 or 0x98:
                    break;
                case (byte)'K':
                    layout?.AddField(shift + p, 1, FieldEncoding.LittleEndian, "pickle.BININT1");
                    p += 1;
                    break;
                case (byte)'h' or (byte)'q':
                    layout?.AddField(shift + p, 1, FieldEncoding.LittleEndian, "pickle.memo1");
                    p += 1;
                    break;
                case 0x80 or 0x82:
                    p += 1;
                    break;
                case (byte)'M':
                    layout?.AddField(shift + p, 2, FieldEncoding.LittleEndian, "pickle.BININT2");
                    p += 2;
                    break;
                case 0x83:
                    p += 2;
                    break;
                case (byte)'J':
                    layout?.AddField(shift + p, 4, FieldEncoding.LittleEndian, "pickle.BININT");
                    p += 4;
                    break;
                case (byte)'j' or (byte)'r':
                    layout?.AddField(shift + p, 4, FieldEncoding.LittleEndian, "pickle.memo4");
                    p += 4;
                    break;
                case 0x84:
                    p += 4;
                    break;
                case (byte)'G':
                    p += 8;
                    break;
                case 0x95:
                    layout?.AddField(shift + p, 8, FieldEncoding.LittleEndian, "pickle.FRAME");
                    p += 8;
                    break;
                case (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'V' or (byte)'P' or (byte)'g' or (byte)'p':
                    if (op is (byte)'I' or (byte)'L' or (byte)'g' or (byte)'p')
                        AddDecimal(data, p, shift, layout, "pickle.text-int");
                    p = SkipLine(data, p);
                    break;
                case (byte)'c' or (byte)'i':
                    p = SkipLine(data, p);
                    if (p >= 0) p = SkipLine(data, p);
                    break;
                case (byte)'U' or (byte)'C' or 0x8c or 0x8a:
                    if (p + 1 > data.Length) return -1;
                    layout?.AddField(shift + p, 1, FieldEncoding.LittleEndian, "pickle.len1");
                    p += 1 + data[p];
                    break;
                case (byte)'T' or (byte)'B' or (byte)'X' or 0x8b:
                    {
                        if (p + 4 > data.Length) return -1;
                        layout?.AddField(shift + p, 4, FieldEncoding.LittleEndian, "pickle.len4");
                        long n = BinaryPrimitives.ReadUInt32LittleEndian(data[p..]);
                        if (n > data.Length - p - 4) return -1;
                        p += 4 + (int)n;
                        break;
                    }
                case 0x8d or 0x8e or 0x96:
                    {
                        if (p + 8 > data.Length) return -1;
                        layout?.AddField(shift + p, 8, FieldEncoding.LittleEndian, "pickle.len8");
                        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data[p..]);
                        if (n > (ulong)(data.Length - p - 8)) return -1;
                        p += 8 + (int)n;
                        break;
                    }
                default:
                    return -1;
            }
            if (p < 0 || p > data.Length) return -1;
        }
        return -1;
    }

    private static int SkipLine(ReadOnlySpan<byte> data, int p)
    {
        if (p < 0 || p > data.Length) return -1;
        int nl = data[p..].IndexOf((byte)'\n');
        return nl < 0 ? -1 : p + nl + 1;
    }

    private static void AddDecimal(ReadOnlySpan<byte> data, int p, int shift, SeedLayout? layout, string what)
    {
        int q = p;
        while (q < data.Length && (char.IsAsciiDigit((char)data[q]) || (q == p && data[q] == '-'))) q++;
        if (q > p) layout?.AddField(shift + p, q - p, FieldEncoding.Decimal, what);
    }
}
