using WeightPort.Tensors;

namespace WeightPort;

/// <summary>
/// Readers of the non-pickle formats, registered by their own areas so that <see cref="CheckpointReader"/> can dispatch to
/// them without a compile-time dependency. Each receives the mapped file (it owns it from then on) and its path.
/// </summary>
internal static class FormatReaders
{
    /// <summary><c>WeightPort.Safetensors.SafetensorsReader.Read(ByteSource, string)</c>.</summary>
    public static Func<ByteSource, string, Checkpoint>? SafetensorsHook { get; set; }

    /// <summary><c>WeightPort.TorchSharp.TorchSharpReader.Read(ByteSource, string)</c>.</summary>
    public static Func<ByteSource, string, Checkpoint>? TorchSharpHook { get; set; }
}
