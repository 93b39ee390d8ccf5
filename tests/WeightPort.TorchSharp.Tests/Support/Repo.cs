namespace WeightPort.TorchSharp.Tests.Support;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WeightPort.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no WeightPort.sln above '{AppContext.BaseDirectory}'");
    });

    public static string Root => RootPath.Value;

    public static string Fixtures => Path.Combine(Root, "fixtures");

    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    public static string Reference(string fixture) => Path.Combine(Fixtures, "references", fixture + ".ref.pt");

    public static string Tool(string name) => Path.Combine(Root, "tools", name);

    /// <summary>A fresh temporary folder, deleted when disposed.</summary>
    public static TempFolder Temp() => new();
}
