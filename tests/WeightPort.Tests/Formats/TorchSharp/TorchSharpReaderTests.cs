using System.Text;
using WeightPort.Formats;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;
using WeightPort.Tensors;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Formats.TorchSharp;

public sealed class TorchSharpReaderTests
{
    private static Checkpoint Read(byte[] bytes) => TorchSharpReader.Read(new MemoryByteSource(bytes), "test.dat");

    private static CheckpointFormatException Fails(byte[] bytes, CheckpointError error)
    {
        var ex = Assert.Throws<CheckpointFormatException>(() => Read(bytes));
        Assert.Equal(error, ex.Error);
        Assert.Equal("test.dat", ex.FilePath);
        return ex;
    }

    // count 1, key "w", Float32 rank 1 dim 2, 8 data bytes.
    private static byte[] OneEntry() => [0x01, 0x01, (byte)'w', 0x06, 0x01, 0x02, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40];

    [Fact]
    public void Read_OneEntry_ReadsStateDict()
    {
        using var c = Read(OneEntry());
        Assert.Equal(CheckpointFormat.TorchSharp, c.Format);
        var w = Assert.Single(c.Tensors);
        Assert.Equal("w", w.Path);
        Assert.Equal(new[] { 1f, 2f }, w.Tensor.ToFloat32Array());
    }

    [Fact]
    public void Read_EmptyStateDict_HasNoTensors()
    {
        using var c = Read([0x00]);
        Assert.Equal(CheckpointFormat.TorchSharp, c.Format);
        Assert.Empty(c.Tensors);
    }

    [Fact]
    public void Read_SingleRecord_IsTorchSharpTensor()
    {
        using var c = Read([0x04, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]); // Int64 scalar
        Assert.Equal(CheckpointFormat.TorchSharpTensor, c.Format);
        Assert.Equal(TorchSharpReader.SingleTensorPath, Assert.Single(c.Tensors).Path);
        Assert.Equal(DType.Int64, c.Tensors[0].Tensor.DType);
    }

    [Fact]
    public void Read_TruncatedData_Truncated()
    {
        var bytes = OneEntry();
        var ex = Fails(bytes[..^1], CheckpointError.Truncated);
        Assert.Equal("w", ex.Key);
        Assert.Contains("8", ex.Reason);
    }

    [Fact]
    public void Read_TrailingByte_Refused() => Fails([.. OneEntry(), 0], CheckpointError.InvalidHeader);

    [Fact]
    public void Read_Leb128LongerThan10Bytes_InvalidHeader() =>
        Fails([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], CheckpointError.InvalidHeader);

    [Fact]
    public void Read_Leb128AboveLongMax_InvalidHeader() =>
        // count 1, key "a", dtype U8, rank 1, dim = 2^63 (10 bytes).
        Fails([0x01, 0x01, (byte)'a', 0x00, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], CheckpointError.InvalidHeader);

    [Fact]
    public void Read_CountBeyondFile_Truncated() => Fails([0xFF, 0xFF, 0x03, 0x00], CheckpointError.Truncated);

    [Fact]
    public void Read_QuantizedDType_UnsupportedDType()
    {
        var ex = Fails([0x01, 0x01, (byte)'q', 0x0C, 0x00, 0x00], CheckpointError.UnsupportedDType);
        Assert.Equal("q", ex.Key);
    }

    [Fact]
    public void Read_RankAboveLimit_LimitExceeded() => Fails([0x01, 0x01, (byte)'r', 0x06, 0x41, 0x00], CheckpointError.LimitExceeded);

    [Fact]
    public void Read_ShapeOverflow_LimitExceeded() =>
        Fails([0x01, 0x01, (byte)'o', 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], CheckpointError.LimitExceeded);

    [Fact]
    public void Read_EmptyShapeWithHugeStrides_LimitExceeded() =>
        // dims [2^35-1, 2^35-1, 0]: no elements, but row-major strides overflow.
        Fails([0x01, 0x01, (byte)'z', 0x06, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00], CheckpointError.LimitExceeded);

