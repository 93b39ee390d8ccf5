using System.Diagnostics;

namespace WeightPort.Peers;

/// <summary>
/// The timing protocol, the same as bench/peers_pytorch.py's: random token ids (speed does not depend on them), state
/// carried between calls, one warm-up call (ten for single tokens), then the median of the timed calls.
/// </summary>
internal static class Timing
{
    private const int Vocab = 60000;

    /// <summary>Tokens per second and milliseconds per call of <paramref name="shape"/> ("BxS").</summary>
    public static (double TokensPerSecond, double MsPerCall, double BestMsPerToken) Run(IPeer peer, string shape, int repeats, int steps)
    {
        var parts = shape.Split('x');
        int batch = int.Parse(parts[0]), seq = int.Parse(parts[1]);
        var random = new Random(2);
        peer.Reset();
        if (batch * seq == 1)
        {
            long[] token = [5];
            for (int i = 0; i < 10; i++) peer.Forward(token, 1, 1);
            var times = new double[steps];
            for (int i = 0; i < steps; i++)
            {
                token[0] = random.Next(Vocab);
                long start = Stopwatch.GetTimestamp();
                peer.Forward(token, 1, 1);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            double ms = Median(times);
            return (1000 / ms, ms, times.Min());
        }
        var tokens = new long[batch * seq];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(Vocab);
        peer.Forward(tokens, batch, seq);
        var seconds = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            peer.Forward(tokens, batch, seq);
            seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        double median = Median(seconds);
        return (batch * seq / median, median * 1000 / (batch * seq), seconds.Min() * 1000 / (batch * seq));
    }

    /// <summary>The process's peak resident set (VmHWM), MiB.</summary>
    public static double PeakRssMiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
