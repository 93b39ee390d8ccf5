namespace WeightPort.Formats.Torch;

/// <summary>What the leading bytes of a file say it is.</summary>
internal enum SniffedFormat
{
    Zip,
    Legacy,
    Tar,
    Safetensors,
    TorchSharp,
    Pickle,
}
