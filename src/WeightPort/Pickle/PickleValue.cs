namespace WeightPort.Pickle;

/// <summary>
/// A node of the symbolic object tree an unpickled stream becomes. Nothing in the tree was ever executed: globals are
/// names, and calls of allowlisted functions are interpreted, not run.
/// </summary>
public abstract class PickleValue
{
}
