using WeightPort.Formats;
using WeightPort.Tensors;

namespace WeightPort.Verification;

/// <summary>
/// A reference file from <c>tools/make_reference.py</c> (or any tool writing the same shape): a <c>torch.save</c>d dict
/// with <c>tokens</c> int64 [batch, seq], and <c>logits</c> [batch, seq, vocab], <c>class_logits</c> [batch, classes] and
/// <c>last_hidden</c> [batch, seq, emb] where they apply.
/// </summary>
internal sealed record ReferenceOutputs(string Path, int[] Tokens, int Batch, int Seq, float[]? Logits, int LogitsWidth,
    float[]? ClassLogits, int ClassCount, float[]? LastHidden, int HiddenWidth)
{
    /// <summary>Reads <paramref name="path"/> with WeightPort's own (allowlist) reader.</summary>
    /// <exception cref="CheckpointFormatException">Unreadable, or <c>tokens</c> missing or malformed.</exception>
    public static ReferenceOutputs Read(string path)
    {
        using var c = CheckpointReader.Open(path);
        var tokens = c.Find("tokens") ?? throw new CheckpointFormatException(CheckpointError.InvalidContent,
            "a reference needs a 'tokens' tensor (int64 [batch, seq]); found: " + string.Join(", ", c.Tensors.Select(t => t.Path)), path, key: "tokens");
        if (tokens.Shape.Count != 2 || !(tokens.DType is DType.Int64 or DType.Int32))
            throw new CheckpointFormatException(CheckpointError.InvalidContent, $"'tokens' must be int64 [batch, seq], not {tokens.DType.TorchName()} [{string.Join(", ", tokens.Shape)}]", path, key: "tokens");
        int batch = checked((int)tokens.Shape[0]), seq = checked((int)tokens.Shape[1]);
        var ids = tokens.ToFloat32Array().Select(v => checked((int)v)).ToArray();
        (float[]? values, int width) Optional(string key, int rank)
        {
            var t = c.Find(key);
            if (t is null) return (null, 0);
            if (t.Shape.Count != rank || t.Shape[0] != batch || (rank == 3 && t.Shape[1] != seq))
                throw new CheckpointFormatException(CheckpointError.InvalidContent, $"'{key}' has shape [{string.Join(", ", t.Shape)}], which does not fit tokens [{batch}, {seq}]", path, key: key);
            return (t.ToFloat32Array(), checked((int)t.Shape[^1]));
        }
        var (logits, vocab) = Optional("logits", 3);
        var (classLogits, classes) = Optional("class_logits", 2);
        var (hidden, emb) = Optional("last_hidden", 3);
        return new ReferenceOutputs(path, ids, batch, seq, logits, vocab, classLogits, classes, hidden, emb);
    }
}
