using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch.Writing;

/// <summary>
/// Writes the <c>data.pkl</c> of a state dict as PyTorch 1.13's <c>torch.save</c> pickles an
/// <c>OrderedDict[str, Tensor]</c> (protocol 2, CPython's <c>Pickler</c> with torch's <c>persistent_id</c>), memo
/// included, so that the bytes are the same: docs/formats.md §7.2. Only the globals <c>collections OrderedDict</c>,
/// <c>torch._utils _rebuild_tensor_v2</c> and <c>torch &lt;X&gt;Storage</c> appear, so <c>weights_only=True</c> loads it.
/// </summary>
/// <remarks>
/// CPython memoizes every object by identity. What is shared in torch's object graph is mirrored here: each global
/// (one class object), the literals <c>'storage'</c> and <c>'cpu'</c> (one interned string each), a storage's key
/// string (kept in torch's <c>id_map</c>), and a tensor placed under several names (one tensor object).
/// Dict keys, size/stride tuples and persistent-id tuples are new objects each time.
/// </remarks>
internal sealed class StateDictPickler
{
    // Opcodes (CPython Lib/pickle.py).
    private const byte Proto = 0x80, Global = (byte)'c', BinPut = (byte)'q', LongBinPut = (byte)'r', BinGet = (byte)'h',
        LongBinGet = (byte)'j', EmptyTuple = (byte)')', Reduce = (byte)'R', Mark = (byte)'(', BinUnicode = (byte)'X',
        Tuple = (byte)'t', Tuple1 = 0x85, Tuple2 = 0x86, Tuple3 = 0x87, BinPersId = (byte)'Q', BinInt1 = (byte)'K',
        BinInt2 = (byte)'M', BinInt = (byte)'J', Long1 = 0x8a, NewFalse = 0x89, SetItem = (byte)'s', SetItems = (byte)'u',
        Stop = (byte)'.';

    // CPython's Pickler._BATCHSIZE: SETITEMS batches of at most this many pairs.
    private const int BatchSize = 1000;

    private readonly MemoryStream _out = new();
    private readonly Dictionary<(string Kind, string A, string B), int> _memo = [];
    private int _anonymous; // memo slots of objects never fetched again

    /// <summary>Pickles the state dict: <paramref name="entries"/> maps each key, in order, to an index into <paramref name="tensors"/>.</summary>
    public static byte[] Pickle(IReadOnlyList<(string Name, int Tensor)> entries, IReadOnlyList<PickledTensor> tensors)
    {
        var p = new StateDictPickler();
        p.Op(Proto);
        p.Op(2);
        p.SaveGlobal("collections", "OrderedDict");
        p.Op(EmptyTuple);
        p.Op(Reduce);
        p.PutNew();
        for (int start = 0; start < entries.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, entries.Count - start);
            if (n > 1) p.Op(Mark);
            for (int i = start; i < start + n; i++)
            {
                p.SaveString(entries[i].Name);
                p.SaveTensor(entries[i].Tensor, tensors[entries[i].Tensor]);
            }
            p.Op(n > 1 ? SetItems : SetItem);
        }
        p.Op(Stop);
        return p._out.ToArray();
    }

    private void SaveTensor(int index, PickledTensor t)
    {
        if (TryGet(("tensor", index.ToString(System.Globalization.CultureInfo.InvariantCulture), ""))) return;
        SaveGlobal("torch._utils", "_rebuild_tensor_v2");
        Op(Mark);
        // persistent_id: ('storage', torch.<X>Storage, key, 'cpu', numel)
        Op(Mark);
        SaveSharedString("storage");
        SaveGlobal("torch", t.DType.StorageClass());
        if (!TryGet(("storage-key", t.StorageKey, "")))
        {
            WriteUnicode(t.StorageKey);
            Put(("storage-key", t.StorageKey, ""));
        }
        SaveSharedString("cpu");
        SaveInt(t.ElementCount);
        Op(Tuple);
        PutNew();
        Op(BinPersId);
        SaveInt(0); // storage_offset
        SaveTuple(t.Shape);
        SaveTuple(t.Stride);
        Op(NewFalse); // requires_grad: a state dict holds detached tensors
        SaveGlobal("collections", "OrderedDict"); // backward_hooks = OrderedDict()
        Op(EmptyTuple);
        Op(Reduce);
        PutNew();
        Op(Tuple);
        PutNew();
        Op(Reduce);
        Put(("tensor", index.ToString(System.Globalization.CultureInfo.InvariantCulture), ""));
    }

    private void SaveTuple(IReadOnlyList<long> values)
    {
        if (values.Count == 0)
        {
            Op(EmptyTuple); // CPython does not memoize the empty tuple
            return;
        }
        if (values.Count > 3) Op(Mark);
        foreach (long v in values) SaveInt(v);
        Op(values.Count switch { 1 => Tuple1, 2 => Tuple2, 3 => Tuple3, _ => Tuple });
        PutNew();
    }

    private void SaveInt(long value)
    {
        // CPython save_long at protocol 2.
        if (value >= 0 && value <= 0xFF)
        {
            Op(BinInt1);
            Op((byte)value);
        }
        else if (value >= 0 && value <= 0xFFFF)
        {
            Op(BinInt2);
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value);
            _out.Write(b);
        }
        else if (value >= int.MinValue && value <= int.MaxValue)
        {
            Op(BinInt);
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)value);
            _out.Write(b);
        }
        else
        {
            // encode_long: two's complement, little-endian, (bit_length >> 3) + 1 bytes. Only sizes, strides and
            // counts are pickled, so a value this large is positive.
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            int length = (BitLength(value) >> 3) + 1;
            Span<byte> b = stackalloc byte[9];
            BinaryPrimitives.WriteInt64LittleEndian(b, value);
            b[8] = 0;
            Op(Long1);
            Op((byte)length);
            _out.Write(b[..length]);
        }
    }

    private static int BitLength(long value) => 64 - BitOperations.LeadingZeroCount((ulong)value);

    private void SaveGlobal(string module, string name)
    {
        if (TryGet(("global", module, name))) return;
        Op(Global);
        _out.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        Put(("global", module, name));
    }

    private void SaveSharedString(string literal)
    {
        if (TryGet(("literal", literal, ""))) return;
        WriteUnicode(literal);
        Put(("literal", literal, ""));
    }

    private void SaveString(string value)
    {
        WriteUnicode(value);
        PutNew();
    }

    private void WriteUnicode(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        Op(BinUnicode);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, checked((uint)utf8.Length));
        _out.Write(length);
        _out.Write(utf8);
    }

    private bool TryGet((string, string, string) key)
    {
        if (!_memo.TryGetValue(key, out int index)) return false;
        if (index < 256)
        {
            Op(BinGet);
            Op((byte)index);
        }
        else
        {
            Op(LongBinGet);
            WriteUInt32(index);
        }
        return true;
    }

    private void Put((string, string, string) key)
    {
        int index = _memo.Count + _anonymous;
        _memo[key] = index;
        EmitPut(index);
    }

    /// <summary>Memoizes an object nothing refers to again (CPython still emits the PUT).</summary>
    private void PutNew()
    {
        int index = _memo.Count + _anonymous;
        _anonymous++;
        EmitPut(index);
    }

    private void EmitPut(int index)
    {
        if (index < 256)
        {
            Op(BinPut);
            Op((byte)index);
        }
        else
        {
            Op(LongBinPut);
            WriteUInt32(index);
        }
    }

    private void WriteUInt32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)value);
        _out.Write(b);
    }

    private void Op(byte b) => _out.WriteByte(b);
}
