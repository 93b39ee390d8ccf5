using WeightPort.IO;

namespace WeightPort.Conversion;

/// <summary>The written file: path, format name (<c>safetensors</c>, <c>torchsharp</c>, <c>pth</c>), size and SHA-256. Filled in by the caller after writing.</summary>
internal sealed record ManifestOutput(string Path, string Format, long Size, string Sha256)
{
    /// <summary>Hashes the written <paramref name="path"/> (streamed).</summary>
    public static ManifestOutput FromFile(string path, string format)
    {
        var (length, sha) = FileHash.Sha256(path);
        return new ManifestOutput(path, format, length, sha);
    }
}
