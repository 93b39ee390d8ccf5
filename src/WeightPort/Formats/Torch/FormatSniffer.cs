using System.Buffers.Binary;
using System.Text;
using WeightPort.Formats.Pickle;
using WeightPort.IO;
using WeightPort.Tensors;

namespace WeightPort.Formats.Torch;

/// <summary>
/// Decides a file's format from its leading bytes (docs/formats.md §1), and names the common things that are not
/// checkpoints (Git LFS pointers, images, archives, text) precisely instead of failing on a confusing pickle opcode.
/// </summary>
internal static class FormatSniffer
{
    private const int MaxSafetensorsHeader = 100_000_000;

    public static SniffedFormat Sniff(ByteSource source)
    {
        long length = source.Length;
        if (length == 0) throw NotACheckpoint("the file is empty (0 bytes)");
        var head = source.GetSpan(0, (int)Math.Min(length, 1024));

        if (head.StartsWith("PK\x03\x04"u8)) return SniffedFormat.Zip;
        if (head.StartsWith("PK\x05\x06"u8)) throw NotACheckpoint("this is an empty zip archive, not a PyTorch checkpoint");
        if (head.StartsWith(Torch.LegacyCheckpointReader.MagicPickle)) return SniffedFormat.Legacy;
        if (TarCheckpointReader.LooksLikeTar(source)) return SniffedFormat.Tar;
        if (head.StartsWith("version https://git-lfs"u8))
            throw NotACheckpoint("this is a Git LFS pointer, not a checkpoint: run `git lfs pull` to fetch the real file");
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) throw NotACheckpoint("this is a PNG image, not a checkpoint");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) throw NotACheckpoint("this is a JPEG image, not a checkpoint");
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B])) throw NotACheckpoint("this is a gzip-compressed file, not a checkpoint: decompress it first (gunzip)");
        if (head.StartsWith("PYTORCH1"u8)) throw new CheckpointFormatException(CheckpointError.UnsupportedFormat, "this is a PyTorch preview-format file (PYTORCH1), which torch itself no longer reads");
        if (head.StartsWith("GGUF"u8)) throw NotACheckpoint("this is a GGUF file (llama.cpp), not a PyTorch checkpoint");
        if (head.StartsWith((ReadOnlySpan<byte>)[0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])) throw NotACheckpoint("this is a NumPy .npy array, not a checkpoint");
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x48, 0x44, 0x46])) throw NotACheckpoint("this is an HDF5 file (Keras?), not a PyTorch checkpoint");

        if (length >= 9 && head.Length >= 9)
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (n >= 2 && n <= MaxSafetensorsHeader && (long)n <= length - 8 && head[8] == (byte)'{') return SniffedFormat.Safetensors;
        }
        // Protocol 0/1 pickles are printable text: an opcode first and STOP last tells them from prose.
        if (PickleSniff.IsProtocol0Start(head[0]) && source.GetSpan(length - 1, 1)[0] == (byte)'.')
            return SniffedFormat.Pickle;
        if (LooksLikeText(head))
        {
            var text = Encoding.UTF8.GetString(head[..Math.Min(head.Length, 200)]).TrimStart();
            if (text.StartsWith("<!DOCTYPE html", StringComparison.OrdinalIgnoreCase) || text.StartsWith("<html", StringComparison.OrdinalIgnoreCase))
                throw NotACheckpoint("this is an HTML page (a download that returned a web page?), not a checkpoint");
            if (text.StartsWith('{') || text.StartsWith('['))
                throw NotACheckpoint("this is a JSON text file, not a checkpoint");
            throw NotACheckpoint("this is a text file, not a checkpoint");
        }
        // Text was ruled out above (a TorchSharp file has control bytes in its first record).
        // A TorchSharp count of 128..255 entries starts 80 01, like PROTO 1; the name that follows tells them apart.
        if (LooksLikeTorchSharp(head, length) || LooksLikeTorchSharpTensor(head, length)) return SniffedFormat.TorchSharp;
        if (head[0] == 0x80 && head.Length >= 2 && head[1] <= 5) return SniffedFormat.Pickle;
        throw new CheckpointFormatException(CheckpointError.UnsupportedFormat,
            $"unrecognised leading bytes {Convert.ToHexString(head[..Math.Min(head.Length, 8)])}: not a PyTorch, safetensors or TorchSharp file");
    }

    // TorchSharp Module.save: LEB128 entry count, then per entry a LEB128-length UTF-8 name (docs/formats.md §8.1).
    private static bool LooksLikeTorchSharp(ReadOnlySpan<byte> head, long length)
    {
        int i = 0;
        if (!Leb(head, ref i, out ulong count) || count > 1_000_000) return false;
        if (count == 0) return length == i;
        if (!Leb(head, ref i, out ulong nameLen) || nameLen == 0 || nameLen > 4096) return false;
        if (i + (long)nameLen > head.Length) return false;
        var name = head.Slice(i, (int)nameLen);
        foreach (byte b in name) if (b < 0x20 || b == 0x7F) return false;
        return true;
    }

    // TorchSharp Tensor.Save: LEB128 dtype, rank, dims, then exactly numel × element size bytes.
    private static bool LooksLikeTorchSharpTensor(ReadOnlySpan<byte> head, long length)
    {
        int i = 0;
        if (!Leb(head, ref i, out ulong code) || !DTypes.TryFromTorchSharpCode((long)code, out DType dtype)) return false;
        if (!Leb(head, ref i, out ulong rank) || rank > 64) return false;
        ulong numel = 1;
        for (ulong d = 0; d < rank; d++)
        {
            if (!Leb(head, ref i, out ulong dim) || dim > (ulong)length) return false;
            numel *= dim;
            if (numel > (ulong)length) return false;
        }
        return (ulong)i + numel * (ulong)dtype.ElementSize() == (ulong)length;
    }

    private static bool Leb(ReadOnlySpan<byte> s, ref int i, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 63 && i < s.Length; shift += 7)
        {
            byte b = s[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
        {
            if (b == 0 || (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t'))) return false;
        }
        return true;
    }

    private static CheckpointFormatException NotACheckpoint(string reason) => new(CheckpointError.NotACheckpoint, reason);
}
