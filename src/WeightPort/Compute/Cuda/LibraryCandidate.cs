namespace WeightPort.Compute.Cuda;

/// <summary>One attempt of a native-library search.</summary>
/// <param name="File">The file name and its companions.</param>
/// <param name="Directory">The folder it was found in, or null to ask the system loader for the bare name.</param>
internal sealed record LibraryCandidate(LibraryFile File, string? Directory)
{
    /// <summary>What is passed to the loader: the bare name or the full path.</summary>
    public string NameOrPath => Directory is null ? File.Name : Path.Combine(Directory, File.Name);
}
