using System.Runtime.InteropServices;
using WeightPort.Formats;
using WeightPort.IO;
using WeightPort.Tensors;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Tensors;

public sealed class TensorBytesTests
{
    [Fact]
    public void Write_TransposedView_GathersRowMajor()
    {
        // Storage 0..11 as [3,4]; the view is its transpose [4,3] with stride (1,4).
        float[] values = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var storage = new TensorStorage("s", DType.Float32, 12, new MemoryByteSource(bytes), 0);
        var view = TensorInfo.Create(storage, 0, [4, 3], [1, 4]);
        var output = MemoryMarshal.Cast<byte, float>(TestTensors.OutputBytes(new TensorToWrite("t", view))).ToArray();
        float[] expected = [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11];
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Write_LargeStridedViewWithOffset_EqualsTensorInfoCopyAcrossChunks()
    {
        // More than one 1 MiB chunk, non-unit inner stride, non-zero offset.
        var rng = new Random(7);
        int rows = 700, cols = 800;
        var raw = TestTensors.RandomBytes(rng, DType.Float32, rows * cols + 5);
        var storage = new TensorStorage("s", DType.Float32, rows * cols + 5, new MemoryByteSource(raw), 0);
        var view = TensorInfo.Create(storage, 5, [cols, rows], [1, cols]);
        Assert.False(view.IsContiguous);
        Assert.Equal(view.ToByteArray(), TestTensors.OutputBytes(new TensorToWrite("t", view)));
    }

    [Fact]
    public void Write_BigEndianStorage_SwapsToLittleEndian()
    {
        byte[] be = [0x3F, 0x80, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00]; // 1.0f, 2.0f big-endian
        var storage = new TensorStorage("s", DType.Float32, 2, new MemoryByteSource(be), 0, bigEndian: true);
        var view = TensorInfo.Create(storage, 0, [2]);
        var output = MemoryMarshal.Cast<byte, float>(TestTensors.OutputBytes(new TensorToWrite("t", view))).ToArray();
        Assert.Equal(new[] { 1f, 2f }, output);
    }

    [Theory]
    [InlineData(DType.Float32, DType.Float16)]
    [InlineData(DType.Float32, DType.BFloat16)]
    [InlineData(DType.Float16, DType.Float32)]
    [InlineData(DType.BFloat16, DType.Float32)]
    [InlineData(DType.Float16, DType.BFloat16)]
    public void Write_Cast_EqualsElementConversionOfWholeTensor(DType from, DType to)
    {
        var rng = new Random(11);
        var source = TestTensors.Random(rng, from, [600, 500]); // > 1 chunk of floats
        var floats = source.ToFloat32Array();
        var expected = new byte[floats.Length * to.ElementSize()];
        ElementConversion.FromFloat32(floats, to, expected);
        Assert.Equal(expected, TestTensors.OutputBytes(new TensorToWrite("t", source, to)));
    }

    [Fact]
    public void Constructor_IntegerToFloatCast_Throws()
    {
        var t = TestTensors.FromBytes(DType.Int64, [1], new byte[8]);
        Assert.Throws<ArgumentException>(() => new TensorToWrite("t", t, DType.Float32));
    }

    [Fact]
    public void Constructor_UnpairedSurrogateName_Throws()
    {
        var t = TestTensors.FromFloats([1f], 1);
        Assert.Throws<ArgumentException>(() => new TensorToWrite("a\ud800b", t));
    }
}
