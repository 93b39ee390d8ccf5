namespace WeightPort.Compute.Cuda;

/// <summary>The machine's real file system and environment.</summary>
internal sealed class RealFileSystemProbe : IFileSystemProbe
{
    /// <summary>The single instance.</summary>
    public static RealFileSystemProbe Instance { get; } = new();

    private RealFileSystemProbe()
    {
    }

    /// <inheritdoc />
    public bool FileExists(string path) => File.Exists(path);

    /// <inheritdoc />
    public IReadOnlyList<string> GetDirectories(string parent, string pattern)
    {
        try
        {
            return Directory.Exists(parent) ? Directory.GetDirectories(parent, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable folder is simply not a place the library can be.
            return [];
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> GetFiles(string directory, string pattern)
    {
        try
        {
            return Directory.Exists(directory) ? Directory.GetFiles(directory, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <inheritdoc />
    public string? GetEnvironmentVariable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    /// <inheritdoc />
    public string? HomeDirectory =>
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? home : GetEnvironmentVariable("HOME");
}
