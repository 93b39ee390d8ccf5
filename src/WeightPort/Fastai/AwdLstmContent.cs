using WeightPort.Formats;

namespace WeightPort.Fastai;

/// <summary>A recognised fastai AWD-LSTM: its placed tensors, the configuration they imply, and what is not the model.</summary>
/// <param name="Placed">The model's tensors by role, after placement.</param>
/// <param name="Config">The configuration inferred from shapes, the decoder tie included.</param>
/// <param name="Optimizer">The tensors under <c>opt</c> of a <c>{'model', 'opt'}</c> file, which are not converted.</param>
/// <param name="Wrapped">True when the model's keys were read under <c>model.</c>.</param>
/// <param name="Forced">True when the layout was given rather than detected.</param>
/// <param name="Decisions">Layout, optimizer state and decoder tie.</param>
internal sealed record AwdLstmContent(PlacedTensors Placed, FastaiModelConfig Config, IReadOnlyList<NamedTensor> Optimizer, bool Wrapped, bool Forced,
    IReadOnlyList<ConversionDecision> Decisions) : FastaiContent(Decisions)
{
    /// <summary>The layout recognised or forced.</summary>
    public FastaiLayout Layout => Placed.Structure.Descriptor.Layout;
}
