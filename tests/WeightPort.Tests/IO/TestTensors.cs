using WeightPort.Formats;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Tests.IO;

/// <summary>Builds tensors over managed bytes for writer tests.</summary>
internal static class TestTensors
{
    public static readonly DType[] AllDTypes = Enum.GetValues<DType>();

    /// <summary>A contiguous tensor over <paramref name="bytes"/>.</summary>
    public static TensorInfo FromBytes(DType dtype, long[] shape, byte[] bytes, string key = "t")
    {
        long n = 1;
        foreach (long d in shape) n *= d;
        var storage = new TensorStorage(key, dtype, n, new MemoryByteSource(bytes), 0);
        return TensorInfo.Create(storage, 0, shape);
    }

    public static TensorInfo FromFloats(float[] values, params long[] shape)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return FromBytes(DType.Float32, shape, bytes);
    }

    /// <summary>Random contiguous bytes for <paramref name="dtype"/>; bools are 0/1 and floats are finite so that values compare.</summary>
    public static byte[] RandomBytes(Random rng, DType dtype, long elements)
    {
        int size = dtype.ElementSize();
        var bytes = new byte[elements * size];
        rng.NextBytes(bytes);
        for (long i = 0; i < elements; i++)
        {
            var e = bytes.AsSpan((int)(i * size), size);
            switch (dtype)
            {
                case DType.Bool: e[0] &= 1; break;
                case DType.Float32: BitConverter.TryWriteBytes(e, (float)(rng.NextDouble() * 200 - 100)); break;
                case DType.Float64: BitConverter.TryWriteBytes(e, rng.NextDouble() * 200 - 100); break;
                case DType.Float16: BitConverter.TryWriteBytes(e, (Half)(rng.NextDouble() * 200 - 100)); break;
                case DType.BFloat16: BitConverter.TryWriteBytes(e, ElementConversion.ToBFloat16((float)(rng.NextDouble() * 200 - 100))); break;
                case DType.Complex64:
                    BitConverter.TryWriteBytes(e, (float)rng.NextDouble());
                    BitConverter.TryWriteBytes(e[4..], (float)rng.NextDouble());
                    break;
                case DType.Complex128:
                    BitConverter.TryWriteBytes(e, rng.NextDouble());
                    BitConverter.TryWriteBytes(e[8..], rng.NextDouble());
                    break;
            }
        }
        return bytes;
    }

    public static long[] RandomShape(Random rng, int maxRank = 4, int maxDim = 5)
    {
        int rank = rng.Next(0, maxRank + 1);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = rng.Next(0, maxDim + 1);
        return shape;
    }

    public static TensorInfo Random(Random rng, DType dtype, long[] shape, string key = "t")
    {
        long n = 1;
        foreach (long d in shape) n *= d;
        return FromBytes(dtype, shape, RandomBytes(rng, dtype, n), key);
    }

    /// <summary>The bytes a writer produces for <paramref name="t"/>.</summary>
    public static byte[] OutputBytes(TensorToWrite t)
    {
        using var ms = new MemoryStream();
        TensorBytes.WriteTo(t.Source, t.DType, ms);
        return ms.ToArray();
    }

    public static string TempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "weightport-writers-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
