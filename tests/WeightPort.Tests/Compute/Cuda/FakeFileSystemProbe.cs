using WeightPort.Compute.Cuda;

namespace WeightPort.Tests.Compute.Cuda;

/// <summary>An in-memory file system and environment for library discovery.</summary>
internal sealed class FakeFileSystemProbe : IFileSystemProbe
{
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    public string? HomeDirectory { get; set; } = "/home/user";

    /// <summary>Adds a file and all its parent folders.</summary>
    public FakeFileSystemProbe WithFile(string path)
    {
        _files.Add(path);
        for (string? dir = Path.GetDirectoryName(path); !string.IsNullOrEmpty(dir) && dir != "/"; dir = Path.GetDirectoryName(dir))
            _directories.Add(dir);
        return this;
    }

    public FakeFileSystemProbe WithEnvironment(string name, string value)
    {
        _environment[name] = value;
        return this;
    }

    public bool FileExists(string path) => _files.Contains(path);

    public IReadOnlyList<string> GetDirectories(string parent, string pattern) =>
        _directories.Where(d => Path.GetDirectoryName(d) == parent && Matches(Path.GetFileName(d), pattern)).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> GetFiles(string directory, string pattern) =>
        _files.Where(f => Path.GetDirectoryName(f) == directory && Matches(Path.GetFileName(f), pattern)).Order(StringComparer.Ordinal).ToList();

    public string? GetEnvironmentVariable(string name) => _environment.GetValueOrDefault(name);

    private static bool Matches(string name, string pattern)
    {
        int star = pattern.IndexOf('*');
        if (star < 0) return name == pattern;
        string prefix = pattern[..star], suffix = pattern[(star + 1)..];
        return name.Length >= prefix.Length + suffix.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal);
    }
}
