namespace WeightPort;

/// <summary>An output file already exists and replacing it was not asked for; nothing was written.</summary>
public sealed class OutputExistsException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The existing file.</param>
    /// <param name="overwriteOption">The option that allows replacing it, in the library's terms (e.g. <c>ConvertTarget.Overwrite</c>).</param>
    public OutputExistsException(string path, string overwriteOption)
        : base($"'{path}' exists; set {overwriteOption} to replace it")
    {
        FilePath = path;
        OverwriteOption = overwriteOption;
    }

    /// <summary>The existing file.</summary>
    public string FilePath { get; }

    /// <summary>The option that allows replacing it.</summary>
    public string OverwriteOption { get; }
}
