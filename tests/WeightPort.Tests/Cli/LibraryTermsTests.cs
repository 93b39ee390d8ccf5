using WeightPort.Cli;
using Xunit;

namespace WeightPort.Tests.Cli;

public sealed class LibraryTermsTests
{
    [Theory]
    [InlineData("(set FastaiOptions.AllowEmbeddingMismatch to keep 'x')", "(use --allow-embedding-mismatch (FastaiOptions.AllowEmbeddingMismatch) to keep 'x')")]
    [InlineData("because FastaiOptions.AllowEmbeddingMismatch is set", "because --allow-embedding-mismatch (FastaiOptions.AllowEmbeddingMismatch) is set")]
    [InlineData("if 'vocab' is not needed, add 'vocab' to FastaiOptions.IgnoredSubtrees to read the rest", "if 'vocab' is not needed, use --ignore 'vocab' (FastaiOptions.IgnoredSubtrees) to read the rest")]
    [InlineData("add 'a.b' to CheckpointReadOptions.IgnoredSubtrees", "use --ignore 'a.b' (CheckpointReadOptions.IgnoredSubtrees)")]
    [InlineData("CheckpointReadOptions.ReportUnsafeGlobals lists every callable", "inspect --scan (CheckpointReadOptions.ReportUnsafeGlobals) lists every callable")]
    [InlineData("give it with ConversionOptions.Vocabulary to", "give it with --vocab (ConversionOptions.Vocabulary) to")]
    [InlineData("with VerifyOptions.ReferencePath (only", "with --reference (VerifyOptions.ReferencePath) (only")]
    [InlineData("nothing about options", "nothing about options")]
    public void ToFlags_LibraryOption_IsNamedWithItsFlag(string message, string expected)
    {
        Assert.Equal(expected, LibraryTerms.ToFlags(message));
    }
}
