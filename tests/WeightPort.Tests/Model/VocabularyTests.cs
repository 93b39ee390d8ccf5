using WeightPort.Model;
using Xunit;

namespace WeightPort.Tests.Model;

public sealed class VocabularyTests
{
    [Fact]
    public void Encode_KnownAndUnknownTokens_MapsUnknownToXxunk()
    {
        var vocab = new Vocabulary(["xxpad", "xxunk", "the", "cat"]);
        Assert.Equal([2, 3, 1], vocab.Encode(["the", "cat", "dog"]));
        Assert.Equal(1, vocab.UnknownId);
        Assert.Equal(0, vocab.PadId);
    }

    [Fact]
    public void ToId_V07Vocabulary_UsesUnderscoreUnk()
    {
        var vocab = new Vocabulary(["_unk_", "_pad_", "."]);
        Assert.Equal(0, vocab.ToId("missing"));
        Assert.Equal(1, vocab.PadId);
    }

    [Fact]
    public void ToId_NoUnknownToken_FallsBackToZero()
    {
        var vocab = new Vocabulary(["a", "b", "c"]);
        Assert.Equal(0, vocab.ToId("zzz"));
        Assert.Null(vocab.PadId);
    }

    [Fact]
    public void ToId_DuplicatedToken_MapsToLastIdAsFastai()
    {
        var vocab = new Vocabulary(["xxunk", "a", "b", "a"]);
        Assert.Equal(3, vocab.ToId("a"));
        Assert.Equal("a", vocab.ToToken(1));
    }

    [Fact]
    public void Decode_IdOutOfRange_Throws()
    {
        var vocab = new Vocabulary(["xxunk", "a"]);
        Assert.Equal(["a", "xxunk"], vocab.Decode([1, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => vocab.Decode([2]));
    }
}
