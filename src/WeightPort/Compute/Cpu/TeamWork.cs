namespace WeightPort.Compute.Cpu;

/// <summary>A job for <see cref="CoreTeam"/>: independent items, each run exactly once on some core.</summary>
internal abstract class TeamWork
{
    /// <summary>Runs item <paramref name="item"/>.</summary>
    public abstract void Run(int item);
}
