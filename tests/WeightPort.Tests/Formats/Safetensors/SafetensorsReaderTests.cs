using System.Buffers.Binary;
using System.Text;
using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.Formats.Safetensors;

/// <summary>One test per rule, from handcrafted bytes.</summary>
public sealed class SafetensorsReaderTests
{
    private static byte[] File(string json, int bufferBytes, bool pad = true, byte[]? rawHeader = null)
    {
        byte[] header = rawHeader ?? Encoding.UTF8.GetBytes(json);
        int padded = pad ? header.Length + (8 - header.Length % 8) % 8 : header.Length;
        var bytes = new byte[8 + padded + bufferBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        for (int i = 0; i < bufferBytes; i++) bytes[8 + padded + i] = (byte)i;
        return bytes;
    }

    private static Checkpoint Read(byte[] bytes) => SafetensorsReader.Read(new MemoryByteSource(bytes), "test.safetensors");

    private static void AssertRule(byte[] bytes, SafetensorsRule rule, CheckpointError error, string? key = null)
    {
        var ex = Assert.Throws<CheckpointFormatException>(() => Read(bytes));
        Assert.Equal(error, ex.Error);
        Assert.StartsWith(rule + ":", ex.Reason);
        Assert.Equal("test.safetensors", ex.FilePath);
        if (key is not null) Assert.Equal(key, ex.Key);
    }

    [Fact]
    public void Read_ValidFileWithMetadataScalarAndEmpty_ReadsViews()
    {
        var bytes = File("""{"__metadata__":{"format":"pt","b":"x"},"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},"e":{"dtype":"F16","shape":[0,3],"data_offsets":[24,24]}}""", 24);
        using var c = Read(bytes);
        Assert.Equal(["s", "w", "e"], c.Tensors.Select(t => t.Path));
        Assert.Equal(new[] { KeyValuePair.Create("format", "pt"), KeyValuePair.Create("b", "x") }, c.Metadata);
        var s = c.Find("s")!;
        Assert.Empty(s.Shape);
        Assert.Equal(1, s.ElementCount);
        Assert.Equal(bytes.AsSpan(bytes.Length - 24, 8).ToArray(), s.ToByteArray());
        Assert.Equal(0, c.Find("e")!.ElementCount);
        Assert.Equal(bytes.AsSpan(bytes.Length - 16).ToArray(), c.Find("w")!.ToByteArray());
    }

    [Fact]
    public void Read_EmptyHeaderObject_HasNoTensors()
    {
        using var c = Read(File("{}", 0));
        Assert.Empty(c.Tensors);
    }

    [Fact]
    public void Read_FewerThan8Bytes_HeaderTooSmall() => AssertRule([1, 0, 0], SafetensorsRule.HeaderTooSmall, CheckpointError.Truncated);

    [Fact]
    public void Read_HugeHeaderSize_HeaderTooLarge()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        AssertRule(bytes, SafetensorsRule.HeaderTooLarge, CheckpointError.LimitExceeded);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        AssertRule(bytes, SafetensorsRule.HeaderTooLarge, CheckpointError.LimitExceeded);
    }

    [Fact]
    public void Read_HeaderPastEnd_InvalidHeaderLength()
    {
        var bytes = File("{}", 0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 9);
        AssertRule(bytes, SafetensorsRule.InvalidHeaderLength, CheckpointError.Truncated);
    }

    [Fact]
    public void Read_InvalidUtf8_InvalidHeaderEncoding() =>
        AssertRule(File("", 0, rawHeader: [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']),
            SafetensorsRule.InvalidHeaderEncoding, CheckpointError.InvalidHeader);

    [Fact]
    public void Read_HeaderNotStartingWithBrace_InvalidHeaderStart() =>
        AssertRule(File(" {}", 0), SafetensorsRule.InvalidHeaderStart, CheckpointError.InvalidHeader);

    [Theory]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("{}{}")]
    [InlineData("{}\n")]
    [InlineData("{,}")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},}")]
    public void Read_MalformedJson_InvalidHeaderDeserialization(string json) =>
        AssertRule(File(json, 0), SafetensorsRule.InvalidHeaderDeserialization, CheckpointError.InvalidHeader);

