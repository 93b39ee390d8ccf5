using System.Diagnostics;

namespace WeightPort.Cli.Rendering;

/// <summary>
/// A one-line progress bar on stderr, redrawn in place at most ten times a second. Only used on a terminal and for
/// large files, so logs and --json output stay clean. The 100 % line is drawn once and ended once, however many times
/// the writer reports completion; a run that stops early has its line cleared.
/// </summary>
internal sealed class ProgressLine(TextWriter writer, string label) : IProgress<(long Done, long Total)>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _lastDraw = -1000;
    private bool _drawn;
    private bool _finished;

    public void Report((long Done, long Total) value)
    {
        lock (_gate)
        {
            if (_finished) return;
            bool final = value.Done >= value.Total;
            if (!final && _clock.ElapsedMilliseconds - _lastDraw < 100) return;
            _lastDraw = _clock.ElapsedMilliseconds;
            double f = value.Total == 0 ? 1 : Math.Clamp((double)value.Done / value.Total, 0, 1);
            int filled = (int)(f * 30);
            writer.Write($"\r{label} [{new string('#', filled)}{new string('.', 30 - filled)}] {f * 100,5:0.0}%  {Format.Human(value.Done)} / {Format.Human(value.Total)}");
            _drawn = true;
            if (!final) return;
            writer.WriteLine();
            _finished = true;
        }
    }

    /// <summary>Ends the line: nothing to do after the 100 % line; an unfinished bar is erased.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_finished) return;
            _finished = true;
            // Carriage return, erase to the end of the line: the next message starts on a clean line.
            if (_drawn) writer.Write("\r\u001b[K");
        }
    }
}
