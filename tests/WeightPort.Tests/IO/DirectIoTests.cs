using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>What <see cref="HashingWriteStream"/> relies on about O_DIRECT.</summary>
public sealed class DirectIoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-directio").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public void Flag_TurnsOnAndOff()
    {
        using var handle = File.OpenHandle(Path.Combine(_dir, "f.bin"), FileMode.CreateNew, FileAccess.Write);
        Skip.IfNot(DirectIo.TrySet(handle, true), "O_DIRECT is not available here");
        Assert.True(DirectIo.IsSet(handle));
        Assert.True(DirectIo.TrySet(handle, false));
        Assert.False(DirectIo.IsSet(handle));
    }

    [SkippableFact]
    public void RefusedDirectWrite_IsAnIOException_WhichTheStreamRetriesBuffered()
    {
        // HashingWriteStream catches IOException from a direct write and writes the block again, buffered. An
        // unaligned length is the sure way to have the kernel refuse one (EINVAL).
        string path = Path.Combine(_dir, "unaligned.bin");
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        Skip.IfNot(DirectIo.TrySet(handle, true), "O_DIRECT is not available here");
        var data = new byte[100];
        Assert.ThrowsAny<IOException>(() => RandomAccess.Write(handle, data, 0));
        Assert.True(DirectIo.TrySet(handle, false));
        RandomAccess.Write(handle, data, 0);
        Assert.Equal(100, new FileInfo(path).Length);
    }
}