    [Fact]
    public void Read_DuplicateTensor_DuplicateKey() =>
        AssertRule(File("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2),
            SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, "a");

    [Fact]
    public void Read_DuplicateEscapedTensorName_DuplicateKey() =>
        AssertRule(File("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\u0061":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", 2),
            SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, "a");

    [Fact]
    public void Read_DuplicateField_DuplicateKey() =>
        AssertRule(File("""{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 1),
            SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, "a");

    [Fact]
    public void Read_DuplicateMetadataKey_DuplicateKey() =>
        AssertRule(File("""{"__metadata__":{"k":"1","k":"2"}}""", 0), SafetensorsRule.DuplicateKey, CheckpointError.InvalidHeader, "k");

    [Theory]
    [InlineData("""{"a":{"dtype":"U8","shape":[1]}}""")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}""")]
    [InlineData("""{"a":{"dtype":8,"shape":[1],"data_offsets":[0,1]}}""")]
    [InlineData("""{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}""")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}""")]
    [InlineData("""{"a":{"dtype":"U8","shape":1,"data_offsets":[0,1]}}""")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}}""")]
    [InlineData("""{"a":[1]}""")]
    public void Read_BadEntry_InvalidTensorEntry(string json) =>
        AssertRule(File(json, 1), SafetensorsRule.InvalidTensorEntry, CheckpointError.InvalidHeader, "a");

    [Theory]
    [InlineData("""{"__metadata__":{"k":1}}""")]
    [InlineData("""{"__metadata__":[]}""")]
    [InlineData("""{"__metadata__":{"k":{"x":"y"}}}""")]
    public void Read_BadMetadata_InvalidMetadata(string json) =>
        AssertRule(File(json, 0), SafetensorsRule.InvalidMetadata, CheckpointError.InvalidHeader);

    [Theory]
    [InlineData("F8_E4M3")]
    [InlineData("U16")]
    [InlineData("XYZ")]
    public void Read_UnknownDType_UnsupportedDType(string dtype) =>
        AssertRule(File($$$"""{"a":{"dtype":"{{{dtype}}}","shape":[1],"data_offsets":[0,1]}}""", 1), SafetensorsRule.UnsupportedDType, CheckpointError.UnsupportedDType, "a");

    [Theory]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", "a")] // hole at the start
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}""", "b")] // hole
    [InlineData("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}""", "b")] // overlap
    [InlineData("""{"a":{"dtype":"U8","shape":[0],"data_offsets":[3,0]}}""", "a")] // end before begin
    public void Read_NonContiguousOffsets_InvalidOffset(string json, string key) =>
        AssertRule(File(json, 3), SafetensorsRule.InvalidOffset, CheckpointError.InvalidHeader, key);

    [Fact]
    public void Read_ShapeOverflow_ValidationOverflow() =>
        AssertRule(File("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}""", 0),
            SafetensorsRule.ValidationOverflow, CheckpointError.LimitExceeded, "a");

    [Fact]
    public void Read_ByteCountOverflow_ValidationOverflow() =>
        AssertRule(File("""{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}""", 0),
            SafetensorsRule.ValidationOverflow, CheckpointError.LimitExceeded, "a");

    [Fact]
    public void Read_EmptyShapeWithHugeStrides_ValidationOverflow() =>
        AssertRule(File("""{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}""", 0),
            SafetensorsRule.ValidationOverflow, CheckpointError.LimitExceeded, "a");

    [Fact]
    public void Read_SizeDisagreesWithShape_TensorInvalidInfo() =>
        AssertRule(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4), SafetensorsRule.TensorInvalidInfo, CheckpointError.InvalidHeader, "a");

    [Fact]
    public void Read_TrailingBytes_MetadataIncompleteBuffer() =>
        AssertRule(File("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}""", 3), SafetensorsRule.MetadataIncompleteBuffer, CheckpointError.InvalidHeader);

    [Fact]
    public void Read_BufferShort_MetadataIncompleteBufferTruncated() =>
        AssertRule(File("""{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}""", 3), SafetensorsRule.MetadataIncompleteBuffer, CheckpointError.Truncated);
}
