namespace WeightPort.Conversion;

/// <summary>What <c>weightport convert</c> writes.</summary>
public enum OutputFormat
{
    /// <summary>TorchSharp <c>Module.save</c> layout, canonical C# AWD-LSTM names (the default).</summary>
    TorchSharp,
    /// <summary>safetensors, canonical names, the configuration in <c>__metadata__</c>.</summary>
    Safetensors,
    /// <summary>A cleaned PyTorch zip <c>.pth</c> with fastai-v2 names and no redundant copies.</summary>
    Pth,
}
