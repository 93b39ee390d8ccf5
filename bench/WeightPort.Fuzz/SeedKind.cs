namespace WeightPort.Fuzz;

/// <summary>What a seed file is, which decides which readers it mostly feeds and how it is scanned.</summary>
public enum SeedKind
{
    /// <summary>A PyTorch zip checkpoint.</summary>
    Zip,
    /// <summary>A legacy stacked-pickle checkpoint.</summary>
    Legacy,
    /// <summary>A legacy tar checkpoint.</summary>
    Tar,
    /// <summary>A safetensors file.</summary>
    Safetensors,
    /// <summary>A TorchSharp state dict or single tensor.</summary>
    TorchSharp,
    /// <summary>A bare pickle stream (a .pkl file, or one extracted from a checkpoint).</summary>
    Pickle,
    /// <summary>Anything else (JSON, Markdown, an LFS pointer, an image signature).</summary>
    Other,
}
