using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;

namespace WeightPort.Formats;

/// <summary>
/// Writes tensors under the names given, in one of the formats WeightPort reads: a PyTorch zip that
/// <c>torch.load(weights_only=True)</c> accepts, safetensors, or TorchSharp's <c>Module.save</c> layout. Views of one
/// storage with the same output type are written once (PyTorch zip) or each in full (the other formats store no sharing).
/// </summary>
public static class CheckpointWriter
{
    /// <summary>The formats <see cref="Write(string, IEnumerable{TensorToWrite}, CheckpointFormat, bool, IEnumerable{KeyValuePair{string, string}}?)"/> writes.</summary>
    public static IReadOnlyList<CheckpointFormat> Formats { get; } = [CheckpointFormat.PyTorchZip, CheckpointFormat.Safetensors, CheckpointFormat.TorchSharp];

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> through a temporary file in the same folder that is
    /// renamed into place, so the file is either complete or not there.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">The tensors, in the order to write them.</param>
    /// <param name="format">One of <see cref="Formats"/>.</param>
    /// <param name="overwrite">Replace an existing file.</param>
    /// <param name="metadata">safetensors <c>__metadata__</c> entries; only for <see cref="CheckpointFormat.Safetensors"/>.</param>
    /// <exception cref="OutputExistsException"><paramref name="path"/> exists and <paramref name="overwrite"/> is false.</exception>
    /// <exception cref="ArgumentException">A format WeightPort does not write, metadata for a format without it, or duplicate names.</exception>
    /// <exception cref="IOException">Writing failed; an existing file is left as it was.</exception>
    public static void Write(string path, IEnumerable<TensorToWrite> tensors, CheckpointFormat format, bool overwrite = false,
        IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        Check(format, metadata);
        switch (format)
        {
            case CheckpointFormat.PyTorchZip: PyTorchZipWriter.Write(path, list, overwrite); break;
            case CheckpointFormat.Safetensors: SafetensorsWriter.Write(path, list, metadata, overwrite); break;
            default: TorchSharpWriter.Write(path, list, overwrite); break;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="destination"/>.</summary>
    /// <param name="destination">A writable stream; it is not closed.</param>
    /// <param name="tensors">The tensors, in the order to write them.</param>
    /// <param name="format">One of <see cref="Formats"/>.</param>
    /// <param name="metadata">safetensors <c>__metadata__</c> entries, or null; only for <see cref="CheckpointFormat.Safetensors"/>.</param>
    /// <exception cref="ArgumentException">A format WeightPort does not write, metadata for a format without it, or duplicate names.</exception>
    /// <exception cref="IOException">Writing to the stream failed.</exception>
    public static void Write(Stream destination, IEnumerable<TensorToWrite> tensors, CheckpointFormat format, IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tensors);
        Check(format, metadata);
        switch (format)
        {
            case CheckpointFormat.PyTorchZip: PyTorchZipWriter.Write(destination, tensors); break;
            case CheckpointFormat.Safetensors: SafetensorsWriter.Write(destination, tensors, metadata); break;
            default: TorchSharpWriter.Write(destination, tensors); break;
        }
    }

    private static void Check(CheckpointFormat format, IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        if (!Formats.Contains(format))
            throw new ArgumentException($"WeightPort writes {string.Join(", ", Formats)}, not {format}", nameof(format));
        if (metadata is not null && format != CheckpointFormat.Safetensors && metadata.Any())
            throw new ArgumentException($"only safetensors files carry metadata, not {format}", nameof(metadata));
    }
}
