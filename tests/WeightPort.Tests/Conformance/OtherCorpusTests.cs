using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Conformance;

/// <summary>The corpus's plain pickle and non-checkpoint files.</summary>
public sealed class OtherCorpusTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public void ReadStringList_DanishVocabulary_MatchesPython()
    {
        string path = TestPaths.CorpusFile("pickle/danish_itos.pkl");
        var words = PickleReader.ReadStringList(path);
        string json = Python.Run("import pickle,json,sys; print(json.dumps(pickle.load(open(sys.argv[1] if len(sys.argv)>1 else '" + path + "','rb'))))");
        var expected = JsonSerializer.Deserialize<string[]>(json)!;
        Assert.Equal(30002, expected.Length);
        Assert.Equal(expected, words);
        Assert.Equal("_unk_", words[0]);
        Assert.Equal("_pad_", words[1]);
    }

    [Fact]
    public void Open_DanishVocabulary_IsAPlainPickleWithoutTensors()
    {
        using var checkpoint = CheckpointReader.Open(TestPaths.CorpusFile("pickle/danish_itos.pkl"));
        Assert.Equal(CheckpointFormat.Pickle, checkpoint.Format);
        Assert.Empty(checkpoint.Tensors);
        Assert.Equal(30002, Assert.IsType<PickleList>(checkpoint.Root).Items.Count);
        Assert.Equal("3", checkpoint.Metadata["protocol"]);
    }

    [Fact]
    public void Open_GitLfsPointer_SaysRunGitLfsPull()
    {
        string path = TestPaths.CorpusFile("not-checkpoints/git_lfs_pointer.pth");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path));
        Assert.Equal(CheckpointError.NotACheckpoint, e.Error);
        Assert.Contains("Git LFS pointer", e.Message);
        Assert.Contains("git lfs pull", e.Message);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void Open_PngSignature_SaysPng()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(TestPaths.CorpusFile("not-checkpoints/png_signature.pt")));
        Assert.Equal(CheckpointError.NotACheckpoint, e.Error);
        Assert.Contains("PNG", e.Message);
    }

    [Fact]
    public void Corpus_NotCheckpointsFolder_EveryFileRefusedAsNotACheckpoint()
    {
        var files = Directory.GetFiles(TestPaths.CorpusFile("not-checkpoints"));
        Assert.NotEmpty(files);
        foreach (var f in files)
            Assert.Equal(CheckpointError.NotACheckpoint, Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(f)).Error);
    }
}
