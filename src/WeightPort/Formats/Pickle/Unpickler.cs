using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace WeightPort.Formats.Pickle;

/// <summary>
/// A pickle virtual machine that builds a <see cref="PickleValue"/> tree and never calls, imports or executes anything.
/// Modelled on candle's <c>pickle.rs</c> and CPython's <c>_Unpickler</c>, with the memo sharing references, every length
/// checked against the remaining input and <see cref="PickleLimits"/> checked before allocating.
/// </summary>
internal sealed partial class Unpickler
{
    /// <summary>Turns a persistent id into a value; receives the id and the opcode's offset.</summary>
    public delegate PickleValue PersistentLoader(PickleValue id, long offset);

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly string _entry;
    private readonly long _baseOffset;
    private readonly PickleLimits _limits;
    private readonly PersistentLoader? _persistentLoad;
    private readonly List<PickleValue> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, PickleValue> _memo = [];
    private long _objects;
    private long _opOffset;

    public Unpickler(string entry, long baseOffset, PickleLimits? limits, PersistentLoader? persistentLoad)
    {
        _entry = entry;
        _baseOffset = baseOffset;
        _limits = limits ?? PickleLimits.Default;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Every tensor rebuilt, in pickle order.</summary>
    public List<PickleTensor> Tensors { get; } = [];

    /// <summary>The protocol named by PROTO, or 0 when absent.</summary>
    public int Protocol { get; private set; }

    /// <summary>Every global the stream named (allowlisted or not), in order.</summary>
    public List<PickleGlobal> Globals { get; } = [];

    /// <summary>
    /// Bytes values that start like a pickle (PROTO 0 to 5), with the offset of their first byte in this stream's
    /// coordinates: what a payload hands to <c>pickle.loads</c>. The scanner disassembles them too.
    /// </summary>
    public List<(long Offset, PickleBytes Bytes)> EmbeddedPickles { get; } = [];

    /// <summary>Runs the pickle in <paramref name="data"/> up to STOP; <paramref name="end"/> is the index after STOP.</summary>
    public PickleValue Load(ReadOnlySpan<byte> data, out int end)
    {
        if (data.Length > _limits.MaxPickleBytes)
            throw Fail(CheckpointError.LimitExceeded, $"pickle of {data.Length:N0} bytes exceeds the limit of {_limits.MaxPickleBytes:N0}");
        int pos = 0;
        while (true)
        {
            _opOffset = pos;
            if (pos >= data.Length)
                throw Fail(CheckpointError.Truncated, $"pickle ends at byte {data.Length:N0} before STOP");
            byte code = data[pos++];
            var op = (PickleOpcode)code;
            switch (op)
            {
                case PickleOpcode.Proto:
                    {
                        int p = Take(data, ref pos, 1, op)[0];
                        if (p > 5) throw Fail(CheckpointError.MalformedPickle, $"unsupported pickle protocol {p} (0 to 5 are defined)");
                        Protocol = p;
                        break;
                    }
                case PickleOpcode.Frame:
                    {
                        ulong len = BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref pos, 8, op));
                        if (len > (ulong)(data.Length - pos))
                            throw Fail(CheckpointError.Truncated, $"FRAME declares {len:N0} bytes but {data.Length - pos:N0} remain");
                        break;
                    }
                case PickleOpcode.Stop:
                    if (_marks.Count != 0) throw Fail(CheckpointError.MalformedPickle, $"STOP with {_marks.Count} open MARK(s)");
                    if (_stack.Count != 1) throw Fail(CheckpointError.MalformedPickle, $"STOP with {_stack.Count} values on the stack (exactly 1 expected)");
                    end = pos;
                    return _stack[0];
                case PickleOpcode.Mark:
                    if (_marks.Count >= _limits.MaxMarkDepth)
                        throw Fail(CheckpointError.LimitExceeded, $"more than {_limits.MaxMarkDepth:N0} open MARKs");
                    _marks.Add(_stack.Count);
                    break;
                case PickleOpcode.Pop:
                    if (_stack.Count > 0 && (_marks.Count == 0 || _marks[^1] < _stack.Count)) _stack.RemoveAt(_stack.Count - 1);
                    else if (_marks.Count > 0 && _marks[^1] == _stack.Count) _marks.RemoveAt(_marks.Count - 1); // CPython pops a mark here
                    else throw Fail(CheckpointError.MalformedPickle, "POP on an empty stack");
                    break;
                case PickleOpcode.PopMark:
                    PopMark();
                    break;
                case PickleOpcode.Dup:
                    Push(Peek(op));
                    break;

                case PickleOpcode.None: Push(PickleNone.Instance); break;
                case PickleOpcode.NewTrue: Push(PickleBool.True); break;
                case PickleOpcode.NewFalse: Push(PickleBool.False); break;
                case PickleOpcode.BinInt: PushNew(new PickleInt(BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref pos, 4, op)))); break;
                case PickleOpcode.BinInt1: PushNew(new PickleInt(Take(data, ref pos, 1, op)[0])); break;
                case PickleOpcode.BinInt2: PushNew(new PickleInt(BinaryPrimitives.ReadUInt16LittleEndian(Take(data, ref pos, 2, op)))); break;
                case PickleOpcode.Long1:
                    {
                        int n = Take(data, ref pos, 1, op)[0];
                        // Two's complement, little-endian: BigInteger sign-extends from the top byte (candle did not).
                        PushNew(new PickleInt(new BigInteger(Take(data, ref pos, n, op), isUnsigned: false, isBigEndian: false)));
                        break;
                    }
                case PickleOpcode.Long4:
                    {
                        int n = BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref pos, 4, op));
                        if (n < 0) throw Fail(CheckpointError.MalformedPickle, $"LONG4 with negative length {n}");
                        PushNew(new PickleInt(new BigInteger(Take(data, ref pos, n, op), isUnsigned: false, isBigEndian: false)));
                        break;
                    }
                case PickleOpcode.BinFloat:
                    // BINFLOAT is big-endian (CPython pickletools: "8-byte float encoding ... big-endian").
                    PushNew(new PickleFloat(BinaryPrimitives.ReadDoubleBigEndian(Take(data, ref pos, 8, op))));
                    break;
                case PickleOpcode.Int:
                    {
                        string line = ReadLine(data, ref pos, op);
                        if (line == "01") Push(PickleBool.True);
                        else if (line == "00") Push(PickleBool.False);
                        else PushNew(new PickleInt(ParseInteger(line, op)));
                        break;
                    }
                case PickleOpcode.Long:
                    {
                        string line = ReadLine(data, ref pos, op);
                        if (line.EndsWith('L')) line = line[..^1];
                        PushNew(new PickleInt(ParseInteger(line, op)));
                        break;
                    }
                case PickleOpcode.Float:
                    {
                        string line = ReadLine(data, ref pos, op);
                        if (!double.TryParse(line, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
                            d = line switch
                            {
                                "inf" => double.PositiveInfinity,
                                "-inf" => double.NegativeInfinity,
                                "nan" or "-nan" => double.NaN,
                                _ => throw Fail(CheckpointError.MalformedPickle, $"FLOAT argument '{Clip(line)}' is not a number"),
                            };
                        PushNew(new PickleFloat(d));
                        break;
                    }

                case PickleOpcode.BinUnicode:
                    PushNew(new PickleString(DecodeUtf8(Take(data, ref pos, Length32(data, ref pos, op), op), op)));
                    break;
                case PickleOpcode.ShortBinUnicode:
                    PushNew(new PickleString(DecodeUtf8(Take(data, ref pos, Take(data, ref pos, 1, op)[0], op), op)));
                    break;
                case PickleOpcode.BinUnicode8:
                    PushNew(new PickleString(DecodeUtf8(Take(data, ref pos, Length64(data, ref pos, op), op), op)));
                    break;
                case PickleOpcode.Unicode:
                    PushNew(new PickleString(RawUnicodeEscape(ReadLineBytes(data, ref pos, op))));
                    break;
                case PickleOpcode.ShortBinString:
                    PushNew(new PickleString(DecodeUtf8(Take(data, ref pos, Take(data, ref pos, 1, op)[0], op), op)));
                    break;
                case PickleOpcode.BinString:
                    {
                        int n = BinaryPrimitives.ReadInt32LittleEndian(Take(data, ref pos, 4, op));
                        if (n < 0) throw Fail(CheckpointError.MalformedPickle, $"BINSTRING with negative length {n}");
                        PushNew(new PickleString(DecodeUtf8(Take(data, ref pos, n, op), op)));
                        break;
                    }
                case PickleOpcode.String:
                    PushNew(new PickleString(DecodeUtf8(EscapeDecode(ReadLineBytes(data, ref pos, op)), op)));
                    break;
                case PickleOpcode.ShortBinBytes:
                    {
                        int n = Take(data, ref pos, 1, op)[0];
                        PushNew(Bytes(Take(data, ref pos, n, op), pos - n, isByteArray: false));
                        break;
                    }
                case PickleOpcode.BinBytes:
                    {
                        long n = Length32(data, ref pos, op);
                        PushNew(Bytes(Take(data, ref pos, n, op), pos - n, isByteArray: false));
                        break;
                    }
                case PickleOpcode.BinBytes8:
                case PickleOpcode.ByteArray8:
                    {
                        long n = Length64(data, ref pos, op);
                        PushNew(Bytes(Take(data, ref pos, n, op), pos - n, isByteArray: op == PickleOpcode.ByteArray8));
                        break;
                    }

                case PickleOpcode.EmptyTuple: Push(PickleTuple.Empty); break;
                case PickleOpcode.Tuple: PushNew(new PickleTuple(PopMark())); break;
                case PickleOpcode.Tuple1: { var a = Pop(op); PushNew(new PickleTuple([a])); break; }
                case PickleOpcode.Tuple2: { var b = Pop(op); var a = Pop(op); PushNew(new PickleTuple([a, b])); break; }
                case PickleOpcode.Tuple3: { var c = Pop(op); var b = Pop(op); var a = Pop(op); PushNew(new PickleTuple([a, b, c])); break; }
                case PickleOpcode.EmptyList: PushNew(new PickleList()); break;
                case PickleOpcode.List:
                    {
                        var items = PopMark();
                        var list = new PickleList();
                        CheckItems(items.Length);
                        list.Mutable.AddRange(items);
                        PushNew(list);
                        break;
                    }
                case PickleOpcode.EmptyDict: PushNew(new PickleDict()); break;
                case PickleOpcode.Dict:
                    {
                        var items = PopMark();
                        if (items.Length % 2 != 0) throw Fail(CheckpointError.MalformedPickle, $"DICT with an odd number of items ({items.Length})");
                        var dict = new PickleDict();
                        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
                        PushNew(dict);
                        break;
                    }
                case PickleOpcode.EmptySet: PushNew(new PickleSet()); break;
                case PickleOpcode.FrozenSet:
                    {
                        var set = new PickleSet(isFrozen: true);
                        foreach (var item in PopMark()) set.Add(item);
                        PushNew(set);
                        break;
                    }
                case PickleOpcode.Append:
                    {
                        var value = Pop(op);
                        AppendTo(Peek(op), [value]);
                        break;
                    }
                case PickleOpcode.Appends:
                    {
                        var items = PopMark();
                        AppendTo(Peek(op), items);
                        break;
                    }
                case PickleOpcode.SetItem:
                    {
                        var value = Pop(op);
                        var key = Pop(op);
                        SetItemsOn(Peek(op), [key, value]);
                        break;
                    }
                case PickleOpcode.SetItems:
                    {
                        var items = PopMark();
                        if (items.Length % 2 != 0) throw Fail(CheckpointError.MalformedPickle, $"SETITEMS with an odd number of items ({items.Length})");
                        SetItemsOn(Peek(op), items);
                        break;
                    }
                case PickleOpcode.AddItems:
                    {
                        var items = PopMark();
                        if (Peek(op) is not PickleSet { IsFrozen: false } set)
                            throw Fail(CheckpointError.MalformedPickle, $"ADDITEMS on {Peek(op).Described} (only a set accepts it)");
                        CheckItems(set.Count + (long)items.Length);
                        foreach (var item in items) set.Add(item);
                        break;
                    }

                case PickleOpcode.Put: MemoPut(ParseMemoIndex(ReadLine(data, ref pos, op), op)); break;
                case PickleOpcode.BinPut: MemoPut(Take(data, ref pos, 1, op)[0]); break;
                case PickleOpcode.LongBinPut: MemoPut(BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, op))); break;
                case PickleOpcode.Memoize: MemoPut(_memo.Count); break;
                case PickleOpcode.Get: MemoGet(ParseMemoIndex(ReadLine(data, ref pos, op), op)); break;
                case PickleOpcode.BinGet: MemoGet(Take(data, ref pos, 1, op)[0]); break;
                case PickleOpcode.LongBinGet: MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, op))); break;

                case PickleOpcode.Global:
                    {
                        string module = ReadLine(data, ref pos, op);
                        string name = ReadLine(data, ref pos, op);
                        PushNew(MakeGlobal(module, name));
                        break;
                    }
                case PickleOpcode.StackGlobal:
                    {
                        var name = Pop(op);
                        var module = Pop(op);
                        // Operands that are not strings here become strings only when the pickle runs (attributes set by
                        // an earlier BUILD, for instance): the callable is unknowable, which is itself the finding.
                        PushNew(module is PickleString m && name is PickleString n
                            ? MakeGlobal(m.Value, n.Value)
                            : MakeGlobal(UnsafeGlobal.DynamicName, $"{module.Described}, {name.Described}"));
                        break;
                    }
                case PickleOpcode.Reduce:
                    {
                        var args = Pop(op);
                        var callable = Pop(op);
                        PushNew(Call(callable, args, "REDUCE"));
                        break;
                    }
                case PickleOpcode.NewObj:
                    {
                        var args = Pop(op);
                        var cls = Pop(op);
                        PushNew(Call(cls, args, "NEWOBJ"));
                        break;
                    }
                case PickleOpcode.NewObjEx:
                    {
                        var kwargs = Pop(op);
                        var args = Pop(op);
                        var cls = Pop(op);
                        PushNew(kwargs is PickleDict { Items.Count: 0 } ? Call(cls, args, "NEWOBJ_EX") : Opaque(cls, new PickleTuple([args, kwargs]), "NEWOBJ_EX"));
                        break;
                    }
                case PickleOpcode.Inst:
                    {
                        string module = ReadLine(data, ref pos, op);
                        string name = ReadLine(data, ref pos, op);
                        var args = new PickleTuple(PopMark());
                        var cls = MakeGlobal(module, name);
                        PushNew(Call(cls, args, "INST"));
                        break;
                    }
                case PickleOpcode.Obj:
                    {
                        var items = PopMark();
                        if (items.Length == 0) throw Fail(CheckpointError.MalformedPickle, "OBJ without a class");
                        PushNew(Call(items[0], new PickleTuple(items[1..]), "OBJ"));
                        break;
                    }
                case PickleOpcode.Build:
                    {
                        var state = Pop(op);
                        Build(Peek(op), state);
                        break;
                    }
                case PickleOpcode.BinPersId:
                    PushNew(PersistentLoad(Pop(op)));
                    break;
                case PickleOpcode.PersId:
                    PushNew(PersistentLoad(new PickleString(Encoding.ASCII.GetString(ReadLineBytes(data, ref pos, op)))));
                    break;

                case PickleOpcode.Ext1 or PickleOpcode.Ext2 or PickleOpcode.Ext4:
                    throw Fail(CheckpointError.UnsupportedOpcode, $"opcode {Name(op)} (copyreg extension registry) is not supported");
                case PickleOpcode.NextBuffer or PickleOpcode.ReadOnlyBuffer:
                    throw Fail(CheckpointError.UnsupportedOpcode, $"opcode {Name(op)} needs out-of-band buffers, which a file cannot supply");
                default:
                    throw Fail(CheckpointError.UnsupportedOpcode, $"unknown pickle opcode 0x{code:X2}");
            }
        }
    }

    private PickleBytes Bytes(ReadOnlySpan<byte> payload, long payloadIndex, bool isByteArray)
    {
        var bytes = new PickleBytes(payload.ToArray(), isByteArray);
        if (payload.Length >= 2 && payload[0] == (byte)PickleOpcode.Proto && payload[1] <= 5)
            EmbeddedPickles.Add((_baseOffset + payloadIndex, bytes));
        return bytes;
    }

    // ---- stack ----

    private void Push(PickleValue value)
    {
        if (_stack.Count >= _limits.MaxStackDepth)
            throw Fail(CheckpointError.LimitExceeded, $"pickle stack exceeds {_limits.MaxStackDepth:N0} values");
        _stack.Add(value);
    }

    private void PushNew(PickleValue value)
    {
        if (++_objects > _limits.MaxObjects)
            throw Fail(CheckpointError.LimitExceeded, $"pickle creates more than {_limits.MaxObjects:N0} objects");
        Push(value);
    }

    private PickleValue Pop(PickleOpcode op)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor)
            throw Fail(CheckpointError.MalformedPickle, $"{Name(op)} pops from an empty stack{(_marks.Count > 0 ? " (above the last MARK)" : "")}");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private PickleValue Peek(PickleOpcode op)
    {
        int floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor) throw Fail(CheckpointError.MalformedPickle, $"{Name(op)} needs a value on the stack, it is empty");
        return _stack[^1];
    }

    private PickleValue[] PopMark()
    {
        if (_marks.Count == 0) throw Fail(CheckpointError.MalformedPickle, "no MARK to pop to (MARK underflow)");
        int start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private void CheckItems(long count)
    {
        if (count > _limits.MaxContainerItems)
            throw Fail(CheckpointError.LimitExceeded, $"a container exceeds {_limits.MaxContainerItems:N0} items");
    }

    // ---- memo: stores references, so later mutation of a memoized list or dict is seen through every GET ----

    private void MemoPut(long index)
    {
        if (index >= _limits.MaxMemoEntries)
            throw Fail(CheckpointError.LimitExceeded, $"memo index {index:N0} exceeds the limit of {_limits.MaxMemoEntries:N0}");
        if (!_memo.ContainsKey(index) && _memo.Count >= _limits.MaxMemoEntries)
            throw Fail(CheckpointError.LimitExceeded, $"more than {_limits.MaxMemoEntries:N0} memo entries");
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] == _stack.Count))
            throw Fail(CheckpointError.MalformedPickle, "memo put with an empty stack");
        _memo[index] = _stack[^1];
    }

    private void MemoGet(long index)
    {
        if (!_memo.TryGetValue(index, out var v))
            throw Fail(CheckpointError.MalformedPickle, $"pickle memo index {index:N0} out of range (memo holds {_memo.Count:N0} entries)");
        Push(v);
    }

    // ---- containers ----

    private void AppendTo(PickleValue target, PickleValue[] items)
    {
        switch (target)
        {
            case PickleList list:
                CheckItems(list.Mutable.Count + (long)items.Length);
                list.Mutable.AddRange(items);
                break;
            case PickleObject obj:
                // An opaque list subclass: it is refused later unless tolerated; keep its items for the report.
                CheckItems(obj.MutableItems.Count + (long)items.Length);
                obj.MutableItems.AddRange(items);
                break;
            default:
                throw Fail(CheckpointError.MalformedPickle, $"APPEND(S) on {target.Described} (only a list accepts it)");
        }
    }

    private void SetItemsOn(PickleValue target, PickleValue[] items)
    {
        switch (target)
        {
            case PickleDict dict:
                CheckItems(dict.Items.Count + (long)items.Length / 2);
                for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
                break;
            case PickleObject obj:
                CheckItems(obj.MutableItems.Count + (long)items.Length / 2);
                for (int i = 0; i < items.Length; i += 2) obj.MutableItems.Add(new PickleTuple([items[i], items[i + 1]]));
                break;
            default:
                throw Fail(CheckpointError.MalformedPickle, $"SETITEM(S) on {target.Described} (only a dict accepts it)");
        }
    }

    private void Build(PickleValue target, PickleValue state)
    {
        switch (target)
        {
            case PickleDict dict when state is PickleDict or PickleNone:
                // OrderedDict state_dicts set `_metadata` this way; the attribute is kept, not interpreted.
                dict.State = state;
                break;
            case PickleTensor:
                // Old Parameters BUILD (requires_grad, hooks, …); the view is already complete.
                break;
            case PickleObject obj:
                obj.State = state;
                break;
            case PickleGlobal g:
                // setattr on a module-level object (a function, a class): recorded, and never acceptable without consent.
                g.SetState(state);
                break;
            default:
                throw Fail(CheckpointError.MalformedPickle, $"BUILD on {target.Described} with {state.Described} state is not supported");
        }
    }

    private PickleValue PersistentLoad(PickleValue id)
    {
        if (_persistentLoad is null)
            throw Fail(CheckpointError.MalformedPickle, "persistent id in a pickle that cannot have any (not a torch checkpoint)");
        return _persistentLoad(id, _baseOffset + _opOffset);
    }

    private PickleGlobal MakeGlobal(string module, string name)
    {
        module = PickleAllowlist.MapModule(module);
        var g = new PickleGlobal(module, name, _entry, _baseOffset + _opOffset, PickleAllowlist.IsAllowed(module, name));
        Globals.Add(g);
        return g;
    }

    private PickleObject Opaque(PickleValue callable, PickleValue args, string opcode)
    {
        var obj = new PickleObject(callable, args, opcode, _entry, _baseOffset + _opOffset);
        // NEWOBJ only makes an instance (cls.__new__); every other opcode calls what it is given, and calling the result
        // of a call (getattr(...)(...)) is a call of whatever that result is.
        var use = obj.IsInstance && callable is PickleGlobal ? UnsafeGlobalUse.Instantiated : UnsafeGlobalUse.Called;
        if (callable is PickleGlobal g) g.MarkUse(use, opcode);
        else if (obj.Global is { } root) root.MarkUse(UnsafeGlobalUse.Called, opcode);
        return obj;
    }

    // ---- errors ----

    internal CheckpointFormatException Fail(CheckpointError error, string reason) =>
        new(error, reason, offset: _baseOffset + _opOffset, entry: _entry);

    private static string Name(PickleOpcode op) => PickleOpcodeNames.Of(op);

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";

    // ---- argument decoding ----

    private ReadOnlySpan<byte> Take(ReadOnlySpan<byte> data, ref int pos, long count, PickleOpcode op)
    {
        if (count < 0 || count > data.Length - pos)
            throw Fail(CheckpointError.Truncated, $"{Name(op)} needs {count:N0} bytes but the pickle has {data.Length - pos:N0} left");
        var s = data.Slice(pos, (int)count);
        pos += (int)count;
        return s;
    }

    private long Length32(ReadOnlySpan<byte> data, ref int pos, PickleOpcode op) =>
        BinaryPrimitives.ReadUInt32LittleEndian(Take(data, ref pos, 4, op));

    private long Length64(ReadOnlySpan<byte> data, ref int pos, PickleOpcode op)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(Take(data, ref pos, 8, op));
        if (n > (ulong)(data.Length - pos))
            throw Fail(CheckpointError.Truncated, $"{Name(op)} declares {n:N0} bytes but the pickle has {data.Length - pos:N0} left");
        return (long)n;
    }

    private byte[] ReadLineBytes(ReadOnlySpan<byte> data, ref int pos, PickleOpcode op)
    {
        int nl = data[pos..].IndexOf((byte)'\n');
        if (nl < 0) throw Fail(CheckpointError.Truncated, $"{Name(op)} argument has no terminating newline");
        var line = data.Slice(pos, nl).ToArray();
        pos += nl + 1;
        return line;
    }

    private string ReadLine(ReadOnlySpan<byte> data, ref int pos, PickleOpcode op)
    {
        var bytes = ReadLineBytes(data, ref pos, op);
        string s = Encoding.UTF8.GetString(bytes);
        return s.EndsWith('\r') ? s[..^1] : s;
    }

    private BigInteger ParseInteger(string text, PickleOpcode op)
    {
        string t = text.Trim();
        bool ok = t.Length > 0 && (t[0] is '-' or '+' ? t.Length > 1 && !t.AsSpan(1).ContainsAnyExceptInRange('0', '9') : !t.AsSpan().ContainsAnyExceptInRange('0', '9'));
        if (!ok || !BigInteger.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
            throw Fail(CheckpointError.MalformedPickle, $"{Name(op)} argument '{Clip(text)}' is not an integer");
        return v;
    }

    private long ParseMemoIndex(string text, PickleOpcode op)
    {
        var v = ParseInteger(text, op);
        if (v < 0 || v >= _limits.MaxMemoEntries)
            throw Fail(CheckpointError.MalformedPickle, $"pickle memo index {v} out of range");
        return (long)v;
    }

    private string DecodeUtf8(ReadOnlySpan<byte> bytes, PickleOpcode op)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Fail(CheckpointError.MalformedPickle, $"{Name(op)} string is not valid UTF-8");
        }
    }

    // Protocol 0 UNICODE: raw-unicode-escape, only \uXXXX and \UXXXXXXXX are escapes, every other byte is Latin-1.
    private string RawUnicodeEscape(byte[] line)
    {
        var sb = new StringBuilder(line.Length);
        for (int i = 0; i < line.Length; i++)
        {
            byte b = line[i];
            if (b == '\\' && i + 1 < line.Length && line[i + 1] is (byte)'u' or (byte)'U')
            {
                int digits = line[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + digits > line.Length || !uint.TryParse(Encoding.ASCII.GetString(line, i + 2, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint cp) || cp > 0x10FFFF)
                    throw Fail(CheckpointError.MalformedPickle, "UNICODE argument has a bad \\u escape");
                if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp);
                else sb.Append(char.ConvertFromUtf32((int)cp));
                i += 1 + digits;
            }
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    // Protocol 0 STRING: a quoted Python 2 repr, decoded as CPython's codecs.escape_decode does.
    private byte[] EscapeDecode(byte[] line)
    {
        if (line.Length < 2 || line[0] != line[^1] || line[0] is not ((byte)'\'' or (byte)'"'))
            throw Fail(CheckpointError.MalformedPickle, "STRING argument is not a quoted string");
        var output = new List<byte>(line.Length);
        for (int i = 1; i < line.Length - 1; i++)
        {
            byte b = line[i];
            if (b != '\\') { output.Add(b); continue; }
            if (++i >= line.Length - 1) throw Fail(CheckpointError.MalformedPickle, "STRING argument ends with a lone backslash");
            byte e = line[i];
            switch ((char)e)
            {
                case '\n': break;
                case '\\': output.Add((byte)'\\'); break;
                case '\'': output.Add((byte)'\''); break;
                case '"': output.Add((byte)'"'); break;
                case 'a': output.Add(7); break;
                case 'b': output.Add(8); break;
                case 'f': output.Add(12); break;
                case 'n': output.Add(10); break;
                case 'r': output.Add(13); break;
                case 't': output.Add(9); break;
                case 'v': output.Add(11); break;
                case 'x':
                    if (i + 2 >= line.Length || !byte.TryParse(Encoding.ASCII.GetString(line, i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte hx))
                        throw Fail(CheckpointError.MalformedPickle, "STRING argument has a bad \\x escape");
                    output.Add(hx);
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    {
                        int v = e - '0';
                        for (int k = 0; k < 2 && i + 1 < line.Length - 1 && line[i + 1] is >= (byte)'0' and <= (byte)'7'; k++) v = v * 8 + (line[++i] - '0');
                        output.Add((byte)v);
                        break;
                    }
                default: output.Add((byte)'\\'); output.Add(e); break;
            }
        }
        return [.. output];
    }
}
