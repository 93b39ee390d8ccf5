using WeightPort.Tensors;

namespace WeightPort.Formats.Pickle;

/// <summary>
/// Whether bytes look like a pickle, and a forgiving run of one for the scanner and for the parts of a file that torch
/// does not load: every global is named even when the pickle breaks off partway.
/// </summary>
internal static class PickleSniff
{
    /// <summary>
    /// True for a PROTO opcode (protocols 2 to 5 start with one), or for what protocols 0 and 1 start with (MARK,
    /// an empty container, GLOBAL, INST, a scalar) when the last byte is STOP.
    /// </summary>
    public static bool LooksLikePickle(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 2 && ((bytes[0] == (byte)PickleOpcode.Proto && bytes[1] <= 5) || (IsProtocol0Start(bytes[0]) && bytes[^1] == (byte)'.'));

    /// <summary>The opcodes a protocol 0 or 1 pickle starts with, in practice.</summary>
    public static bool IsProtocol0Start(byte b) => b is (byte)'(' or (byte)']' or (byte)'}' or (byte)')' or (byte)'c' or (byte)'l'
        or (byte)'d' or (byte)'N' or (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'V' or (byte)'i';

    /// <summary>
    /// Runs the pickle in <paramref name="data"/> as far as it goes, with every persistent id standing for an empty
    /// storage (a scan binds nothing). <paramref name="error"/> says where it broke off, if it did; the unpickler still
    /// holds every global named before that.
    /// </summary>
    /// <param name="data">The bytes, starting with the pickle.</param>
    /// <param name="entry">The part's name, for the globals and errors.</param>
    /// <param name="baseOffset">Where <paramref name="data"/> starts in the part's coordinates.</param>
    /// <param name="limits">Bounds; the defaults when null.</param>
    /// <param name="root">The object, when the pickle reached STOP.</param>
    /// <param name="end">The index after STOP.</param>
    /// <param name="error">Why it broke off, if it did.</param>
    /// <param name="persistentIds">Sees each persistent id (the scanner learns which zip records are storages).</param>
    public static Unpickler Run(ReadOnlySpan<byte> data, string entry, long baseOffset, PickleLimits? limits,
        out PickleValue? root, out int end, out CheckpointFormatException? error, Action<PickleValue>? persistentIds = null)
    {
        var u = new Unpickler(entry, baseOffset, limits, (id, _) =>
        {
            persistentIds?.Invoke(id);
            return new PickleStorage("?", DType.UInt8, 0, "cpu", untyped: true);
        });
        root = null;
        end = 0;
        error = null;
        try
        {
            root = u.Load(data, out end);
        }
        catch (CheckpointFormatException e)
        {
            error = e;
        }
        return u;
    }

    /// <summary>Every global of the pickle in <paramref name="data"/>, as far as it runs.</summary>
    public static List<PickleGlobal> GlobalsOf(ReadOnlySpan<byte> data, string entry, long baseOffset, PickleLimits? limits, out CheckpointFormatException? error) =>
        Run(data, entry, baseOffset, limits, out _, out _, out error).Globals;
}
