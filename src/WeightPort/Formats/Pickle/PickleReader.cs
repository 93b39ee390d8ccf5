namespace WeightPort.Formats.Pickle;

/// <summary>
/// Reads plain pickle files (not torch checkpoints) into a <see cref="PickleValue"/> tree, safely: globals stay names,
/// only allowlisted constructors (set, bytearray, OrderedDict …) are interpreted, nothing is executed.
/// </summary>
internal static class PickleReader
{
    /// <summary>Reads one pickle that must fill <paramref name="data"/> exactly (trailing bytes are refused).</summary>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="entry">A name for error messages.</param>
    /// <param name="limits">Bounds; <see cref="PickleLimits.Default"/> when null.</param>
    /// <exception cref="CheckpointFormatException">The bytes are not a well-formed pickle within the limits.</exception>
    public static PickleValue Read(ReadOnlySpan<byte> data, string entry = "<pickle>", PickleLimits? limits = null)
    {
        var u = new Unpickler(entry, 0, limits, persistentLoad: null);
        var root = u.Load(data, out int end);
        if (end != data.Length)
            throw new CheckpointFormatException(CheckpointError.MalformedPickle,
                $"{data.Length - end:N0} bytes follow the pickle's STOP", offset: end, entry: entry);
        return root;
    }

    /// <summary>Reads the pickle file at <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">The file is not a well-formed pickle.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static PickleValue ReadFile(string path, PickleLimits? limits = null)
    {
        using var source = CheckpointReader.OpenFile(path);
        try
        {
            if (source.Length > int.MaxValue)
                throw new CheckpointFormatException(CheckpointError.LimitExceeded, $"pickle of {source.Length:N0} bytes is over 2 GiB");
            var data = source.GetSpan(0, (int)source.Length);
            if (!PickleSniff.LooksLikePickle(data)) throw CheckpointReader.NotAPickle(source);
            return Read(data, Path.GetFileName(path), limits);
        }
        catch (CheckpointFormatException e)
        {
            throw e.WithPath(path);
        }
    }

    /// <summary>
    /// Reads a pickled <c>list[str]</c> (a fastai <c>itos.pkl</c> vocabulary, protocols 0–5).
    /// </summary>
    /// <exception cref="CheckpointFormatException">The file is not a pickle, or its object is not a list of str (<see cref="CheckpointError.InvalidContent"/>).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IReadOnlyList<string> ReadStringList(string path, PickleLimits? limits = null)
    {
        try
        {
            return ToStringList(ReadFile(path, limits));
        }
        catch (CheckpointFormatException e)
        {
            throw e.WithPath(path);
        }
    }

    /// <summary>Reads a pickled <c>list[str]</c> from memory.</summary>
    /// <exception cref="CheckpointFormatException">Not a pickle, or not a list of str.</exception>
    public static IReadOnlyList<string> ReadStringList(ReadOnlySpan<byte> data, string entry = "<pickle>", PickleLimits? limits = null) =>
        ToStringList(Read(data, entry, limits));

    private static string[] ToStringList(PickleValue value)
    {
        IReadOnlyList<PickleValue> items = value switch
        {
            PickleList l => l.Items,
            PickleTuple t => t.Items,
            _ => throw new CheckpointFormatException(CheckpointError.InvalidContent, $"the pickle holds {value.Described}, not a list of str"),
        };
        var result = new string[items.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = items[i] is PickleString s ? s.Value
                : throw new CheckpointFormatException(CheckpointError.InvalidContent, $"item {i} of the list is {items[i].Described}, not a str");
        }
        return result;
    }
}
