using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using WeightPort.Formats;
using WeightPort.Formats.Torch;
using WeightPort.Tensors;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Formats.Torch.Writing;

public sealed class PyTorchZipLayoutTests
{
    [Fact]
    public void Crc32_CheckValue_MatchesStandard()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        // Appending in pieces equals one pass (the slicing-by-8 path and the byte tail meet).
        var data = new byte[1000];
        new Random(5).NextBytes(data);
        Assert.Equal(Crc32.Compute(data), Crc32.Append(Crc32.Append(0, data.AsSpan(0, 13)), data.AsSpan(13)));
    }

    [Fact]
    public void Write_Records_AreAlignedStoredWithDescriptorsAndReadableByZipArchive()
    {
        var rng = new Random(9);
        var a = TestTensors.Random(rng, DType.Float32, [3, 4]);
        var inputs = new[]
        {
            new TensorToWrite("a", a),
            new TensorToWrite("b", TestTensors.Random(rng, DType.Int64, [5])),
            new TensorToWrite("c", TestTensors.Random(rng, DType.Float16, [0])),
            new TensorToWrite("a.tied", a),
        };
        using var ms = new MemoryStream();
        PyTorchZipWriter.Write(ms, inputs, "my_model");
        byte[] bytes = ms.ToArray();

        // Local headers: in torch's order, data 64-byte aligned, FB padding of 'Z', flags 0x0808 (0x0800 when empty).
        string[] expectedNames = ["my_model/data.pkl", "my_model/byteorder", "my_model/data/0", "my_model/data/1", "my_model/data/2", "my_model/version"];
        int position = 0;
        foreach (string name in expectedNames)
        {
            Assert.Equal(0x04034b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position)));
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(position + 6));
            Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(position + 8))); // STORED
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(position + 26));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(position + 28));
            Assert.Equal(name, Encoding.UTF8.GetString(bytes, position + 30, nameLength));
            int extra = position + 30 + nameLength;
            Assert.Equal("FB"u8.ToArray(), bytes[extra..(extra + 2)]);
            Assert.Equal(extraLength - 4, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(extra + 2)));
            Assert.All(bytes[(extra + 4)..(extra + extraLength)], b => Assert.Equal((byte)'Z', b));
            int data = extra + extraLength;
            Assert.Equal(0, data % 64);
            int size = SizeFromCentralDirectory(bytes, name);
            Assert.Equal(size == 0 ? 0x0800 : 0x0808, flags);
            position = data + size;
            if (size > 0)
            {
                Assert.Equal(0x08074b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position)));
                position += 16;
            }
        }

        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        Assert.Equal(expectedNames, zip.Entries.Select(e => e.FullName));
        Assert.Equal("little", Read(zip, "my_model/byteorder"));
        Assert.Equal("3\n", Read(zip, "my_model/version"));
        Assert.Equal(a.ToByteArray(), ReadBytes(zip, "my_model/data/0"));
        Assert.Equal(inputs[1].Source.ToByteArray(), ReadBytes(zip, "my_model/data/1"));
        Assert.Empty(ReadBytes(zip, "my_model/data/2"));
        Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength));
    }

    [Fact]
    public void Write_ElevenStorages_RecordsInLexicographicKeyOrder()
    {
        var rng = new Random(1);
        var inputs = Enumerable.Range(0, 11).Select(i => new TensorToWrite($"t{i}", TestTensors.Random(rng, DType.UInt8, [i + 1]))).ToList();
        using var ms = new MemoryStream();
        PyTorchZipWriter.Write(ms, inputs, writeByteOrder: false);
        using var zip = new ZipArchive(new MemoryStream(ms.ToArray()), ZipArchiveMode.Read);
        Assert.Equal(["archive/data.pkl", "archive/data/0", "archive/data/1", "archive/data/10", "archive/data/2", "archive/data/3",
            "archive/data/4", "archive/data/5", "archive/data/6", "archive/data/7", "archive/data/8", "archive/data/9", "archive/version"],
            zip.Entries.Select(e => e.FullName));
        Assert.Equal(inputs[10].Source.ToByteArray(), ReadBytes(zip, "archive/data/10"));
    }

    [Theory]
    [InlineData("/x/model.pth", "model")]
    [InlineData("/x/my.model.pth", "my.model")]
    [InlineData("/x/model", "model")]
    [InlineData("/x/modèle.pth", "archive")]
    [InlineData("/x/.pth", "archive")]
    public void ArchiveNameFor_Path_IsStemOrArchive(string path, string expected) => Assert.Equal(expected, PyTorchZipWriter.ArchiveNameFor(path));

    [Fact]
    public void Write_DuplicateName_Throws()
    {
        var t = TestTensors.FromFloats([1f], 1);
        Assert.Throws<ArgumentException>(() => PyTorchZipWriter.Write(new MemoryStream(), [new TensorToWrite("a", t), new TensorToWrite("a", t)]));
    }

    private static int SizeFromCentralDirectory(byte[] bytes, string name)
    {
        int p = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8);
        while (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p)) == 0x02014b50)
        {
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(p + 28));
            if (Encoding.UTF8.GetString(bytes, p + 46, nameLength) == name) return (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p + 24));
            p += 46 + nameLength;
        }
        throw new InvalidOperationException(name + " not in the central directory");
    }

    private static byte[] ReadBytes(ZipArchive zip, string name)
    {
        using var s = zip.GetEntry(name)!.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static string Read(ZipArchive zip, string name) => Encoding.ASCII.GetString(ReadBytes(zip, name));
}
