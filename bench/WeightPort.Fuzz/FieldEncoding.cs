namespace WeightPort.Fuzz;

/// <summary>How a length, size, count or index field is stored in a file, so the mutator can rewrite it in kind.</summary>
public enum FieldEncoding
{
    /// <summary>Unsigned little-endian integer of the field's width (1, 2, 4 or 8 bytes).</summary>
    LittleEndian,
    /// <summary>Unsigned LEB128 / 7-bit encoded int (TorchSharp counts, dims, key lengths).</summary>
    Leb128,
    /// <summary>ASCII octal digits, NUL or space padded (tar sizes).</summary>
    Octal,
    /// <summary>ASCII decimal digits (safetensors JSON numbers, pickle INT/LONG text).</summary>
    Decimal,
}
