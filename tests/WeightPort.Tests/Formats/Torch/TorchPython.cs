using System.Text.Json;
using WeightPort.Tests.Formats.Pickle;
using WeightPort.Tests.Infrastructure;

namespace WeightPort.Tests.Formats.Torch;

/// <summary>Python snippets shared by the torch reader tests; files are written by python3 and real torch, never by WeightPort.</summary>
internal static class TorchPython
{
    /// <summary>`describe(value)`: what torch.load returned, in the corpus's EXPECTED.json convention (tools/torch_describe.py, which the tar fixture's script uses too).</summary>
    public static string Describe => File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "tools", "torch_describe.py")) + "\n";

    /// <summary>Runs a script that prints a JSON expectation, returns it parsed.</summary>
    public static JsonElement Expectation(string script, string? workingDirectory = null)
    {
        using var doc = JsonDocument.Parse(Python.Run(Describe + script, workingDirectory: workingDirectory));
        return doc.RootElement.Clone();
    }
}
