using WeightPort.Tensors;

namespace WeightPort.Tests.Fastai;

/// <summary>What to generate: a fastai AWD-LSTM state dict with the real key names and order of each version.</summary>
internal sealed record FakeSpec
{
    public FakeVersion Version { get; init; } = FakeVersion.V2;
    public FakeKind Kind { get; init; } = FakeKind.LanguageModel;
    public int Vocab { get; init; } = 12;
    public int Emb { get; init; } = 6;
    public int NHid { get; init; } = 8;
    public int Layers { get; init; } = 3;
    public bool Bidir { get; init; }
    public bool DecoderBias { get; init; } = true;
    /// <summary>Embedding alias and tied decoder share the encoder's storage (a direct state_dict) rather than being clones.</summary>
    public bool SharedStorage { get; init; } = true;
    public bool Untied { get; init; }
    public int[] LinFtrs { get; init; } = [5];
    public int Classes { get; init; } = 3;
    /// <summary>Per head block: whether it has a Dropout module (p ≠ 0). Default: all.</summary>
    public bool[]? HeadDropout { get; init; }
    public DType DType { get; init; } = DType.Float32;
    public bool Wrapped { get; init; }
    /// <summary>v0.7 only: also write module.weight_hh_l0 (newer PyTorch).</summary>
    public bool V07HhCopy { get; init; }
}
