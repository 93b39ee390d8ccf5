using System.Security.Cryptography;

namespace WeightPort.Fastai;

/// <summary>The converted file: path, size and SHA-256 (lower-case hex).</summary>
public sealed record ManifestSource(string Path, long Size, string Sha256)
{
    /// <summary>Hashes <paramref name="path"/> (streamed).</summary>
    public static ManifestSource FromFile(string path)
    {
        using var stream = File.OpenRead(path);
        return new ManifestSource(path, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
