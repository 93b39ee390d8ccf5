using System.Diagnostics;
using System.IO.MemoryMappedFiles;

namespace WeightPort.Fuzz;

/// <summary>
/// A worker's memory-mapped state file: which input it is on and its per-reader counters. It outlives the worker, so
/// when a worker dies (stack overflow, access violation, killed for a hang) the supervisor reads the input that killed
/// it from here and the counts so far are not lost.
/// </summary>
public sealed class WorkerState : IDisposable
{
    /// <summary>Readers the file has room for.</summary>
    public const int MaxTargets = 16;

    private const int HeaderLongs = 8;
    private const int StatLongs = 16;
    private const int CurrentTargetSlot = 1;
    private const int CurrentIndexSlot = 2;
    private const int StartSlot = 3;
    private const int FinishedSlot = 4;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;

    /// <summary>Opens (creating when absent) the state file at <paramref name="path"/>.</summary>
    public WorkerState(string path)
    {
        long size = (HeaderLongs + MaxTargets * StatLongs) * sizeof(long);
        using (var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            if (fs.Length < size) fs.SetLength(size);
        }
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, size, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, size);
        if (_view.ReadInt64(0) != 0x5A5A5546) // fresh file
        {
            _view.Write(0, 0x5A5A5546L);
            SetIdle();
        }
    }

    /// <summary>The reader of the input in flight, or -1.</summary>
    public int CurrentTarget => (int)_view.ReadInt64(CurrentTargetSlot * 8);

    /// <summary>The index of the input in flight.</summary>
    public long CurrentIndex => _view.ReadInt64(CurrentIndexSlot * 8);

    /// <summary>When the input in flight started (Stopwatch timestamp).</summary>
    public long StartTimestamp => _view.ReadInt64(StartSlot * 8);

    /// <summary>Whether the worker ran all its inputs.</summary>
    public bool Finished
    {
        get => _view.ReadInt64(FinishedSlot * 8) != 0;
        set => _view.Write(FinishedSlot * 8, value ? 1L : 0L);
    }

    /// <summary>Marks an input as in flight (written before the reader sees it).</summary>
    public void Begin(int target, long index)
    {
        _view.Write(CurrentIndexSlot * 8, index);
        _view.Write(StartSlot * 8, Stopwatch.GetTimestamp());
        _view.Write(CurrentTargetSlot * 8, (long)target);
    }

    /// <summary>Marks no input in flight.</summary>
    public void SetIdle() => _view.Write(CurrentTargetSlot * 8, -1L);

    /// <summary>Reads a counter.</summary>
    public long Get(int target, StatField field) => _view.ReadInt64(Slot(target, field));

    /// <summary>Writes a counter.</summary>
    public void Set(int target, StatField field, long value) => _view.Write(Slot(target, field), value);

    /// <summary>Adds to a counter.</summary>
    public void Add(int target, StatField field, long delta) => Set(target, field, Get(target, field) + delta);

    /// <summary>Records one finished input.</summary>
    public void Record(int target, long index, OutcomeKind kind, long allocated, int inputSize, long ticks)
    {
        Add(target, StatField.Inputs, 1);
        Add(target, kind switch
        {
            OutcomeKind.Result => StatField.Results,
            OutcomeKind.FormatError => StatField.FormatErrors,
            OutcomeKind.OtherException => StatField.OtherExceptions,
            OutcomeKind.Memory => StatField.Memory,
            OutcomeKind.Hang => StatField.Hangs,
            _ => StatField.Crashes,
        }, 1);
        Add(target, StatField.ElapsedTicks, ticks);
        if (allocated > Get(target, StatField.MaxAlloc))
        {
            Set(target, StatField.MaxAlloc, allocated);
            Set(target, StatField.MaxAllocInputSize, inputSize);
            Set(target, StatField.MaxAllocIndex, index);
        }
        if (inputSize >= 1024)
        {
            long ratio = allocated * 1000 / inputSize;
            if (ratio > Get(target, StatField.MaxRatioMilli))
            {
                Set(target, StatField.MaxRatioMilli, ratio);
                Set(target, StatField.MaxRatioAlloc, allocated);
                Set(target, StatField.MaxRatioInputSize, inputSize);
            }
        }
        if (ticks > Get(target, StatField.MaxTicks))
        {
            Set(target, StatField.MaxTicks, ticks);
            Set(target, StatField.MaxTicksIndex, index);
        }
    }

    /// <summary>Forces the counters to the file.</summary>
    public void Flush() => _view.Flush();

    /// <inheritdoc />
    public void Dispose()
    {
        _view.Dispose();
        _file.Dispose();
    }

    private static long Slot(int target, StatField field) => (HeaderLongs + target * StatLongs + (int)field) * 8L;
}
