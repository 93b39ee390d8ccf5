using System.Diagnostics;
using System.Globalization;
using WeightPort.Compute.Cpu;
using WeightPort.Fastai;
using WeightPort.Model;

namespace WeightPort.Bench;

/// <summary>
/// The WeightPort half of <c>tools/bench_cpu.sh</c>: full LM forward passes (embedding → 3 LSTM layers → decoder,
/// logits materialised) at the WT103 shape, timed exactly like bench/pytorch_bench.py, one line per measurement.
/// </summary>
internal static class SideBySide
{
    public static int Run(CpuBlas blas, int repeats, int tokenSteps, string mode)
    {
        AwdLstmConfig config = RandomModel.Wt103;
        AwdLstmWeights weights = RandomModel.Create(config);
        using CpuBackend backend = CpuBackend.Create(blas);
        using AwdLstm model = AwdLstm.FromWeights(weights, backend);
        // alloc: Forward allocates its outputs every call (like PyTorch's model(x)); dispose: the output is disposed,
        // so the next call reuses its arrays; reuse: Forward into caller-owned buffers.
        bool reuseBuffers = mode == "reuse";
        Console.WriteLine($"# weightport backend: {backend.Description}; outputs: {mode}");
        var random = new Random(2);
        foreach ((int batch, int seq) in new[] { (64, 70), (16, 70) })
        {
            var tokens = new int[batch * seq];
            for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(config.VocabSize);
            float[] logits = reuseBuffers ? GC.AllocateUninitializedArray<float>(batch * seq * config.VocabSize) : [];
            float[] hidden = reuseBuffers ? new float[batch * seq * config.EmbSize] : [];
            void Once()
            {
                if (reuseBuffers) model.Forward(tokens, batch, seq, logits, hidden);
                else if (mode == "dispose") model.Forward(tokens, batch, seq).Dispose();
                else GC.KeepAlive(model.Forward(tokens, batch, seq));
            }
            model.Reset();
            Once(); // warm-up: JIT, page faults of the buffers
            var times = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                Once();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            double best = times.Min(), median = times.Order().ElementAt(times.Count / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"weightport batch={batch} seq={seq} median_s={median:F4} best_s={best:F4} tok_per_s={batch * seq / median:F1}"));
        }
        {
            model.Reset();
            var logits = new float[config.VocabSize];
            var hidden = new float[config.EmbSize];
            int[] token = [5];
            for (int i = 0; i < 10; i++) model.Forward(token, 1, 1, logits, hidden);
            var times = new double[tokenSteps];
            for (int i = 0; i < tokenSteps; i++)
            {
                token[0] = random.Next(config.VocabSize);
                long start = Stopwatch.GetTimestamp();
                if (reuseBuffers) model.Forward(token, 1, 1, logits, hidden);
                else if (mode == "dispose") model.Forward(token, 1, 1).Dispose();
                else GC.KeepAlive(model.Forward(token, 1, 1));
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Array.Sort(times);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"weightport single_token median_ms={times[tokenSteps / 2]:F3} best_ms={times[0]:F3}"));
        }
        return 0;
    }
}
