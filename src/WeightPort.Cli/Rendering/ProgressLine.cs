using System.Diagnostics;

namespace WeightPort.Cli.Rendering;

/// <summary>
/// A one-line progress bar on stderr, redrawn in place at most ten times a second. Only used on a terminal and for
/// large files, so logs and --json output stay clean.
/// </summary>
internal sealed class ProgressLine(TextWriter writer, string label) : IProgress<(long Done, long Total)>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1000;

    public void Report((long Done, long Total) value)
    {
        bool final = value.Done >= value.Total;
        if (!final && _clock.ElapsedMilliseconds - _lastDraw < 100) return;
        _lastDraw = _clock.ElapsedMilliseconds;
        double f = value.Total == 0 ? 1 : Math.Clamp((double)value.Done / value.Total, 0, 1);
        int filled = (int)(f * 30);
        writer.Write($"\r{label} [{new string('#', filled)}{new string('.', 30 - filled)}] {f * 100,5:0.0}%  {Format.Human(value.Done)} / {Format.Human(value.Total)}");
        if (final) writer.WriteLine();
    }
}
