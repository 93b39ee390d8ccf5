using WeightPort.IO;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Tensors;

public sealed class TensorInfoTests
{
    private static TensorStorage Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new TensorStorage("0", DType.Float32, values.Length, new MemoryByteSource(bytes), 0);
    }

    [Fact]
    public void Create_HugeShapeWithoutStride_ThrowsArgumentNotOverflow()
    {
        var s = Floats(1f);
        Assert.Throws<ArgumentException>(() => TensorInfo.Create(s, 0, [1L << 32, 1L << 32, 0]));
    }

    [Fact]
    public void Create_ViewPastStorageEnd_Throws()
    {
        var s = Floats(1f, 2f, 3f, 4f);
        var ex = Assert.Throws<ArgumentException>(() => TensorInfo.Create(s, 2, [3]));
        Assert.Contains("reaches element 4", ex.Message);
    }

    [Fact]
    public void CopyTo_TransposedView_GathersRowMajor()
    {
        // storage holds [[1,2,3],[4,5,6]]; the view is its transpose [3,2] with strides (1,3).
        var s = Floats(1, 2, 3, 4, 5, 6);
        var t = TensorInfo.Create(s, 0, [3, 2], [1, 3]);
        Assert.False(t.IsContiguous);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.ToFloat32Array());
    }

    [Fact]
    public void CopyTo_OffsetAndStepTwo_PicksEveryOtherElement()
    {
        var s = Floats(0, 1, 2, 3, 4, 5, 6, 7);
        var t = TensorInfo.Create(s, 1, [3], [2]);
        Assert.Equal([1f, 3f, 5f], t.ToFloat32Array());
    }

    [Fact]
    public void CopyTo_BigEndianStorage_SwapsToLittleEndian()
    {
        byte[] be = [0x3F, 0x80, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00]; // 1.0f, 2.0f big-endian
        var s = new TensorStorage("0", DType.Float32, 2, new MemoryByteSource(be), 0, bigEndian: true);
        Assert.Equal([1f, 2f], TensorInfo.Create(s, 0, [2]).ToFloat32Array());
    }
}
