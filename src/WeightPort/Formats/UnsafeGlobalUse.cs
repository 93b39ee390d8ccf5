namespace WeightPort.Formats;

/// <summary>
/// What a pickle does with a global outside the allowlist, from least to most like running code. WeightPort never does
/// any of it; this is what <c>torch.load</c> would do.
/// </summary>
public enum UnsafeGlobalUse
{
    /// <summary>Only named: a class or function stored as a value, or named and then discarded.</summary>
    Referenced,
    /// <summary>
    /// A class instantiated without its constructor (<c>NEWOBJ</c>: <c>cls.__new__(cls)</c> and then its saved state),
    /// which is how pickle stores ordinary objects such as an <c>argparse.Namespace</c>.
    /// </summary>
    Instantiated,
    /// <summary>Its attributes are set (<c>BUILD</c> on the global itself, a <c>setattr</c> on a module-level object).</summary>
    Modified,
    /// <summary>Called with arguments (<c>REDUCE</c>, <c>INST</c>, <c>OBJ</c>, or the result of such a call called again): what a payload does.</summary>
    Called,
}
