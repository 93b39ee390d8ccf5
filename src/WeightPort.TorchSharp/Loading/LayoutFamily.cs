namespace WeightPort.TorchSharp.Loading;

/// <summary>The origin of a checkpoint's names.</summary>
public enum LayoutFamily
{
    /// <summary>WeightPort's canonical names (a converted TorchSharp or safetensors file, or a module saved by this library).</summary>
    Canonical,
    /// <summary>fastai 0.7 (<c>old/fastai</c>).</summary>
    FastaiV07,
    /// <summary>fastai 1.x (WT103_FWD's <c>lstm_fwd.pth</c>).</summary>
    FastaiV1,
    /// <summary>fastai ≥ 2.0.</summary>
    FastaiV2,
}
