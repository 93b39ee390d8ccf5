namespace WeightPort.Compute.Cuda;

/// <summary>A device scratch buffer that grows (never shrinks) to the largest size asked for.</summary>
internal sealed class DeviceWorkspace
{
    /// <summary>The device address, 0 before the first <see cref="Ensure"/>.</summary>
    public ulong Pointer { get; private set; }

    /// <summary>Allocated bytes.</summary>
    public long Capacity { get; private set; }

    /// <summary>Makes the buffer at least <paramref name="bytes"/> long; old contents are not kept.</summary>
    public ulong Ensure(IDeviceOps ops, long bytes)
    {
        if (bytes > Capacity)
        {
            Release(ops);
            Pointer = ops.Allocate(bytes);
            Capacity = bytes;
        }
        return Pointer;
    }

    /// <summary>Frees the buffer.</summary>
    public void Release(IDeviceOps ops)
    {
        if (Pointer != 0) ops.Free(Pointer);
        Pointer = 0;
        Capacity = 0;
    }
}
