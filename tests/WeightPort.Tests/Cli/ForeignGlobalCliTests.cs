using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Cli;

/// <summary>
/// A 2017-style checkpoint with foreign objects outside its tensors (tools/make_foreign_globals_fixture.py): inspect
/// shows it, convert needs to be told what to ignore and says how.
/// </summary>
public sealed class ForeignGlobalCliTests
{
    private static string Fixture => Path.Combine(TestPaths.Fixtures, "legacy_2017_foreign_globals.legacy.pt");

    [Fact]
    public void InspectShowsTheTensorsAndGlobals_ConvertNeedsIgnore()
    {
        var inspect = CliRunner.Run("inspect", Fixture, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Error);
        using (var doc = JsonDocument.Parse(inspect.Out))
        {
            Assert.Equal(14, doc.RootElement.GetProperty("tensors").GetArrayLength());
            var globals = doc.RootElement.GetProperty("unsafe_globals").EnumerateArray().ToList();
            Assert.Contains(globals, g => g.GetProperty("global").GetString() == "argparse.Namespace" && g.GetProperty("path").GetString() == "opt");
            Assert.Contains(globals, g => g.GetProperty("global").GetString() == "torchtext.vocab.Vocab" && g.GetProperty("use").GetString() == "instantiated");
        }

        using var dir = new TempDir();
        var refused = CliRunner.Run("convert", Fixture, "-o", dir.File("out.dat"));
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("use --ignore 'vocab' (FastaiOptions.IgnoredSubtrees)", refused.Error.Split('\n')[0]);
        Assert.Empty(Directory.GetFiles(dir.Path));

        var converted = CliRunner.Run("convert", Fixture, "-o", dir.File("out.safetensors"), "--format", "safetensors", "--ignore", "vocab");
        Assert.True(converted.ExitCode == 0, converted.Error);
        using var written = CheckpointReader.Open(dir.File("out.safetensors"));
        Assert.Equal(14, written.Tensors.Count);
    }
}
