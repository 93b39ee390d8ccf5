using TorchSharp;

namespace WeightPort.TorchSharp.Modules;

/// <summary>
/// Scalars that stay alive while libtorch uses them. TorchSharp 0.107 turns a number into a <see cref="Scalar"/> (a
/// native object with a finalizer) and reads its handle before the native call; nothing keeps the managed object alive
/// during the call, so a garbage collection at that moment can free it mid-call (seen as "Expected false to be true"
/// from <c>Scalar::toFloat</c>). This library therefore never lets TorchSharp make a scalar: it passes ones it holds,
/// this constant or a <c>using</c> local that lives until the call has returned.
/// </summary>
internal static class Scalars
{
    /// <summary>The <c>alpha</c> of an ordinary addition or subtraction; held for the life of the process.</summary>
    public static Scalar One { get; } = 1.ToScalar();
}
