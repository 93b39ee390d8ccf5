using System.Diagnostics;
using WeightPort.Compute.Cpu;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Bench;

/// <summary>
/// `load FILE [--copy]`: time to a ready model and what it costs in memory. Mapped (the default, what
/// <see cref="AwdLstm.Load"/> does) against --copy (every weight copied into managed arrays, the former behaviour).
/// Memory comes from /proc/self/status: RssAnon is private, RssFile the mapped file's pages (shared page cache).
/// </summary>
internal static class LoadBenchmark
{
    public static int Run(string path, bool copy)
    {
        var (anonBefore, fileBefore) = Rss();
        var clock = Stopwatch.StartNew();
        using var backend = CpuBackend.Create(CpuBlas.Auto, CpuWeightPrecision.Float32);
        using var checkpoint = FastaiCheckpoint.Open(path);
        var plan = ConversionPlan.Create(checkpoint);
        var weights = AwdLstmWeights.FromPlan(plan);
        if (copy) weights = Copied(weights);
        using var model = AwdLstm.FromWeights(weights, backend);
        double loadMs = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        using (model.Forward(new int[,] { { 2 } })) { }
        double firstMs = clock.Elapsed.TotalMilliseconds;
        var (anon, file) = Rss();
        // Unaligned mapped weights (legacy files) must not slow the products down: time a few 16×70 batches too.
        var tokens = new int[16, 70];
        var random = new Random(1);
        for (int b = 0; b < 16; b++)
            for (int t = 0; t < 70; t++) tokens[b, t] = random.Next(model.Config.VocabSize);
        model.Reset();
        using (model.Forward(tokens)) { }
        clock.Restart();
        const int Batches = 5;
        for (int i = 0; i < Batches; i++)
        {
            model.Reset();
            using (model.Forward(tokens)) { }
        }
        double tokensPerSecond = Batches * 16 * 70 / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{(copy ? "copied" : "mapped")}: load {loadMs:F1} ms, first token {firstMs:F1} ms, " +
            $"private (RssAnon) +{(anon - anonBefore) / 1024.0:F1} MiB, mapped file pages (RssFile) +{(file - fileBefore) / 1024.0:F1} MiB, " +
            $"managed heap {GC.GetTotalMemory(false) / 1048576.0:F1} MiB, 16×70 forward {tokensPerSecond:F0} tokens/s");
        return 0;
    }

    private static AwdLstmWeights Copied(AwdLstmWeights w) => w with
    {
        Embedding = w.Embedding.ToArray(),
        Layers = [.. w.Layers.Select(l => (IReadOnlyList<LstmDirectionWeights>)[.. l.Select(d =>
            new LstmDirectionWeights(d.WeightIh.ToArray(), d.WeightHh.ToArray(), d.BiasIh.ToArray(), d.BiasHh.ToArray()))])],
        // A null float[] would convert to an empty, non-null ReadOnlyMemory, so test first.
        DecoderWeight = w.DecoderWeight is { } dw ? (ReadOnlyMemory<float>?)dw.ToArray() : null,
        DecoderBias = w.DecoderBias is { } db ? (ReadOnlyMemory<float>?)db.ToArray() : null,
    };

    private static (long AnonKiB, long FileKiB) Rss()
    {
        long anon = 0, file = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kib(line);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kib(line);
        }
        return (anon, file);
    }

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
