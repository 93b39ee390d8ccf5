using WeightPort.IO;
using Xunit;

namespace WeightPort.Tests.IO;

public sealed class AtomicFileWriterTests : IDisposable
{
    private readonly string _dir = TestTensors.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Commit_NewTarget_WritesContentAndLeavesNoTempFile()
    {
        string target = Path.Combine(_dir, "model.pth");
        using (var w = AtomicFileWriter.Create(target))
        {
            Assert.Equal(_dir, Path.GetDirectoryName(w.TempPath));
            Assert.Matches(@"^\.model\.pth\.[0-9]+\.[0-9a-f]{12}\.tmp$", Path.GetFileName(w.TempPath));
            w.Stream.Write([1, 2, 3]);
            Assert.False(File.Exists(target));
            w.Commit();
        }
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
        Assert.Equal(["model.pth"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Dispose_WithoutCommit_DeletesTempAndKeepsTarget()
    {
        string target = Path.Combine(_dir, "model.pth");
        File.WriteAllBytes(target, [9]);
        string temp;
        using (var w = AtomicFileWriter.Create(target, overwrite: true))
        {
            temp = w.TempPath;
            w.Stream.Write([1, 2, 3]);
        }
        Assert.False(File.Exists(temp));
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(target));
    }

    [Fact]
    public void Write_ActionThrows_DeletesTempAndCreatesNothing()
    {
        string target = Path.Combine(_dir, "model.pth");
        Assert.Throws<InvalidOperationException>(() => AtomicFileWriter.Write(target, false, s =>
        {
            s.Write([1]);
            throw new InvalidOperationException("boom");
        }));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void Create_ExistingTargetWithoutOverwrite_Throws()
    {
        string target = Path.Combine(_dir, "model.pth");
        File.WriteAllBytes(target, [9]);
        Assert.Throws<OutputExistsException>(() => AtomicFileWriter.Create(target));
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(target));
    }

    [Fact]
    public void Commit_TargetAppearedMeanwhileWithoutOverwrite_ThrowsAndDeletesTemp()
    {
        string target = Path.Combine(_dir, "model.pth");
        using var w = AtomicFileWriter.Create(target);
        w.Stream.Write([1]);
        File.WriteAllBytes(target, [9]);
        Assert.ThrowsAny<IOException>(w.Commit);
        Assert.False(File.Exists(w.TempPath));
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(target));
    }

    [Fact]
    public void Commit_ExistingTargetWithOverwrite_Replaces()
    {
        string target = Path.Combine(_dir, "model.pth");
        File.WriteAllBytes(target, [9]);
        AtomicFileWriter.Write(target, true, s => s.Write([4, 5]));
        Assert.Equal(new byte[] { 4, 5 }, File.ReadAllBytes(target));
    }

    [Fact]
    public void CleanStaleTempFiles_LeftoversAndUnrelated_DeletesOnlyLeftoversOfThatTarget()
    {
        string target = Path.Combine(_dir, "model.pth");
        string stale = Path.Combine(_dir, ".model.pth.0123456789ab.tmp");
        string otherTarget = Path.Combine(_dir, ".other.pth.0123456789ab.tmp");
        string notOurs = Path.Combine(_dir, ".model.pth.backup.tmp");
        foreach (var f in new[] { stale, otherTarget, notOurs, target }) File.WriteAllBytes(f, [0]);
        Assert.Equal(0, AtomicFileWriter.CleanStaleTempFiles(target, TimeSpan.FromHours(1)));
        Assert.Equal(1, AtomicFileWriter.CleanStaleTempFiles(target));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(target));
    }

    [Fact]
    public void CleanStaleTempFiles_WriteInProgress_KeepsItsTempFileAndTheCommitSucceeds()
    {
        string target = Path.Combine(_dir, "model.pth");
        string stale = Path.Combine(_dir, ".model.pth.0123456789ab.tmp");
        File.WriteAllBytes(stale, [0]);
        using var w = AtomicFileWriter.Create(target);
        w.Stream.Write([4, 5, 6]);
        Assert.Equal(1, AtomicFileWriter.CleanStaleTempFiles(target));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(w.TempPath));
        w.Commit();
        Assert.Equal(new byte[] { 4, 5, 6 }, File.ReadAllBytes(target));
        Assert.Equal(["model.pth"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void CleanStaleTempFiles_UnlockedTempOfALiveProcess_IsKept()
    {
        // The moment between a writer creating its temp file and locking it: unlocked, but its process runs.
        string target = Path.Combine(_dir, "model.pth");
        string live = Path.Combine(_dir, $".model.pth.{Environment.ProcessId}.0123456789ab.tmp");
        File.WriteAllBytes(live, [0]);

        Assert.Equal(0, AtomicFileWriter.CleanStaleTempFiles(target));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void CleanStaleTempFiles_UnlockedTempOfAFinishedProcess_IsDeleted()
    {
        string target = Path.Combine(_dir, "model.pth");
        using var finished = System.Diagnostics.Process.Start("/bin/true")!;
        finished.WaitForExit();
        string dead = Path.Combine(_dir, $".model.pth.{finished.Id}.0123456789ab.tmp");
        File.WriteAllBytes(dead, [0]);

        Assert.Equal(1, AtomicFileWriter.CleanStaleTempFiles(target));
        Assert.False(File.Exists(dead));
    }

    [Fact]
    public void Create_TempName_RecordsTheWritersProcess()
    {
        using var w = AtomicFileWriter.Create(Path.Combine(_dir, "model.pth"));
        Assert.True(AtomicFileWriter.IsTempNameOf(Path.GetFileName(w.TempPath), "model.pth", out int? pid));
        Assert.Equal(Environment.ProcessId, pid);
    }
}
