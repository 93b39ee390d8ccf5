namespace WeightPort.Formats.Torch;

/// <summary>One record of a zip archive, as its central directory and local header describe it.</summary>
/// <param name="Name">The entry name.</param>
/// <param name="Method">0 = STORED, 8 = DEFLATE.</param>
/// <param name="Crc32">The central directory's CRC-32 (0 = not recorded, as torch's <c>set_crc32_options(False)</c> writes).</param>
/// <param name="CompressedSize">Bytes of (compressed) data in the file.</param>
/// <param name="Size">Bytes once inflated.</param>
/// <param name="LocalHeaderOffset">Where the local header starts.</param>
/// <param name="DataOffset">Where the data starts, computed from the local header's own name and extra lengths.</param>
internal sealed record ZipEntry(string Name, int Method, uint Crc32, long CompressedSize, long Size, long LocalHeaderOffset, long DataOffset)
{
    public const int Stored = 0;
    public const int Deflate = 8;
}
