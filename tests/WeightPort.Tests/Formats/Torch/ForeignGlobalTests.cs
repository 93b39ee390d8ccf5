using System.Text;
using System.Text.Json;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Formats.Pickle;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>
/// Globals outside the allowlist that are not payloads: what a pickle does with each (named, instantiated, modified,
/// called), the viewer mode that shows the tensors around a foreign object, and the subtrees a caller ignores, on a
/// 2017-style checkpoint written by real torch (tools/make_foreign_globals_fixture.py).
/// </summary>
public sealed class ForeignGlobalTests
{
    private static string Fixture => Path.Combine(TestPaths.Fixtures, "legacy_2017_foreign_globals.legacy.pt");

    private static JsonElement Expected =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, "legacy_2017_foreign_globals.expected.json"))).RootElement;

    private static byte[] B(string latin1) => Encoding.Latin1.GetBytes(latin1);

    private static PickleGlobal Global(string pickle, string name)
    {
        var u = new Unpickler("test", 0, null, null);
        u.Load(B(pickle), out _);
        return u.Globals.First(g => g.FullName == name);
    }

    [Theory]
    [InlineData("\u0080\u0002cargparse\nNamespace\n)\u0081}b.", "argparse.Namespace", UnsafeGlobalUse.Instantiated)]
    [InlineData("\u0080\u0002cposix\nsystem\nX\u0002\u0000\u0000\u0000id\u0085R.", "posix.system", UnsafeGlobalUse.Called)]
    [InlineData("(S'id'\nios\nsystem\n.", "os.system", UnsafeGlobalUse.Called)]
    [InlineData("\u0080\u0002cnumpy\nprod\nN}X\u0001\u0000\u0000\u0000aK\u0001s\u0086b.", "numpy.prod", UnsafeGlobalUse.Modified)]
    [InlineData("\u0080\u0002]cargparse\nNamespace\na.", "argparse.Namespace", UnsafeGlobalUse.Referenced)]
    public void Unpickler_ForeignGlobal_RecordsWhatThePickleDoesWithIt(string pickle, string name, UnsafeGlobalUse use)
    {
        Assert.Equal(use, Global(pickle, name).Use);
    }

    [Fact]
    public void Unpickler_StackGlobalOfNonStrings_IsADynamicGlobalNotAFailure()
    {
        // The operands are globals, not str: only running the pickle would say what it names.
        var g = Global("\u0080\u0004cnumpy\nprod.a\ncnumpy\nprod.b\n\u0093)R.", UnsafeGlobal.DynamicName);
        Assert.True(g.IsDynamic);
        Assert.False(g.IsAllowlisted);
        Assert.Equal(UnsafeGlobalUse.Called, g.Use);
    }

    [Fact]
    public void Open_Strict_RefusesTheForeignObjectNamingTheIgnoreOption()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(Fixture).Dispose());
        Assert.Equal(CheckpointError.UnsafeGlobal, e.Error);
        Assert.Contains("'torchtext.vocab.Vocab'", e.Message);
        Assert.Contains("add 'vocab' to CheckpointReadOptions.IgnoredSubtrees", e.Message);
    }

    [Fact]
    public void Open_AllowForeignObjects_ReadsEveryTensorAndListsTheGlobalsWithTheirPaths()
    {
        using var checkpoint = CheckpointReader.Open(Fixture, new CheckpointReadOptions { AllowForeignObjects = true });
        var expected = Expected.GetProperty("tensors");
        Assert.Equal(expected.EnumerateObject().Select(p => p.Name), checkpoint.Tensors.Select(t => t.Path));
        foreach (var t in checkpoint.Tensors)
            Assert.Equal(expected.GetProperty(t.Path).GetProperty("sha256").GetString(), t.Tensor.Sha256Hex());
        Assert.Contains(checkpoint.UnsafeGlobals, g => g.FullName == "argparse.Namespace" && g.Path == "opt" && g.Use == UnsafeGlobalUse.Instantiated);
        Assert.Contains(checkpoint.UnsafeGlobals, g => g.FullName == "torchtext.vocab.Vocab" && g.Path.StartsWith("vocab.", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_AllowForeignObjects_StillRefusesACall()
    {
        string path = Path.Combine(TestPaths.Fixtures, "hostile", "zip_state_dict_payload.zip.pt");
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path, new CheckpointReadOptions { AllowForeignObjects = true }).Dispose());
        Assert.Equal(CheckpointError.UnsafeGlobal, e.Error);
        Assert.Contains("'posix.system' is called (REDUCE) under 'extra'", e.Message);
    }

    [Fact]
    public void Open_CallDiscardedByThePickle_IsStillRefused()
    {
        // eval's result is popped before STOP: the object never holds it, but torch.load would have run it.
        using var dir = new TempDir();
        string path = dir.Write("popped.pkl", B("\u0080\u0002c__builtin__\neval\nX\u0001\u0000\u0000\u00001\u0085R0K\u0001."));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointReader.Open(path, new CheckpointReadOptions { AllowForeignObjects = true }).Dispose());
        Assert.Contains("'builtins.eval' is called (REDUCE) outside the object", e.Message);
    }

    [Fact]
    public void FastaiCheckpoint_IgnoredSubtree_ConvertsTheRestAndSaysWhatWasIgnored()
    {
        var refused = Assert.Throws<CheckpointFormatException>(() => FastaiCheckpoint.Open(Fixture).Dispose());
        Assert.Contains("add 'vocab' to FastaiOptions.IgnoredSubtrees", refused.Message);

        using var checkpoint = FastaiCheckpoint.Open(Fixture, new FastaiOptions { IgnoredSubtrees = ["vocab"] });
        var plan = ConversionPlan.Create(checkpoint);
        Assert.Equal(FastaiLayout.Passthrough, plan.Layout);
        Assert.Equal(14, plan.Tensors.Count);
        var ignored = Assert.Single(plan.Decisions, d => d.Kind == DecisionKind.IgnoredSubtree);
        Assert.Contains("torchtext.vocab.Vocab", ignored.Details);
    }
}
