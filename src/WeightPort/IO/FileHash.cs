using System.Buffers;
using System.Security.Cryptography;

namespace WeightPort.IO;

/// <summary>SHA-256 of whole files, for manifests.</summary>
internal static class FileHash
{
    // Stream-based hashing reads 4 KiB at a time: 54,000 system calls for a WT103 checkpoint, about as much time as
    // the hashing itself. One large buffer makes it a handful.
    private const int ChunkBytes = 1 << 20;

    /// <summary>Hashes <paramref name="path"/>; returns its length and its SHA-256 as lower-case hex.</summary>
    /// <exception cref="IOException">The file cannot be read, or shrank while it was read.</exception>
    public static (long Length, string Sha256) Sha256(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = RandomAccess.GetLength(handle);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (long done = 0; done < length;)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(ChunkBytes, length - done)), done);
                if (n <= 0) throw new IOException($"'{path}' ended at byte {done:N0} while hashing it; {length:N0} bytes were expected (did it shrink?)");
                hash.AppendData(buffer, 0, n);
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
