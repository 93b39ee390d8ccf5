namespace WeightPort.Fastai;

/// <summary>How a layout numbers its classifier head modules.</summary>
internal enum HeadStyle
{
    /// <summary>No head (language model, encoder).</summary>
    None,
    /// <summary>v2 <c>1.layers.{block}.{j}</c>: a Sequential of LinBnDrop blocks (BN at 0, Linear at 1 or 2).</summary>
    Nested,
    /// <summary>v1 <c>1.layers.{i}</c>: one flat Sequential of BN, Dropout (p ≠ 0), Linear, ReLU (not last) per block.</summary>
    Flat,
    /// <summary>v0.7 <c>1.layers.{block}.bn</c>/<c>.lin</c> and canonical <c>head.{block}.bn</c>/<c>.linear</c>: named submodules.</summary>
    Named,
}
