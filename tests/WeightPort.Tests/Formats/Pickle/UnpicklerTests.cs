using System.Numerics;
using WeightPort.Formats.Pickle;
using Xunit;

namespace WeightPort.Tests.Formats.Pickle;

/// <summary>Hand-made opcode sequences: memo semantics, integer encodings, and every structural error.</summary>
public sealed class UnpicklerTests
{
    private static byte[] B(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var p in parts)
        {
            switch (p)
            {
                case string s: list.AddRange(System.Text.Encoding.Latin1.GetBytes(s)); break;
                case byte b: list.Add(b); break;
                case int i: list.Add(checked((byte)i)); break;
                case byte[] a: list.AddRange(a); break;
                default: throw new ArgumentException(p.GetType().Name);
            }
        }
        return [.. list];
    }

    private static CheckpointFormatException Refused(byte[] pickle, CheckpointError error, PickleLimits? limits = null)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => PickleReader.Read(pickle, "test", limits));
        Assert.Equal(error, e.Error);
        return e;
    }

    [Fact]
    public void Read_DictMutatedAfterBinPut_IsSeenMutatedThroughGet()
    {
        // PROTO 2, EMPTY_LIST, MARK, EMPTY_DICT, BINPUT 1, BINGET 1, APPENDS, BINGET 1, 'x', 1, SETITEM, POP, STOP
        var list = Assert.IsType<PickleList>(PickleReader.Read(B(0x80, 2, "](}q", 1, "h", 1, "eh", 1, "X", 1, 0, 0, 0, "xK", 1, "s0.")));
        Assert.Equal(2, list.Items.Count);
        Assert.Same(list.Items[0], list.Items[1]);
        var dict = Assert.IsType<PickleDict>(list.Items[0]);
        Assert.Equal(BigInteger.One, Assert.IsType<PickleInt>(dict["x"]).Value);
    }

    [Theory]
    [InlineData(new byte[] { 0xff }, -1)]
    [InlineData(new byte[] { 0x80 }, -128)]
    [InlineData(new byte[] { 0x7f }, 127)]
    [InlineData(new byte[] { 0x00, 0x80 }, -32768)]
    [InlineData(new byte[] { 0xff, 0x00 }, 255)]
    [InlineData(new byte[] { }, 0)]
    public void Read_Long1_SignExtends(byte[] payload, long expected)
    {
        var v = PickleReader.Read(B(0x80, 2, 0x8a, payload.Length, payload, "."));
        Assert.Equal(new BigInteger(expected), Assert.IsType<PickleInt>(v).Value);
    }

    [Fact]
    public void Read_Long1BeyondSixtyFourBits_IsExact()
    {
        var payload = new byte[9];
        payload[8] = 1; // 2^64
        Assert.Equal(BigInteger.Pow(2, 64), Assert.IsType<PickleInt>(PickleReader.Read(B(0x80, 2, 0x8a, 9, payload, "."))).Value);
    }

    [Fact]
    public void Read_BinFloat_IsBigEndian()
    {
        var v = PickleReader.Read(B(0x80, 2, "G", new byte[] { 0x3f, 0xf8, 0, 0, 0, 0, 0, 0 }, "."));
        Assert.Equal(1.5, Assert.IsType<PickleFloat>(v).Value);
    }

    [Fact]
    public void Read_DictOpcodeWithMark_ConsumesItsItems()
    {
        // candle mapped DICT to EMPTY_DICT and left the items on the stack.
        var d = Assert.IsType<PickleDict>(PickleReader.Read(B("(S'a'\nI1\nd.")));
        Assert.Equal(BigInteger.One, Assert.IsType<PickleInt>(d["a"]).Value);
    }

    [Fact]
    public void Read_OrderedDictWithMetadataBuild_IsAccepted()
    {
        var d = Assert.IsType<PickleDict>(PickleReader.Read(B(0x80, 2, "ccollections\nOrderedDict\n)R}X", 9, 0, 0, 0, "_metadata}sb.")));
        Assert.Equal("collections.OrderedDict", d.PythonType);
        Assert.NotNull(d.State);
    }

    [Fact]
    public void Read_SetItemOnList_IsRefused() =>
        Assert.Contains("SETITEM", Refused(B(0x80, 2, "]K", 1, "K", 2, "s."), CheckpointError.MalformedPickle).Message);

    [Fact]
    public void Read_AppendOnDict_IsRefused() => Refused(B(0x80, 2, "}K", 1, "a."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_AppendOnTuple_IsRefused() => Refused(B(0x80, 2, ")K", 1, "a."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_MemoIndexOutOfRange_IsRefusedWithTheIndex()
    {
        var e = Refused(B(0x80, 2, "]q", 0, "j", 0x70, 0x11, 1, 0, "."), CheckpointError.MalformedPickle);
        Assert.Contains("memo index 70,000", e.Message);
        Assert.Equal(5, e.Offset);
    }

    [Fact]
    public void Read_StackUnderflow_IsRefused() => Refused(B(0x80, 2, "K", 1, 0x86, "."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_MarkUnderflow_IsRefused() => Refused(B(0x80, 2, "K", 1, "t."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_PopAcrossMark_IsRefused() => Refused(B(0x80, 2, "K", 1, "(0t."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_StopWithTwoValues_IsRefused() => Refused(B(0x80, 2, "K", 1, "K", 2, "."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_StopWithOpenMark_IsRefused() => Refused(B(0x80, 2, "(K", 1, "."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_EmptyStop_IsRefused() => Refused(B("."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_TrailingBytes_AreRefused() => Refused(B(0x80, 2, "N.N"), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_UnknownOpcode_IsRefused() => Assert.Contains("0xFF", Refused(B(0x80, 2, 0xff, "."), CheckpointError.UnsupportedOpcode).Message);

    [Fact]
    public void Read_ExtensionOpcode_IsRefused() => Refused(B(0x80, 2, 0x82, 1, "."), CheckpointError.UnsupportedOpcode);

    [Fact]
    public void Read_NextBuffer_IsRefused() => Refused(B(0x80, 5, 0x97, "."), CheckpointError.UnsupportedOpcode);

    [Fact]
    public void Read_ProtocolSix_IsRefused() => Refused(B(0x80, 6, "N."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_NoStop_IsTruncated() => Refused(B(0x80, 2, "N"), CheckpointError.Truncated);

    [Fact]
    public void Read_HugeStringLength_IsTruncatedWithoutAllocating()
    {
        // BINUNICODE8 declaring 2^62 bytes: checked against what remains before anything is allocated.
        Refused(B(0x80, 4, 0x8d, new byte[] { 0, 0, 0, 0, 0, 0, 0, 0x40 }, "."), CheckpointError.Truncated);
        Refused(B(0x80, 3, "X", 0xff, 0xff, 0xff, 0x7f, "abc."), CheckpointError.Truncated);
        Refused(B(0x80, 5, 0x96, new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, "."), CheckpointError.Truncated);
    }

    [Fact]
    public void Read_FrameLongerThanInput_IsTruncated() => Refused(B(0x80, 4, 0x95, new byte[] { 100, 0, 0, 0, 0, 0, 0, 0 }, "N."), CheckpointError.Truncated);

    [Fact]
    public void Read_PersistentIdInPlainPickle_IsRefused() => Refused(B(0x80, 2, "NQ."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_InvalidUtf8_IsRefused() => Refused(B(0x80, 2, "X", 1, 0, 0, 0, 0xff, "."), CheckpointError.MalformedPickle);

    [Fact]
    public void Read_ContainerOverLimit_IsLimitExceeded() =>
        Refused(B(0x80, 2, "](K", 1, "K", 2, "K", 3, "e."), CheckpointError.LimitExceeded, new PickleLimits { MaxContainerItems = 2 });

    [Fact]
    public void Read_ObjectsOverLimit_IsLimitExceeded() =>
        Refused(B(0x80, 2, "(K", 1, "K", 2, "K", 3, "t."), CheckpointError.LimitExceeded, new PickleLimits { MaxObjects = 3 });

    [Fact]
    public void Read_MarksOverLimit_IsLimitExceeded() =>
        Refused(B(0x80, 2, new string('(', 100), "N."), CheckpointError.LimitExceeded, new PickleLimits { MaxMarkDepth = 50 });

    [Fact]
    public void Read_StackOverLimit_IsLimitExceeded() =>
        Refused(B(0x80, 2, new string('N', 100), "."), CheckpointError.LimitExceeded, new PickleLimits { MaxStackDepth = 50 });

    [Fact]
    public void Read_MemoIndexOverLimit_IsLimitExceeded() =>
        Refused(B(0x80, 2, "Nr", 0, 0, 0, 0x10, "."), CheckpointError.LimitExceeded, new PickleLimits { MaxMemoEntries = 1000 });

    [Fact]
    public void Read_DeeplyNestedLists_DoesNotRecurse()
    {
        // 200,000 nested lists: the machine is iterative, so no stack overflow.
        int n = 200_000;
        var bytes = B(0x80, 2, string.Concat(Enumerable.Repeat("](", n)), string.Concat(Enumerable.Repeat("e", n)), ".");
        Assert.IsType<PickleList>(PickleReader.Read(bytes, "deep", new PickleLimits { MaxMarkDepth = n }));
    }

    [Fact]
    public void Read_UnknownGlobal_StaysANameAndIsNeverCalled()
    {
        var v = PickleReader.Read(B("cos\nsystem\n(S'echo'\ntR."));
        var o = Assert.IsType<PickleObject>(v);
        Assert.Equal("os.system", o.Global!.FullName);
        Assert.False(o.Global.IsAllowlisted);
        Assert.Equal("REDUCE", o.Opcode);
    }

    [Fact]
    public void Read_Python2BuiltinModule_MapsToBuiltins()
    {
        var set = Assert.IsType<PickleSet>(PickleReader.Read(B(0x80, 2, "c__builtin__\nset\n]K", 1, "a", 0x85, "R.")));
        Assert.Single(set.Items);
    }

    [Fact]
    public void ReadStringList_NotAList_IsInvalidContent() =>
        Assert.Equal(CheckpointError.InvalidContent, Assert.Throws<CheckpointFormatException>(() => PickleReader.ReadStringList(B(0x80, 2, "}."))).Error);

    [Fact]
    public void ReadStringList_ListWithAnInt_IsInvalidContent() =>
        Assert.Equal(CheckpointError.InvalidContent, Assert.Throws<CheckpointFormatException>(() => PickleReader.ReadStringList(B(0x80, 2, "]K", 1, "a."))).Error);
}
