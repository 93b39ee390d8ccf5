namespace WeightPort.Formats;

/// <summary>The on-disk formats WeightPort recognises.</summary>
public enum CheckpointFormat
{
    /// <summary>PyTorch ≥ 1.6 zip archive (<c>data.pkl</c> + <c>data/&lt;key&gt;</c> records).</summary>
    PyTorchZip,
    /// <summary>PyTorch &lt; 1.6 stacked pickles (magic number, protocol 1001, sys_info, object, keys, raw storages).</summary>
    PyTorchLegacy,
    /// <summary>PyTorch ≤ 0.1.9 tar archive (<c>storages</c>, <c>tensors</c>, <c>pickle</c>).</summary>
    PyTorchTar,
    /// <summary>huggingface safetensors.</summary>
    Safetensors,
    /// <summary>TorchSharp <c>Module.save</c> state dict.</summary>
    TorchSharp,
    /// <summary>TorchSharp <c>Tensor.Save</c>: a single tensor record.</summary>
    TorchSharpTensor,
    /// <summary>A plain pickle that is not a torch checkpoint (a vocabulary, for instance).</summary>
    Pickle,
}
