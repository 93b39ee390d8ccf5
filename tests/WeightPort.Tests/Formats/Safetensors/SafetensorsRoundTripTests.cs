using System.Text;
using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.IO;
using WeightPort.Tensors;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Formats.Safetensors;

public sealed class SafetensorsRoundTripTests
{
    private static readonly DType[] Writable = [.. TestTensors.AllDTypes.Where(d => d.SafetensorsName() is not null)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void WriteThenRead_RandomTensorsOfEveryDType_BitwiseEqual(int seed)
    {
        var rng = new Random(seed);
        var inputs = new List<TensorToWrite>();
        for (int i = 0; i < 12; i++)
        {
            var dtype = Writable[rng.Next(Writable.Length)];
            string name = rng.Next(3) == 0 ? $"layer.{i}.wëight" : $"t{rng.Next(1000)}_{i}";
            inputs.Add(new TensorToWrite(name, TestTensors.Random(rng, dtype, TestTensors.RandomShape(rng))));
        }
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["quote\"and\\slash\n"] = "ünï" };
        using var ms = new MemoryStream();
        SafetensorsWriter.Write(ms, inputs, metadata);
        Assert.Equal(ms.Length, SafetensorsWriter.ComputeLength(inputs, metadata));
        var bytes = ms.ToArray();
        using var back = SafetensorsReader.Read(new MemoryByteSource(bytes), "rt");
        Assert.Equal(metadata.OrderBy(k => k.Key), back.Metadata.OrderBy(k => k.Key));
        Assert.Equal(inputs.Count, back.Tensors.Count);
        foreach (var t in inputs)
        {
            var r = back.Find(t.Name)!;
            Assert.Equal(t.DType, r.DType);
            Assert.Equal(t.Shape, r.Shape);
            Assert.Equal(t.Source.ToByteArray(), r.ToByteArray());
        }
        // Writing what was read reproduces the file.
        using var again = new MemoryStream();
        SafetensorsWriter.Write(again, TensorToWrite.FromCheckpoint(back), back.Metadata);
        Assert.Equal(bytes, again.ToArray());
    }

    [Fact]
    public void Write_Layout_SortsByAlignmentThenNameAndPadsHeader()
    {
        var rng = new Random(3);
        var inputs = new[]
        {
            new TensorToWrite("b", TestTensors.Random(rng, DType.UInt8, [3])),
            new TensorToWrite("a", TestTensors.Random(rng, DType.Float32, [2])),
            new TensorToWrite("c", TestTensors.Random(rng, DType.Int64, [1])),
            new TensorToWrite("a2", TestTensors.Random(rng, DType.Float32, [1])),
        };
        using var ms = new MemoryStream();
        SafetensorsWriter.Write(ms, inputs);
        var bytes = ms.ToArray();
        long n = BitConverter.ToInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("""{"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"a2":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"U8","shape":[3],"data_offsets":[20,23]}}""",
            header.TrimEnd(' '));
    }

    [Fact]
    public void Write_CastToHalf_ReadsBackConvertedValues()
    {
        var source = TestTensors.FromFloats([1.5f, -2.25f, 65504f, 1e-8f], 2, 2);
        using var ms = new MemoryStream();
        SafetensorsWriter.Write(ms, [new TensorToWrite("w", source, DType.Float16)]);
        using var back = SafetensorsReader.Read(new MemoryByteSource(ms.ToArray()), "rt");
        var w = back.Find("w")!;
        Assert.Equal(DType.Float16, w.DType);
        Assert.Equal(new[] { 1.5f, -2.25f, 65504f, (float)(Half)1e-8f }, w.ToFloat32Array());
    }

    [Fact]
    public void Write_Complex128_Throws()
    {
        var t = TestTensors.FromBytes(DType.Complex128, [1], new byte[16]);
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(new MemoryStream(), [new TensorToWrite("z", t)]));
    }

    [Fact]
    public void Write_DuplicateName_Throws()
    {
        var t = TestTensors.FromFloats([1f], 1);
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(new MemoryStream(), [new TensorToWrite("a", t), new TensorToWrite("a", t)]));
    }
}
