using System.Text.Json;
using WeightPort.Cli;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Cli;

/// <summary>
/// Every rough edge a new user hit in a first hour with the tool, each run as the real command: the exit code and the
/// first line of what it says.
/// </summary>
public sealed class FirstHourCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-cli-first-hour-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(TestPaths.Fixtures, name);

    private static string Reference => Path.Combine(TestPaths.Fixtures, "references", "wt103_mini_fwd.pth.ref.pt");

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');

    private string Copy(string fixture)
    {
        string copy = Path.Combine(_dir, fixture);
        File.Copy(Fixture(fixture), copy);
        return copy;
    }

    [Theory]
    [InlineData("out/")]
    [InlineData("existing")]
    public void Convert_OutputNamesAFolder_WritesTheDefaultNameInsideIt(string output)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "existing"));
        string folder = Path.Combine(_dir, output);
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "-o", folder);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Equal(Fixture("wt103_mini_fwd.pth"), FirstLine(r.Out));
        Assert.True(File.Exists(Path.Combine(folder, "wt103_mini_fwd.dat")));
        Assert.True(File.Exists(Path.Combine(folder, "wt103_mini_fwd.dat.manifest.json")));
    }

    [Fact]
    public void Convert_OutputIsTheInput_IsUsageError()
    {
        string input = Copy("wt103_mini_fwd.pth");
        var r = CliRunner.Run("convert", input, "-o", input);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal($"error: the output '{input}' is the input; give another -o", FirstLine(r.Error));
    }

    [Fact]
    public void Convert_AVocabularyInsteadOfACheckpoint_RefusedPointingToVocab_NothingWritten()
    {
        string itos = Copy("wt103_mini_itos.pkl");
        var r = CliRunner.Run("convert", itos);
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        string first = FirstLine(r.Error);
        Assert.StartsWith($"error: '{itos}': the file holds no tensors, so there is nothing to convert: it is a pickled list of 200 str, which looks like a vocabulary", first);
        Assert.Contains("--vocab (ConversionOptions.Vocabulary)", first);
        Assert.Equal([itos], Directory.GetFiles(_dir));
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("inspect", "--scan")]
    [InlineData("convert")]
    [InlineData("verify")]
    public void AnyVerb_ADirectoryAsInput_IsBadInputSayingSo(params string[] verb)
    {
        var r = CliRunner.Run([.. verb, _dir]);
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Equal($"error: '{_dir}': this is a directory, not a checkpoint [NotACheckpoint]", FirstLine(r.Error));
    }

    [Fact]
    public void Verify_MissingFileWithoutReference_SaysFileNotFoundFirst()
    {
        string missing = Path.Combine(_dir, "missing.pth");
        var r = CliRunner.Run("verify", missing);
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Equal($"error: file not found: '{missing}'", FirstLine(r.Error));
    }

    [Fact]
    public void Verify_OriginalCheckpointWithoutReference_AsksForReference()
    {
        var r = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith($"error: nothing to verify '{Fixture("wt103_mini_fwd.pth")}' against: give a reference of PyTorch's outputs with --reference (VerifyOptions.ReferencePath)", FirstLine(r.Error));
    }

    [Fact]
    public void Verify_ConvertedFileWhoseManifestWasDeleted_SaysTheManifestIsMissingAndItsName()
    {
        string output = Path.Combine(_dir, "lm.dat");
        Assert.Equal(0, CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "-o", output).ExitCode);
        File.Delete(output + ".manifest.json");
        var r = CliRunner.Run("verify", output);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.StartsWith($"error: the manifest of '{output}' is missing: convert wrote it beside the file as '{output}.manifest.json'", FirstLine(r.Error));
    }

    [Theory]
    [InlineData("--min-top1", "5", "error: --min-top1 must be a fraction of rows from 0 to 1 (1 = every row; for a percentage, divide by 100), not 5")]
    [InlineData("--min-top1", "-0.5", "error: --min-top1 must be a fraction of rows from 0 to 1 (1 = every row; for a percentage, divide by 100), not -0.5")]
    [InlineData("--atol", "-1", "error: --atol must be a finite number ≥ 0, not -1")]
    [InlineData("--rtol", "-0.001", "error: --rtol must be a finite number ≥ 0, not -0.001")]
    public void Verify_ToleranceOutOfRange_IsUsageErrorNamingTheRange(string option, string value, string first)
    {
        var r = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference, option, value);
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal(first, FirstLine(r.Error));
    }

    [Fact]
    public void Verify_MinTop1_IsAFraction()
    {
        var r = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference, "--min-top1", "0.5", "--json");
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(0.5, doc.RootElement.GetProperty("reports")[0].GetProperty("tolerance").GetProperty("min_top1").GetDouble());
    }

    [Theory]
    [InlineData("inspect", "--json", "{missing}", 3, "file_not_found")]
    [InlineData("inspect", "--json", "{empty}", 3, "NotACheckpoint")]
    [InlineData("verify", "--json", "{fixture}", 2, "usage")]
    [InlineData("convert", "--json", "{mismatch}", 3, "InvalidContent")]
    [InlineData("inspect", "--json", "--max-rows", 2, "usage")]
    public void AnyError_UnderJson_IsAJsonObjectOnStdout_WithTheSameExitCode(string verb, string json, string arg, int exit, string code)
    {
        string empty = Path.Combine(_dir, "empty.pth");
        File.WriteAllBytes(empty, []);
        string path = arg.Replace("{missing}", Path.Combine(_dir, "missing.pth"), StringComparison.Ordinal).Replace("{empty}", empty, StringComparison.Ordinal)
            .Replace("{fixture}", Fixture("wt103_mini_fwd.pth"), StringComparison.Ordinal).Replace("{mismatch}", Fixture("fastai_v2_lm_alias_mismatch.zip.pth"), StringComparison.Ordinal);
        string[] args = verb == "convert" ? [verb, json, path, "-o", Path.Combine(_dir, "x.dat")] : [verb, json, path];
        var r = CliRunner.Run(args);
        Assert.Equal(exit, r.ExitCode);
        Assert.Equal("", r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(code, root.GetProperty("code").GetString());
        Assert.Equal(exit, root.GetProperty("exit_code").GetInt32());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("message").GetString()));
        foreach (var field in new[] { "path", "offset", "key" }) Assert.True(root.TryGetProperty(field, out _), field);
        if (code == "InvalidContent") Assert.Equal("0.encoder_dp.emb.weight", root.GetProperty("key").GetString());
        if (code == "NotACheckpoint") Assert.Equal(empty, root.GetProperty("path").GetString());
    }

    [Fact]
    public void Vocab_ATextFile_SaysNotAPickleLooksLikeText()
    {
        string readme = Path.Combine(TestPaths.RepoRoot, "README.md");
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "--vocab", readme, "-o", Path.Combine(_dir, "x.dat"));
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Equal($"error: '{readme}' at offset 0: not a pickle (it looks like text) [NotACheckpoint]", FirstLine(r.Error));
    }

    [Fact]
    public void FormatError_NamesTheFileWithOneColon()
    {
        string empty = Path.Combine(_dir, "empty.pth");
        File.WriteAllBytes(empty, []);
        var r = CliRunner.Run("inspect", empty);
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Equal($"error: '{empty}': the file is empty (0 bytes) [NotACheckpoint]", FirstLine(r.Error));
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, 0x4B, 0x05, 0x2E }, "the pickle holds an int, not a list of str")]
    [InlineData(new byte[] { 0x80, 0x02, 0x7D, 0x2E }, "the pickle holds a dict, not a list of str")]
    public void Vocab_NotAListOfStr_SaysWhatItHoldsGrammatically(byte[] pickle, string reason)
    {
        string vocab = Path.Combine(_dir, "itos.pkl");
        File.WriteAllBytes(vocab, pickle);
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "--vocab", vocab, "-o", Path.Combine(_dir, "x.dat"));
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Equal($"error: '{vocab}': {reason} [InvalidContent]", FirstLine(r.Error));
    }

    [Fact]
    public void Vocab_APickleThatCallsSomething_SaysSoWithoutRunningIt()
    {
        string vocab = Path.Combine(TestPaths.Fixtures, "hostile", "inst_os_system_proto0.pkl");
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "--vocab", vocab, "-o", Path.Combine(_dir, "x.dat"));
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Equal($"error: '{vocab}': the pickle holds the result of calling 'os.system' (INST), not a list of str [InvalidContent]", FirstLine(r.Error));
    }

    [Fact]
    public void Convert_AliasMismatch_NamesTheFlagAndTheLibraryOption()
    {
        var r = CliRunner.Run("convert", Fixture("fastai_v2_lm_alias_mismatch.zip.pth"), "-o", Path.Combine(_dir, "x.dat"));
        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        string first = FirstLine(r.Error);
        Assert.StartsWith($"error: '{Fixture("fastai_v2_lm_alias_mismatch.zip.pth")}' (key '0.encoder_dp.emb.weight'): embedding alias", first);
        Assert.Contains("(use --allow-embedding-mismatch (FastaiOptions.AllowEmbeddingMismatch) to keep '0.encoder.weight')", first);
    }

    [Fact]
    public void Inspect_NegativeMaxRows_IsUsageError()
    {
        var r = CliRunner.Run("inspect", "--max-rows", "-3", Fixture("wt103_mini_fwd.pth"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal("error: --max-rows must be 0 or more, not -3", FirstLine(r.Error));
    }

    [Fact]
    public void Inspect_MaxRows_CountsTheTensorsLeftOut()
    {
        var r = CliRunner.Run("inspect", "--max-rows", "3", Fixture("wt103_mini_fwd.pth"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("… 16 more tensors (use --json for all)", r.Out);
    }

    [Theory]
    [InlineData("--format", "SAFETENSORS", "safetensors", "float32")]
    [InlineData("--format", "Pth", "pth", "float32")]
    [InlineData("--dtype", "fp16", "torchsharp", "float16")]
    [InlineData("--dtype", "BF16", "torchsharp", "bfloat16")]
    [InlineData("--dtype", "FP32", "torchsharp", "float32")]
    [InlineData("--dtype", "Float16", "torchsharp", "float16")]
    public void Convert_FormatAndDtype_InAnyCaseAndWithAliases(string option, string value, string format, string dtype)
    {
        string output = Path.Combine(_dir, "out.bin");
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), option, value, "-o", output, "--json");
        Assert.True(r.ExitCode == 0, r.Out + r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(format, doc.RootElement.GetProperty("format").GetString());
        Assert.All(doc.RootElement.GetProperty("mappings").EnumerateArray(), m => Assert.Equal(dtype, m.GetProperty("dtype").GetString()));
    }

    [Fact]
    public void Convert_UnknownDtype_IsUsageErrorListingTheValues()
    {
        var r = CliRunner.Run("convert", Fixture("wt103_mini_fwd.pth"), "--dtype", "fp17", "-o", Path.Combine(_dir, "x.dat"));
        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        Assert.Equal("error: --dtype 'fp17' is not one of float32, float16, bfloat16 (or fp32, fp16, bf16)", FirstLine(r.Error));
    }

    [Fact]
    public void Verify_DeviceLine_IsShort_AndTheSearchDetailsComeWithVerboseAndInJson()
    {
        var text = CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference, "--verbose");
        Assert.True(text.ExitCode == 0, text.Error);
        string device = text.Out.Split('\n').Single(l => l.TrimStart().StartsWith("device:", StringComparison.Ordinal)).Trim();
        using var doc = JsonDocument.Parse(CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference, "--json").Out);
        var root = doc.RootElement;
        if (device == "device:    cuda")
        {
            Assert.Equal("cuda", root.GetProperty("device").GetString());
            Assert.False(root.TryGetProperty("cuda_unavailable_reason", out _));
            return;
        }
        // On a machine without CUDA: one short line, the reason in full only on request.
        Assert.Matches(@"^device: +cpu \([^()]{1,40}\)$", device);
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        string reason = root.GetProperty("cuda_unavailable_reason").GetString()!;
        Assert.DoesNotContain(reason, text.Out);
        Assert.Equal($"CUDA is not used: {reason}", FirstLine(text.Error));
        Assert.DoesNotContain("CUDA is not used", CliRunner.Run("verify", Fixture("wt103_mini_fwd.pth"), "--reference", Reference).Error);
    }

    [Fact]
    public void Convert_OnATerminal_DrawsTheFinalProgressLineOnce()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(["convert", Fixture("wt103_mini_fwd.pth"), "-o", Path.Combine(_dir, "x.dat")],
            new CliContext(o, e, Interactive: true) { ProgressThresholdBytes = 0 });
        Assert.True(code == 0, e.ToString());
        string progress = e.ToString();
        Assert.Equal(1, progress.Split("100.0%").Length - 1);
        Assert.EndsWith("\n", progress, StringComparison.Ordinal);
        Assert.Single(progress.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
