using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Model;
using WeightPort.Tests.Infrastructure;
using WeightPort.Verification;
using Xunit;

namespace WeightPort.Tests.Formats;

/// <summary>
/// How bad input is reported by the library: one colon between where and why, grammatical type names, and one
/// documented exception for a directory (a missing file is a FileNotFoundException) at every entry point.
/// </summary>
public sealed class ErrorMessageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("/x.pth", null, null, null, "'/x.pth': why [Truncated]")]
    [InlineData("/x.pth", 1234L, null, null, "'/x.pth' at offset 1,234: why [Truncated]")]
    [InlineData("/x.pth", null, "w", null, "'/x.pth' (key 'w'): why [Truncated]")]
    [InlineData("/x.pth", 5L, "w", "archive/data.pkl", "'/x.pth' in 'archive/data.pkl' at offset 5 (key 'w'): why [Truncated]")]
    [InlineData(null, 5L, null, "archive/data.pkl", "in 'archive/data.pkl' at offset 5: why [Truncated]")]
    [InlineData(null, null, null, null, "why [Truncated]")]
    public void Message_AnyKnownLocation_HasOneColonBeforeTheReason(string? path, long? offset, string? key, string? entry, string expected)
    {
        Assert.Equal(expected, new CheckpointFormatException(CheckpointError.Truncated, "why", path, offset, key, entry).Message);
    }

    [Fact]
    public void Described_TypeNames_TakeTheRightArticle()
    {
        Assert.Equal("an int", new PickleInt(1).Described);
        Assert.Equal("a dict", new PickleDict().Described);
        Assert.Equal("an instance of 'argparse.Namespace'", Described("\u0080\u0002cargparse\nNamespace\n)\u0081."));
        Assert.Equal("the result of calling 'os.system' (REDUCE)", Described("cos\nsystem\n(S'id'\ntR."));
        Assert.Equal("None", PickleNone.Instance.Described);
    }

    private static string Described(string pickle) => PickleReader.Read(System.Text.Encoding.Latin1.GetBytes(pickle)).Described;

    public static TheoryData<string, Action<string>> EntryPoints() => new()
    {
        { "CheckpointReader.Open", p => CheckpointReader.Open(p).Dispose() },
        { "FastaiCheckpoint.Open", p => FastaiCheckpoint.Open(p).Dispose() },
        { "AwdLstm.Load", p => AwdLstm.Load(p, WeightPort.Compute.Cpu.CpuBackend.Create()).Dispose() },
        { "ModelVerifier.Verify", p => ModelVerifier.Verify(p) },
        { "PickleReader.ReadStringList", p => PickleReader.ReadStringList(p) },
    };

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void EntryPoint_ADirectory_IsACheckpointFormatExceptionSayingSo(string name, Action<string> open)
    {
        var e = Assert.Throws<CheckpointFormatException>(() => open(_dir));
        Assert.True(e.Error == CheckpointError.NotACheckpoint, name);
        Assert.Equal(_dir, e.FilePath);
        Assert.StartsWith("this is a directory", e.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void EntryPoint_AMissingFileInAMissingFolder_IsFileNotFound(string name, Action<string> open)
    {
        string missing = Path.Combine(_dir, "no-such-folder", "x.pth");
        var e = Assert.Throws<FileNotFoundException>(() => open(missing));
        Assert.True(e.FileName == missing, name);
    }

    [Fact]
    public void ConversionPlan_AVocabularyPickle_RefusedAsNothingToConvertPointingToTheVocabularyOption()
    {
        using var checkpoint = FastaiCheckpoint.Open(Path.Combine(TestPaths.Fixtures, "wt103_mini_itos.pkl"));
        var e = Assert.Throws<CheckpointFormatException>(() => ConversionPlan.Create(checkpoint));
        Assert.Equal(CheckpointError.InvalidContent, e.Error);
        Assert.Contains("looks like a vocabulary (itos); give it with ConversionOptions.Vocabulary", e.Reason);
    }
}