    [Fact]
    public void Read_InvalidUtf8Key_InvalidHeader() => Fails([0x01, 0x02, 0xC3, 0x28, 0x00, 0x00, 0x07], CheckpointError.InvalidHeader);

    [Fact]
    public void Read_DuplicateKey_InvalidHeader() =>
        Fails([0x02, 0x01, (byte)'a', 0x00, 0x00, 0x07, 0x01, (byte)'a', 0x00, 0x00, 0x07], CheckpointError.InvalidHeader);

    [Fact]
    public void Read_PyTorchZip_Refused() => Fails(Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip"), CheckpointError.Truncated);

    [Fact]
    public void WriteThenRead_NonAsciiKey_WritesUtf8ByteCount()
    {
        string key = "décodeur.wéight.λ"; // 17 chars, 20 UTF-8 bytes
        var t = TestTensors.FromFloats([1f, 2f], 2);
        using var ms = new MemoryStream();
        TorchSharpWriter.Write(ms, [new TensorToWrite(key, t)]);
        var bytes = ms.ToArray();
        int byteCount = Encoding.UTF8.GetByteCount(key);
        Assert.NotEqual(key.Length, byteCount);
        Assert.Equal(1, bytes[0]);
        Assert.Equal(byteCount, bytes[1]);
        Assert.Equal(key, Encoding.UTF8.GetString(bytes, 2, byteCount));
        using var back = TorchSharpReader.Read(new MemoryByteSource(bytes), "rt");
        Assert.Equal(key, Assert.Single(back.Tensors).Path);
        Assert.Equal(new[] { 1f, 2f }, back.Tensors[0].Tensor.ToFloat32Array());
    }

    [Fact]
    public void Write_LongKeyAndLargeDim_UsesMultiByteLengths()
    {
        string key = new('k', 200);
        var t = TestTensors.FromBytes(DType.UInt8, [300], new byte[300]);
        using var ms = new MemoryStream();
        TorchSharpWriter.Write(ms, [new TensorToWrite(key, t)]);
        var bytes = ms.ToArray();
        Assert.Equal(new byte[] { 0x01, 0xC8, 0x01 }, bytes[..3]); // count 1, key length 200
        Assert.Equal(new byte[] { 0x00, 0x01, 0xAC, 0x02 }, bytes[203..207]); // Byte, rank 1, dim 300
        Assert.Equal(207 + 300, bytes.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void WriteThenRead_RandomTensorsOfEveryDType_BitwiseEqual(int seed)
    {
        var rng = new Random(seed);
        var inputs = new List<TensorToWrite>();
        foreach (var dtype in TestTensors.AllDTypes)
            inputs.Add(new TensorToWrite($"p{rng.Next(100)}.{dtype}", TestTensors.Random(rng, dtype, TestTensors.RandomShape(rng))));
        using var ms = new MemoryStream();
        TorchSharpWriter.Write(ms, inputs);
        using var back = TorchSharpReader.Read(new MemoryByteSource(ms.ToArray()), "rt");
        Assert.Equal(inputs.Select(t => t.Name), back.Tensors.Select(t => t.Path));
        for (int i = 0; i < inputs.Count; i++)
        {
            Assert.Equal(inputs[i].DType, back.Tensors[i].Tensor.DType);
            Assert.Equal(inputs[i].Shape, back.Tensors[i].Tensor.Shape);
            Assert.Equal(inputs[i].Source.ToByteArray(), back.Tensors[i].Tensor.ToByteArray());
        }
        // Single-tensor form of each.
        foreach (var t in inputs)
        {
            using var one = new MemoryStream();
            TorchSharpWriter.WriteTensor(one, t);
            using var single = TorchSharpReader.Read(new MemoryByteSource(one.ToArray()), "one");
            var r = Assert.Single(single.Tensors).Tensor;
            Assert.Equal(t.Shape, r.Shape);
            Assert.Equal(t.Source.ToByteArray(), r.ToByteArray());
        }
    }
}
