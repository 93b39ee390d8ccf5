namespace WeightPort.Compute.Cpu;

/// <summary>
/// One or two products over the same output tiles, as one <see cref="CoreTeam"/> job: for a single token the input
/// and the recurrent product of a layer write the same gate row, so tile t of the second (accumulating) product runs
/// right after tile t of the first, in the order the two separate calls would have used.
/// </summary>
internal sealed unsafe class TileWork(TileProduct first, TileProduct? second) : TeamWork
{
    /// <inheritdoc />
    public override void Run(int item)
    {
        ManagedSgemm.Tile(item, first);
        if (second is { } s) ManagedSgemm.Tile(item, s);
    }
}
