using System.Globalization;
using System.Text;

namespace WeightPort;

/// <summary>
/// The one exception WeightPort throws for a bad input file (an <see cref="IOException"/>, since <see cref="InvalidDataException"/> is sealed). It names the file, where in it the problem is
/// (a byte offset, a key or both) and the reason in words a user understands.
/// </summary>
public sealed class CheckpointFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">The closed reason code.</param>
    /// <param name="reason">What is wrong, in plain words.</param>
    /// <param name="path">The file, when known.</param>
    /// <param name="offset">The byte offset in <paramref name="path"/> (or in <paramref name="entry"/>), when known.</param>
    /// <param name="key">The tensor key, dict key or record name concerned, when known.</param>
    /// <param name="entry">The archive entry or legacy pickle the offset is relative to, when not the whole file.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public CheckpointFormatException(CheckpointError error, string reason, string? path = null, long? offset = null,
        string? key = null, string? entry = null, Exception? inner = null)
        : base(Compose(error, reason, path, offset, key, entry), inner)
    {
        Error = error;
        Reason = reason;
        FilePath = path;
        Offset = offset;
        Key = key;
        Entry = entry;
    }

    /// <summary>The reason code.</summary>
    public CheckpointError Error { get; }
    /// <summary>The reason without the location prefix.</summary>
    public string Reason { get; }
    /// <summary>The file concerned, if known.</summary>
    public string? FilePath { get; }
    /// <summary>The byte offset, if known.</summary>
    public long? Offset { get; }
    /// <summary>The key concerned, if known.</summary>
    public string? Key { get; }
    /// <summary>The archive entry or sub-stream that <see cref="Offset"/> is relative to, if any.</summary>
    public string? Entry { get; }

    /// <summary>Returns a copy that carries <paramref name="path"/> when this one has none (readers of in-memory data do not know it).</summary>
    internal CheckpointFormatException WithPath(string path) =>
        FilePath is not null ? this : new CheckpointFormatException(Error, Reason, path, Offset, Key, Entry, InnerException);

    // "'file.pth' in 'archive/data.pkl' at offset 1,234 (key 'w'): reason [Error]": the file, then where in it, then why,
    // with exactly one colon before the reason whichever parts are known.
    private static string Compose(CheckpointError error, string reason, string? path, long? offset, string? key, string? entry)
    {
        var location = new List<string>(4);
        if (path is not null) location.Add($"'{path}'");
        if (entry is not null) location.Add($"in '{entry}'");
        if (offset is not null) location.Add("at offset " + offset.Value.ToString("N0", CultureInfo.InvariantCulture));
        if (key is not null) location.Add($"(key '{key}')");
        var sb = new StringBuilder();
        if (location.Count > 0) sb.AppendJoin(' ', location).Append(": ");
        sb.Append(reason);
        sb.Append(" [").Append(error).Append(']');
        return sb.ToString();
    }
}
