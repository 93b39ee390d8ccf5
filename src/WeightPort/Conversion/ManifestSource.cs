using WeightPort.IO;

namespace WeightPort.Conversion;

/// <summary>The converted file: path, size and SHA-256 (lower-case hex).</summary>
internal sealed record ManifestSource(string Path, long Size, string Sha256)
{
    /// <summary>Hashes <paramref name="path"/> (streamed).</summary>
    public static ManifestSource FromFile(string path)
    {
        var (length, sha) = FileHash.Sha256(path);
        return new ManifestSource(path, length, sha);
    }
}
