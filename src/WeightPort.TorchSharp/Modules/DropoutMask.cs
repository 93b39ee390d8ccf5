using TorchSharp;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Modules;

/// <summary>fastai's <c>dropout_mask</c>: Bernoulli(1 − p) values divided by (1 − p), so each entry is 0 or 1/(1 − p).</summary>
public static class DropoutMask
{
    /// <summary>A new mask of shape <paramref name="size"/> on <paramref name="like"/>'s device and dtype.</summary>
    /// <param name="like">Gives the device and dtype.</param>
    /// <param name="size">The mask's shape.</param>
    /// <param name="p">The drop probability, in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1).</exception>
    public static Tensor Create(Tensor like, long[] size, double p)
    {
        ArgumentNullException.ThrowIfNull(like);
        if (p is < 0 or >= 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "a dropout probability must be in [0, 1)");
        using Scalar keep = (1 - p).ToScalar();
        return like.new_empty(size).bernoulli_(1 - p).div_(keep);
    }
}
