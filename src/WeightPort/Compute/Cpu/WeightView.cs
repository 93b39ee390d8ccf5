namespace WeightPort.Compute.Cpu;

/// <summary>A row-major weight matrix B [n, k] of <see cref="Element"/>s, rows <see cref="Ld"/> elements apart.</summary>
internal readonly unsafe struct WeightView
{
    /// <summary>Wraps <paramref name="data"/>.</summary>
    public WeightView(void* data, int ld, WeightElement element)
    {
        Data = (byte*)data;
        Ld = ld;
        Element = element;
    }

    /// <summary>The first element.</summary>
    public byte* Data { get; }

    /// <summary>Elements between the starts of two rows.</summary>
    public int Ld { get; }

    /// <summary>The storage type.</summary>
    public WeightElement Element { get; }

    /// <summary>Bytes per element.</summary>
    public int ElementSize => Element == WeightElement.Float32 ? 4 : 2;

    /// <summary>Bytes between the starts of two rows.</summary>
    public long RowBytes => (long)Ld * ElementSize;

    /// <summary>Row <paramref name="j"/>.</summary>
    public byte* Row(int j) => Data + j * RowBytes;

    /// <summary>A float32 view of <paramref name="data"/>.</summary>
    public static WeightView Float32(float* data, int ld) => new(data, ld, WeightElement.Float32);
}
