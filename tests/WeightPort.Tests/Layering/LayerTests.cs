using System.Reflection;
using NetArchTest.Rules;
using WeightPort.Formats;
using Xunit;

namespace WeightPort.Tests.Layering;

/// <summary>
/// The library reads as its pipeline: each layer uses only the layers below it, and no two folders depend on each
/// other. A using that points back up fails here, naming the types.
/// </summary>
public sealed class LayerTests
{
    private static readonly Assembly Library = typeof(CheckpointReader).Assembly;

    /// <summary>Bottom to top; a layer is a namespace and everything under it.</summary>
    public static readonly string[] Layers =
    [
        "WeightPort",
        "WeightPort.IO",
        "WeightPort.Tensors",
        "WeightPort.Formats",
        "WeightPort.Fastai",
        "WeightPort.Conversion",
        "WeightPort.Model",
        "WeightPort.Compute",
        "WeightPort.Verification",
    ];

    public static TheoryData<string> LayerNames() => [.. Layers];

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Layer_DependsOnlyOnLayersBelow(string layer)
    {
        string[] above = Layers.SkipWhile(l => l != layer).Skip(1).ToArray();
        if (above.Length == 0) return;
        // The root layer is the namespace itself; the others include their sub-namespaces.
        var types = layer == "WeightPort"
            ? Types.InAssembly(Library).That().ResideInNamespaceMatching("^WeightPort$")
            : Types.InAssembly(Library).That().ResideInNamespace(layer);
        var result = types.ShouldNot().HaveDependencyOnAny(above).GetResult();
        Assert.True(result.IsSuccessful,
            $"{layer} must not use {string.Join(", ", above)}; offending types: {string.Join(", ", result.FailingTypes.Select(t => t.FullName))}");
    }

    [Fact]
    public void EveryNamespace_BelongsToALayer()
    {
        var namespaces = Library.GetTypes().Select(t => t.Namespace).Where(n => n is not null && n.StartsWith("WeightPort", StringComparison.Ordinal)).Distinct();
        Assert.All(namespaces, n => Assert.Contains(Layers, l => n == l || n!.StartsWith(l + ".", StringComparison.Ordinal) && l != "WeightPort"));
    }

    /// <summary>
    /// A folder may use the folders it contains (Formats' CheckpointReader dispatches to the readers in Formats/Torch,
    /// which build Formats' Checkpoint); every other dependency between folders points one way.
    /// </summary>
    [Fact]
    public void Folders_HaveNoDependencyCycles()
    {
        var byNamespace = Library.GetTypes().Where(t => t.Namespace?.StartsWith("WeightPort", StringComparison.Ordinal) == true)
            .GroupBy(t => t.Namespace!).ToDictionary(g => g.Key, g => g.Select(t => t.FullName!).ToArray());
        var edges = new Dictionary<string, List<string>>();
        foreach (var from in byNamespace.Keys)
        {
            edges[from] = [];
            foreach (var (to, targets) in byNamespace)
            {
                if (to == from || to.StartsWith(from + ".", StringComparison.Ordinal)) continue;
                var result = Types.InAssembly(Library).That().ResideInNamespaceMatching("^" + System.Text.RegularExpressions.Regex.Escape(from) + "$")
                    .ShouldNot().HaveDependencyOnAny(targets).GetResult();
                if (!result.IsSuccessful) edges[from].Add(to);
            }
        }
        var cycle = FindCycle(edges);
        Assert.True(cycle is null, "namespaces depend on each other in a cycle: " + string.Join(" → ", cycle ?? []));
    }

    private static List<string>? FindCycle(Dictionary<string, List<string>> edges)
    {
        var state = new Dictionary<string, int>();
        var path = new List<string>();
        List<string>? Visit(string n)
        {
            state[n] = 1;
            path.Add(n);
            foreach (var m in edges[n])
            {
                if (state.GetValueOrDefault(m) == 1) return [.. path.SkipWhile(p => p != m), m];
                if (state.GetValueOrDefault(m) == 0 && Visit(m) is { } c) return c;
            }
            path.RemoveAt(path.Count - 1);
            state[n] = 2;
            return null;
        }
        foreach (var n in edges.Keys)
            if (state.GetValueOrDefault(n) == 0 && Visit(n) is { } c) return c;
        return null;
    }
}
