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
    /// (a directory, a Git LFS pointer, an image, a truncated zip, a non-allowlisted global …).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist (nor does its directory).</exception>
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
        var source = OpenFile(path);
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
    /// Maps <paramref name="path"/>. A directory is a bad input like any other (a <see cref="CheckpointFormatException"/>);
    /// a missing file is a <see cref="FileNotFoundException"/>, whether its directory exists or not.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The path is a directory.</exception>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    internal static MappedFileSource OpenFile(string path)
    {
        if (Directory.Exists(path))
            throw new CheckpointFormatException(CheckpointError.NotACheckpoint, "this is a directory, not a checkpoint", path);
        try
        {
            return MappedFileSource.Open(path);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"'{path}' does not exist", path, e);
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
        var format = SniffedFormat.Safetensors;
        try
        {
            format = FormatSniffer.Sniff(source);
            var checkpoint = format switch
            {
                SniffedFormat.Zip => ZipCheckpointReader.Read(source, path, options),
                SniffedFormat.Legacy => LegacyCheckpointReader.Read(source, path, options),
                SniffedFormat.Tar => TarCheckpointReader.Read(source, path, options),
                SniffedFormat.Safetensors => Safetensors.SafetensorsReader.Read(source, path),
                SniffedFormat.TorchSharp => TorchSharp.TorchSharpReader.Read(source, path),
                _ => ReadPlainPickle(source, path, options),
            };
            // A report lists what the readers never meet too: pickles nested in bytes, parts no reader builds from.
            if (options.ReportUnsafeGlobals && HasPickles(format)) checkpoint.AddScanFindings(CheckpointScanner.Scan(source, path, paths: false).Findings);
            return checkpoint;
        }
        catch (CheckpointFormatException e) when (IsMalformed(e.Error) && HasPickles(format) && CalledInside(source, path) is { } call)
        {
            // The file is malformed, but it also calls something (a payload behind a zip trick, a broken legacy stack):
            // that is what the user must hear first.
            throw new CheckpointFormatException(CheckpointError.UnsafeGlobal,
                $"'{call.FullName}' is {(call.Use == UnsafeGlobalUse.Called ? "called" : "modified")}" +
                $"{(call.Path.Length > 0 ? $" under '{call.Path}'" : "")}: a pickle that calls a function outside the allowlist runs code when torch.load opens it. " +
                $"WeightPort never imports or calls it; {CheckpointReadOptions.ReportUnsafeGlobalsOption} lists every callable. The file is also malformed: {e.Message}",
                path, call.Offset, call.Path.Length > 0 ? call.Path : null, call.Entry, e);
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

    // Says what the file is instead of failing on its first byte as an opcode.
    internal static CheckpointFormatException NotAPickle(ByteSource source)
    {
        string what;
        try
        {
            what = FormatSniffer.Sniff(source) switch
            {
                SniffedFormat.Zip or SniffedFormat.Legacy or SniffedFormat.Tar => "it is a PyTorch checkpoint",
                SniffedFormat.Safetensors => "it is a safetensors file",
                SniffedFormat.TorchSharp => "it is a TorchSharp file",
                _ => "it does not end with STOP: truncated?",
            };
        }
        catch (CheckpointFormatException e) when (e.Error == CheckpointError.NotACheckpoint)
        {
            what = e.Reason.StartsWith("this is a text file", StringComparison.Ordinal) ? "it looks like text"
                : e.Reason.Replace("this is ", "it is ", StringComparison.Ordinal).Split(", not ")[0];
        }
        catch (CheckpointFormatException e)
        {
            what = e.Reason;
        }
        return new CheckpointFormatException(CheckpointError.NotACheckpoint, $"not a pickle ({what})", offset: 0);
    }

    // What a zip or pickle trick breaks. Not a refusal by design (TorchScript, a wrong magic number), which says it all,
    // nor a limit (a bomb would only be walked again).
    private static bool IsMalformed(CheckpointError error) => error is CheckpointError.MalformedArchive or CheckpointError.MalformedPickle
        or CheckpointError.Truncated or CheckpointError.UnsupportedOpcode;

    private static bool HasPickles(SniffedFormat format) => format is SniffedFormat.Zip or SniffedFormat.Legacy or SniffedFormat.Tar or SniffedFormat.Pickle;

    // The first call or modification any pickle of the file makes, as the scanner finds it.
    private static UnsafeGlobal? CalledInside(ByteSource source, string path) =>
        CheckpointScanner.Scan(source, path, paths: false).Findings.FirstOrDefault(f => f.Use >= UnsafeGlobalUse.Modified);

    private static Checkpoint ReadPlainPickle(ByteSource source, string path, CheckpointReadOptions options)
    {
        if (source.Length > int.MaxValue) throw new CheckpointFormatException(CheckpointError.LimitExceeded, $"a plain pickle of {source.Length:N0} bytes is over 2 GiB");
        string entry = Path.GetFileName(path);
        var u = new Unpickler(entry, 0, null, persistentLoad: null);
        var span = source.GetSpan(0, (int)source.Length);
        var root = u.Load(span, out int end);
        // A pickle followed by another is the legacy format's stack of pickles, whatever the first one holds: its magic
        // number may be forged by a call (the magic-number bypass), which the legacy reader names.
        if (end != span.Length && span[end] == 0x80) return LegacyCheckpointReader.Read(source, path, options);
        if (end != span.Length)
            throw new CheckpointFormatException(CheckpointError.MalformedPickle, $"{span.Length - end:N0} bytes follow the pickle's STOP", offset: end, entry: entry);
        var (_, unsafeGlobals) = CheckpointFlattener.Flatten(root, u.Globals, options, PickleLimits.Default.MaxNestingDepth);
        return new Checkpoint(path, CheckpointFormat.Pickle, [], root, unsafeGlobals,
            new Dictionary<string, string> { ["protocol"] = u.Protocol.ToString(System.Globalization.CultureInfo.InvariantCulture) }, source);
    }
}
