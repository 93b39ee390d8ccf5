using WeightPort.Formats.Pickle;
using WeightPort.Formats.Torch;
using WeightPort.IO;

namespace WeightPort.Formats;

/// <summary>Opens any checkpoint WeightPort reads, detecting its format from its bytes.</summary>
public static class CheckpointReader
{
    /// <summary>
    /// Opens <paramref name="path"/>: a PyTorch zip, legacy or tar checkpoint, a safetensors or TorchSharp file, or a
    /// plain pickle (<see cref="CheckpointFormat.Pickle"/>, no tensors). The file is memory-mapped; only headers and
    /// pickles are read, tensor bytes stay in place until asked for. Dispose the result to release the mapping.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">How to treat non-allowlisted globals; <see cref="CheckpointReadOptions.Default"/> (strict) when null.</param>
    /// <exception cref="CheckpointFormatException">The file is not a readable checkpoint; the message names the file, where and why
    /// (a Git LFS pointer, an image, a truncated zip, a non-allowlisted global …).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static Checkpoint Open(string path, CheckpointReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= CheckpointReadOptions.Default;
        return OpenMapped(path, (source, p) => Read(source, p, options));
    }

    /// <summary>
    /// Maps <paramref name="path"/> and hands it to <paramref name="read"/>; the returned checkpoint owns the mapping,
    /// which is released if reading fails. Errors carry the path.
    /// </summary>
    internal static Checkpoint OpenMapped(string path, Func<ByteSource, string, Checkpoint> read)
    {
        var source = MappedFileSource.Open(path);
        try
        {
            return read(source, path);
        }
        catch (CheckpointFormatException e)
        {
            source.Dispose();
            throw e.WithPath(path);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a checkpoint from <paramref name="source"/> (which the returned checkpoint then owns); <paramref name="path"/>
    /// names it in messages.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The bytes are not a readable checkpoint.</exception>
    internal static Checkpoint Read(ByteSource source, string path, CheckpointReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= CheckpointReadOptions.Default;
        try
        {
            return FormatSniffer.Sniff(source) switch
            {
                SniffedFormat.Zip => ZipCheckpointReader.Read(source, path, options),
                SniffedFormat.Legacy => LegacyCheckpointReader.Read(source, path, options),
                SniffedFormat.Tar => TarCheckpointReader.Read(source, path, options),
                SniffedFormat.Safetensors => Safetensors.SafetensorsReader.Read(source, path),
                SniffedFormat.TorchSharp => TorchSharp.TorchSharpReader.Read(source, path),
                _ => ReadPlainPickle(source, path, options),
            };
        }
        catch (CheckpointFormatException e)
        {
            throw e.WithPath(path);
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            // A range, view or size check below the format readers: still a bad file, never an API misuse here.
            throw new CheckpointFormatException(CheckpointError.MalformedArchive, e.Message, path, inner: e);
        }
    }

    private static Checkpoint ReadPlainPickle(ByteSource source, string path, CheckpointReadOptions options)
    {
        if (source.Length > int.MaxValue) throw new CheckpointFormatException(CheckpointError.LimitExceeded, $"a plain pickle of {source.Length:N0} bytes is over 2 GiB");
        string entry = Path.GetFileName(path);
        var u = new Unpickler(entry, 0, null, persistentLoad: null);
        var span = source.GetSpan(0, (int)source.Length);
        var root = u.Load(span, out int end);
        if (end != span.Length)
            throw new CheckpointFormatException(CheckpointError.MalformedPickle, $"{span.Length - end:N0} bytes follow the pickle's STOP", offset: end, entry: entry);
        var (_, unsafeGlobals) = CheckpointFlattener.Flatten(root, u.Globals, options, PickleLimits.Default.MaxNestingDepth);
        return new Checkpoint(path, CheckpointFormat.Pickle, [], root, unsafeGlobals,
            new Dictionary<string, string> { ["protocol"] = u.Protocol.ToString(System.Globalization.CultureInfo.InvariantCulture) }, source);
    }
}
