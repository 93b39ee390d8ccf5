using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>New parameters and buffers that belong to their module, not to a dispose scope the caller may have open.</summary>
internal static class Parameters
{
    /// <summary>An uninitialised parameter of <paramref name="shape"/>, optionally filled by <paramref name="initialize"/> under no_grad.</summary>
    public static Parameter Create(long[] shape, ScalarType dtype, Action<Tensor>? initialize = null)
    {
        var data = empty(shape, dtype).DetachFromDisposeScope();
        if (initialize is not null)
        {
            using var _ = no_grad();
            initialize(data);
        }
        return Own(new Parameter(data));
    }

    /// <summary>Removes <paramref name="tensor"/> from the current dispose scope, so that the module alone owns it.</summary>
    public static T Own<T>(T tensor) where T : Tensor
    {
        tensor.DetachFromDisposeScope();
        return tensor;
    }
}
