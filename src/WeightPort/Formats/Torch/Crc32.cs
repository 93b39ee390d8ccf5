using System.Buffers.Binary;

namespace WeightPort.Formats.Torch;

/// <summary>
/// CRC-32 of zip (IEEE 802.3, reflected polynomial 0xEDB88320), slicing-by-8. System.IO.Hashing is not referenced
/// and System.IO.Compression's CRC is internal, hence this one.
/// </summary>
internal static class Crc32
{
    private const uint Polynomial = 0xEDB88320u;
    private static readonly uint[] Table = BuildTable();

    /// <summary>Extends a running CRC (start with 0) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var t = Table;
        while (data.Length >= 8)
        {
            uint lo = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ c;
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            c = t[7 * 256 + (lo & 0xFF)] ^ t[6 * 256 + ((lo >> 8) & 0xFF)] ^ t[5 * 256 + ((lo >> 16) & 0xFF)] ^ t[4 * 256 + (lo >> 24)]
              ^ t[3 * 256 + (hi & 0xFF)] ^ t[2 * 256 + ((hi >> 8) & 0xFF)] ^ t[1 * 256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (byte b in data) c = t[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    /// <summary>CRC-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        for (int s = 1; s < 8; s++)
        {
            for (int i = 0; i < 256; i++)
            {
                uint prev = table[(s - 1) * 256 + i];
                table[s * 256 + i] = (prev >> 8) ^ table[prev & 0xFF];
            }
        }
        return table;
    }
}
