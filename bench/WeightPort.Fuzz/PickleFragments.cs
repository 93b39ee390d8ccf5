using System.Buffers.Binary;
using System.Text;

namespace WeightPort.Fuzz;

/// <summary>
/// Stack- and memo-neutral pickle fragments that stress the unpickler and the flattener: deep nesting of lists,
/// tuples, marks and dicts (with long memoized keys), tuple keys, self-reference and exponential sharing. Each pushes
/// exactly one value: followed by POP it can go at any opcode boundary; followed by TUPLE2 just before STOP it becomes
/// part of the object tree, (root, fragment), which the flattener then walks.
/// </summary>
public static class PickleFragments
{
    private const uint Memo = 0x7FF0;
    private static readonly int[] Counts = [16, 1000, 4096, 9990, 10_001, 30_000];

    /// <summary>A fragment that pushes one value; <paramref name="log"/> says which.</summary>
    public static byte[] Make(FuzzRandom rng, StringBuilder log)
    {
        int n = rng.Pick(Counts);
        var b = new List<byte>();
        void Add(params byte[] bytes) => b.AddRange(bytes);
        void Repeat(byte[] unit, int times) { for (int i = 0; i < times; i++) b.AddRange(unit); }
        byte[] memoPut = Op4('r', Memo), memoGet = Op4('j', Memo);
        int kind = rng.Next(8);
        switch (kind)
        {
            case 0: // nested lists
                Repeat("]"u8.ToArray(), n); Repeat("a"u8.ToArray(), n - 1);
                break;
            case 1: // nested tuples
                Add((byte)')'); Repeat([0x85], n);
                break;
            case 2: // nested marks
                Repeat("("u8.ToArray(), n); Repeat("t"u8.ToArray(), n);
                break;
            case 3: // nested dicts under one long memoized key
                {
                    int keyLength = rng.Pick([1, 64, 2000]);
                    Add((byte)'X'); Add(Le32(keyLength)); Repeat("k"u8.ToArray(), keyLength); Add(memoPut); Add((byte)'0');
                    Add((byte)'}');
                    Repeat([(byte)'(', .. memoGet, (byte)'}'], n);
                    Repeat("u"u8.ToArray(), n);
                    break;
                }
            case 4: // a deep tuple used as a dict key, then a value under it
                Add((byte)'}', (byte)'(', (byte)')'); Repeat([0x85], n); Add((byte)']', (byte)'u');
                break;
            case 5: // a list that holds itself
                Add((byte)']'); Add(memoPut); Add(memoGet); Add((byte)'a');
                break;
            case 6: // exponential sharing: L(k+1) = [L(k), L(k)]
                n = Math.Min(n, 24 + rng.Next(40));
                Add((byte)']'); Add(memoPut); Add((byte)'0');
                Repeat([(byte)'(', .. memoGet, .. memoGet, (byte)'l', .. memoPut, (byte)'0'], n);
                Add(memoGet);
                break;
            default: // a tall stack
                Repeat("N"u8.ToArray(), n); Repeat("0"u8.ToArray(), n - 1);
                break;
        }
        log.Append(" pickle-fragment#").Append(kind).Append('×').Append(n);
        return [.. b];
    }

    private static byte[] Op4(char op, uint value)
    {
        var b = new byte[5];
        b[0] = (byte)op;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(1), value);
        return b;
    }

    private static byte[] Le32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return b;
    }
}
