namespace WeightPort.Formats.TorchSharp;

/// <summary>
/// Unsigned LEB128 as TorchSharp's <c>LEB128Codec</c> writes it (docs/formats.md §8.2): 7 payload bits per byte,
/// low group first, bit 7 set when more bytes follow; minimal encodings on write.
/// </summary>
internal static class Leb128
{
    /// <summary>Longest encoding read: 10 bytes hold 64 bits. TorchSharp itself has no cap.</summary>
    public const int MaxBytes = 10;

    /// <summary>Outcome of <see cref="TryRead"/>.</summary>
    public enum Status { Ok, Truncated, TooLong, Overflow }

    /// <summary>Decodes a value at <paramref name="position"/>, advancing it; refuses more than <see cref="MaxBytes"/> bytes and values above <see cref="long.MaxValue"/>.</summary>
    public static Status TryRead(ReadOnlySpan<byte> data, ref int position, out long value)
    {
        ulong result = 0;
        value = 0;
        for (int i = 0; i < MaxBytes; i++)
        {
            if (position + i >= data.Length) return Status.Truncated;
            byte b = data[position + i];
            ulong group = (ulong)(b & 0x7F);
            if (i == 9 && group > 0) return Status.Overflow; // bit 63 and above: beyond long
            result |= group << (7 * i);
            if ((b & 0x80) == 0)
            {
                position += i + 1;
                value = (long)result;
                return Status.Ok;
            }
        }
        return Status.TooLong;
    }

    /// <summary>Writes the minimal encoding of a non-negative value to <paramref name="destination"/>; returns the bytes used.</summary>
    public static int Write(long value, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ulong v = (ulong)value;
        int i = 0;
        while (v >= 0x80)
        {
            destination[i++] = (byte)(v | 0x80);
            v >>= 7;
        }
        destination[i++] = (byte)v;
        return i;
    }
}
