using System.Buffers.Binary;
using System.Text.Json;

namespace WeightPort.Fuzz;

/// <summary>A safetensors file: the 8-byte header length, the JSON header's numbers (shapes, data_offsets) and the tensor data boundaries.</summary>
public static class SafetensorsScanner
{
    /// <summary>Scans <paramref name="data"/> into <paramref name="layout"/>.</summary>
    public static void Scan(byte[] data, SeedLayout layout)
    {
        if (data.Length < 8) return;
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if (n > (ulong)(data.Length - 8)) return;
        int headerEnd = 8 + (int)n;
        layout.SafetensorsHeader = true;
        layout.AddField(0, 8, FieldEncoding.LittleEndian, "safetensors.header-length");
        layout.AddBoundary(8);
        layout.AddBoundary(headerEnd);
        for (int i = 8; i < headerEnd; i++)
        {
            if (!char.IsAsciiDigit((char)data[i])) continue;
            int j = i;
            while (j < headerEnd && char.IsAsciiDigit((char)data[j])) j++;
            layout.AddField(i, j - i, FieldEncoding.Decimal, "safetensors.json-number");
            layout.AddBoundary(i);
            i = j;
        }
        try
        {
            using var doc = JsonDocument.Parse(data.AsMemory(8, (int)n));
            foreach (var tensor in doc.RootElement.EnumerateObject())
            {
                if (tensor.Value.ValueKind == JsonValueKind.Object && tensor.Value.TryGetProperty("data_offsets", out var offsets))
                {
                    foreach (var o in offsets.EnumerateArray())
                    {
                        if (o.TryGetInt32(out int v)) layout.AddBoundary(headerEnd + v);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // A seed with a broken header still gets its length and number fields.
        }
    }
}
