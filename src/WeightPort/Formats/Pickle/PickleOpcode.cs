namespace WeightPort.Formats.Pickle;

/// <summary>Pickle opcodes; each value is the byte on the wire (CPython <c>Lib/pickle.py</c>).</summary>
internal enum PickleOpcode : byte
{
    /// <summary><c>(</c> push a mark.</summary>
    Mark = (byte)'(',
    /// <summary><c>.</c> end of pickle.</summary>
    Stop = (byte)'.',
    /// <summary><c>0</c> discard the top of the stack.</summary>
    Pop = (byte)'0',
    /// <summary><c>1</c> discard the stack down to the topmost mark.</summary>
    PopMark = (byte)'1',
    /// <summary><c>2</c> duplicate the top of the stack.</summary>
    Dup = (byte)'2',
    /// <summary><c>F</c> text float.</summary>
    Float = (byte)'F',
    /// <summary><c>I</c> text int (or bool <c>01</c>/<c>00</c>).</summary>
    Int = (byte)'I',
    /// <summary><c>J</c> 4-byte signed int.</summary>
    BinInt = (byte)'J',
    /// <summary><c>K</c> 1-byte unsigned int.</summary>
    BinInt1 = (byte)'K',
    /// <summary><c>L</c> text long.</summary>
    Long = (byte)'L',
    /// <summary><c>M</c> 2-byte unsigned int.</summary>
    BinInt2 = (byte)'M',
    /// <summary><c>N</c> None.</summary>
    None = (byte)'N',
    /// <summary><c>P</c> text persistent id.</summary>
    PersId = (byte)'P',
    /// <summary><c>Q</c> persistent id from the stack.</summary>
    BinPersId = (byte)'Q',
    /// <summary><c>R</c> call a callable with an argument tuple.</summary>
    Reduce = (byte)'R',
    /// <summary><c>S</c> text (Python 2) string.</summary>
    String = (byte)'S',
    /// <summary><c>T</c> 4-byte-length Python 2 string.</summary>
    BinString = (byte)'T',
    /// <summary><c>U</c> 1-byte-length Python 2 string.</summary>
    ShortBinString = (byte)'U',
    /// <summary><c>V</c> raw-unicode-escape text string.</summary>
    Unicode = (byte)'V',
    /// <summary><c>X</c> 4-byte-length UTF-8 string.</summary>
    BinUnicode = (byte)'X',
    /// <summary><c>a</c> append to a list.</summary>
    Append = (byte)'a',
    /// <summary><c>b</c> set state.</summary>
    Build = (byte)'b',
    /// <summary><c>c</c> text global.</summary>
    Global = (byte)'c',
    /// <summary><c>d</c> dict from marked items.</summary>
    Dict = (byte)'d',
    /// <summary><c>}</c> empty dict.</summary>
    EmptyDict = (byte)'}',
    /// <summary><c>e</c> extend a list with marked items.</summary>
    Appends = (byte)'e',
    /// <summary><c>g</c> text memo get.</summary>
    Get = (byte)'g',
    /// <summary><c>h</c> 1-byte memo get.</summary>
    BinGet = (byte)'h',
    /// <summary><c>i</c> build a class instance (text).</summary>
    Inst = (byte)'i',
    /// <summary><c>j</c> 4-byte memo get.</summary>
    LongBinGet = (byte)'j',
    /// <summary><c>l</c> list from marked items.</summary>
    List = (byte)'l',
    /// <summary><c>]</c> empty list.</summary>
    EmptyList = (byte)']',
    /// <summary><c>o</c> build a class instance from marked items.</summary>
    Obj = (byte)'o',
    /// <summary><c>p</c> text memo put.</summary>
    Put = (byte)'p',
    /// <summary><c>q</c> 1-byte memo put.</summary>
    BinPut = (byte)'q',
    /// <summary><c>r</c> 4-byte memo put.</summary>
    LongBinPut = (byte)'r',
    /// <summary><c>s</c> set one dict item.</summary>
    SetItem = (byte)'s',
    /// <summary><c>t</c> tuple from marked items.</summary>
    Tuple = (byte)'t',
    /// <summary><c>)</c> empty tuple.</summary>
    EmptyTuple = (byte)')',
    /// <summary><c>u</c> set marked dict items.</summary>
    SetItems = (byte)'u',
    /// <summary><c>G</c> 8-byte big-endian float.</summary>
    BinFloat = (byte)'G',
    /// <summary>Protocol 2: protocol version.</summary>
    Proto = 0x80,
    /// <summary>Protocol 2: <c>cls.__new__(cls, *args)</c>.</summary>
    NewObj = 0x81,
    /// <summary>Protocol 2: extension registry, 1-byte code.</summary>
    Ext1 = 0x82,
    /// <summary>Protocol 2: extension registry, 2-byte code.</summary>
    Ext2 = 0x83,
    /// <summary>Protocol 2: extension registry, 4-byte code.</summary>
    Ext4 = 0x84,
    /// <summary>Protocol 2: 1-tuple.</summary>
    Tuple1 = 0x85,
    /// <summary>Protocol 2: 2-tuple.</summary>
    Tuple2 = 0x86,
    /// <summary>Protocol 2: 3-tuple.</summary>
    Tuple3 = 0x87,
    /// <summary>Protocol 2: True.</summary>
    NewTrue = 0x88,
    /// <summary>Protocol 2: False.</summary>
    NewFalse = 0x89,
    /// <summary>Protocol 2: int of 1-byte length, little-endian two's complement.</summary>
    Long1 = 0x8a,
    /// <summary>Protocol 2: int of 4-byte length.</summary>
    Long4 = 0x8b,
    /// <summary>Protocol 3: bytes of 4-byte length.</summary>
    BinBytes = (byte)'B',
    /// <summary>Protocol 3: bytes of 1-byte length.</summary>
    ShortBinBytes = (byte)'C',
    /// <summary>Protocol 4: str of 1-byte length.</summary>
    ShortBinUnicode = 0x8c,
    /// <summary>Protocol 4: str of 8-byte length.</summary>
    BinUnicode8 = 0x8d,
    /// <summary>Protocol 4: bytes of 8-byte length.</summary>
    BinBytes8 = 0x8e,
    /// <summary>Protocol 4: empty set.</summary>
    EmptySet = 0x8f,
    /// <summary>Protocol 4: add marked items to a set.</summary>
    AddItems = 0x90,
    /// <summary>Protocol 4: frozenset from marked items.</summary>
    FrozenSet = 0x91,
    /// <summary>Protocol 4: <c>cls.__new__(cls, *args, **kwargs)</c>.</summary>
    NewObjEx = 0x92,
    /// <summary>Protocol 4: global from two stack strings.</summary>
    StackGlobal = 0x93,
    /// <summary>Protocol 4: memo put at the next index.</summary>
    Memoize = 0x94,
    /// <summary>Protocol 4: frame of an 8-byte length.</summary>
    Frame = 0x95,
    /// <summary>Protocol 5: bytearray of 8-byte length.</summary>
    ByteArray8 = 0x96,
    /// <summary>Protocol 5: out-of-band buffer.</summary>
    NextBuffer = 0x97,
    /// <summary>Protocol 5: make the top buffer read-only.</summary>
    ReadOnlyBuffer = 0x98,
}
