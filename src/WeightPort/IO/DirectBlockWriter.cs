using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace WeightPort.IO;

/// <summary>
/// Writes staging blocks to a file at their offsets, with direct I/O (<see cref="DirectIo"/>) for whole 4 KiB-aligned
/// blocks while <see cref="DirectWritePolicy"/> says the device keeps up, and buffered otherwise. The first unaligned
/// block (the file's tail, or anything after a flush) turns direct I/O off for the rest.
/// </summary>
internal sealed class DirectBlockWriter
{
    private readonly SafeFileHandle _file;
    private readonly DirectWritePolicy _policy;
    private bool _direct;
    private long _directBytes;

    public DirectBlockWriter(SafeFileHandle file, bool directIo, DirectWritePolicy policy)
    {
        _file = file;
        _policy = policy;
        _direct = directIo && DirectIo.TrySet(file, true);
    }

    /// <summary>How many bytes went to the file with direct I/O.</summary>
    public long DirectBytes => Volatile.Read(ref _directBytes);

    public void Write(StagingBlock block)
    {
        if (_direct && (block.Offset % DirectIo.Alignment != 0 || block.Length % DirectIo.Alignment != 0)) End();
        if (_direct)
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                RandomAccess.Write(_file, block.Data, block.Offset);
                Interlocked.Add(ref _directBytes, block.Length);
                _policy.WroteBlock(Stopwatch.GetTimestamp() - start);
                if (!_policy.KeepDirect) End();
                return;
            }
            catch (IOException)
            {
                // A file system that accepted O_DIRECT but refuses the write (or a device with larger blocks): the
                // same bytes again, buffered. A real I/O error fails again below and is reported from there.
                End();
            }
        }
        RandomAccess.Write(_file, block.Data, block.Offset);
    }

    /// <summary>Leaves the handle buffered for whoever uses it next (the caller may already have closed it).</summary>
    public void End()
    {
        if (!_direct || _file.IsClosed) return;
        DirectIo.TrySet(_file, false);
        _direct = false;
    }
}
