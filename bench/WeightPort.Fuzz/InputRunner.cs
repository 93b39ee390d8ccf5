using WeightPort.Formats;
using WeightPort.Tensors;

namespace WeightPort.Fuzz;

/// <summary>
/// The oracle for one input: read it, then walk the result's lazy paths (hash every tensor's bytes within a budget,
/// convert a small floating tensor), and classify the ending. Allocation is measured on the calling thread.
/// </summary>
public static class InputRunner
{
    private const long LazyByteBudget = 64L << 20;

    /// <summary>Runs <paramref name="input"/> through <paramref name="target"/>; more than <paramref name="allocationCap"/> bytes is a memory failure.</summary>
    public static InputOutcome Run(FuzzTarget target, FuzzInput input, long allocationCap)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        OutcomeKind kind;
        Exception? error = null;
        try
        {
            using var checkpoint = target.Read(input.Bytes, input.ReportUnsafe);
            if (checkpoint is not null) Exercise(checkpoint);
            kind = OutcomeKind.Result;
        }
        catch (CheckpointFormatException e)
        {
            kind = OutcomeKind.FormatError;
            error = e;
        }
        catch (OutOfMemoryException e)
        {
            kind = OutcomeKind.Memory;
            error = e;
        }
        catch (Exception e)
        {
            kind = OutcomeKind.OtherException;
            error = e;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > allocationCap && kind is OutcomeKind.Result or OutcomeKind.FormatError)
        {
            kind = OutcomeKind.Memory;
            error = new InsufficientMemoryException($"allocated {allocated:N0} bytes for a {input.Bytes.Length:N0}-byte input (ceiling {allocationCap:N0})");
        }
        return new InputOutcome(kind, allocated, error);
    }

    private static void Exercise(Checkpoint checkpoint)
    {
        long budget = LazyByteBudget;
        bool converted = false;
        _ = checkpoint.Storages.Count;
        foreach (var named in checkpoint.Tensors)
        {
            var t = named.Tensor;
            _ = checkpoint.Find(named.Path);
            if (t.ByteCount > budget) continue;
            budget -= t.ByteCount;
            _ = t.Sha256Hex();
            if (!converted && t.DType.IsFloatingPoint() && t.ElementCount <= 1 << 16)
            {
                _ = t.ToFloat32Array();
                converted = true;
            }
        }
    }
}
