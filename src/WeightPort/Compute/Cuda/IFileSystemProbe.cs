namespace WeightPort.Compute.Cuda;

/// <summary>
/// What native-library discovery may ask of the machine. Injected so that <see cref="NativeLibrarySearch"/> is a pure
/// function that tests can drive with a fake file system.
/// </summary>
internal interface IFileSystemProbe
{
    /// <summary>Whether a file (or a symbolic link to one) exists at <paramref name="path"/>.</summary>
    bool FileExists(string path);

    /// <summary>Full paths of the subdirectories of <paramref name="parent"/> matching <paramref name="pattern"/> (<c>*</c> wildcards); empty when <paramref name="parent"/> does not exist.</summary>
    IReadOnlyList<string> GetDirectories(string parent, string pattern);

    /// <summary>Full paths of the files in <paramref name="directory"/> matching <paramref name="pattern"/>; empty when it does not exist.</summary>
    IReadOnlyList<string> GetFiles(string directory, string pattern);

    /// <summary>An environment variable, or null when unset or empty.</summary>
    string? GetEnvironmentVariable(string name);

    /// <summary>The user's home directory, or null when unknown.</summary>
    string? HomeDirectory { get; }
}
