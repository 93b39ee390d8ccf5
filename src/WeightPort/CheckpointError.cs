namespace WeightPort;

/// <summary>The closed set of reasons a checkpoint file is refused. Each value is documented with what triggers it.</summary>
public enum CheckpointError
{
    /// <summary>The leading bytes match no format WeightPort reads.</summary>
    UnsupportedFormat,
    /// <summary>The file is recognisably something else (a Git LFS pointer, an image, an unrelated zip).</summary>
    NotACheckpoint,
    /// <summary>The file ends before a structure it declares.</summary>
    Truncated,
    /// <summary>A pickle stream is structurally wrong: stack or mark underflow, bad memo index, bad argument.</summary>
    MalformedPickle,
    /// <summary>A pickle opcode outside the supported subset.</summary>
    UnsupportedOpcode,
    /// <summary>A global that is not on the allowlist is needed to build a tensor or the object that was asked for.</summary>
    UnsafeGlobal,
    /// <summary>A zip, tar or legacy container is inconsistent (bad headers, duplicate or missing records).</summary>
    MalformedArchive,
    /// <summary>A storage's declared size disagrees with its bytes, or a tensor view falls outside its storage.</summary>
    StorageMismatch,
    /// <summary>A declared size exceeds the file or a configured limit.</summary>
    LimitExceeded,
    /// <summary>A safetensors or TorchSharp header is invalid.</summary>
    InvalidHeader,
    /// <summary>A dtype WeightPort cannot represent.</summary>
    UnsupportedDType,
    /// <summary>The checkpoint is readable but its content is not what the operation needs (layout, missing key, redundancy check).</summary>
    InvalidContent,
}
