using System.Diagnostics;
using System.Globalization;
using WeightPort.Compute.Cpu;
using WeightPort.Peers;
using WeightPort.Verification;

// The .NET side of tools/bench_peers.sh; every line it prints that the script reads starts with a keyword:
//   machine                        -> "machine fma_gflops=… read_gbps=…"
//   check ENGINE [options]         -> "check engine=… max_abs=… batch=… seq=…" (logits against PyTorch's reference)
//   run ENGINE CASE [options]      -> "result engine=… case=… load_ms=… tok_per_s=… ms_per_token=… best_ms_per_token=… peak_rss_mib=…"
// ENGINE: weightport | weightport-fp32 | onnxruntime | torchsharp. CASE: 64x70 | 16x70 | 1x1 (one token at a time,
// state carried). Options: --pth FILE --onnx FILE --torchsharp FILE --reference FILE --threads N --repeats N --steps N.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var opts = Options.Parse(args);
if (opts.Command == "machine")
{
    double fma = MachineLimits.FmaGflops();
    double read = MachineLimits.ReadGBps();
    Console.WriteLine($"machine fma_gflops={fma:F1} read_gbps={read:F1} cores={Environment.ProcessorCount}");
    return 0;
}

IPeer peer = opts.Engine switch
{
    "weightport" => new WeightPortPeer(opts.Pth, CpuBlas.Auto, CpuWeightPrecision.Auto, "weightport"),
    // What tools/bench_peers.sh asks of the build named by BASELINE: that build's default WeightPort, under this name.
    "weightport-baseline" => new WeightPortPeer(opts.Pth, CpuBlas.Auto, CpuWeightPrecision.Auto, "weightport-baseline"),
    "weightport-fp32" => new WeightPortPeer(opts.Pth, CpuBlas.Auto, CpuWeightPrecision.Float32, "weightport-fp32"),
    "weightport-openblas" => new WeightPortPeer(opts.Pth, CpuBlas.OpenBlas, CpuWeightPrecision.Float32, "weightport-openblas"),
    "onnxruntime" => new OnnxRuntimePeer(opts.Onnx, opts.Threads),
    "torchsharp" => new TorchSharpPeer(opts.TorchSharp, opts.Threads),
    _ => throw new ArgumentException($"unknown engine '{opts.Engine}'"),
};
using (peer)
{
    long t0 = Stopwatch.GetTimestamp();
    peer.Load();
    double loadMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
    Console.WriteLine($"# {peer.Description}");
    if (opts.Command == "check")
    {
        var reference = ReferenceOutputs.Read(opts.Reference);
        long[] ids = [.. reference.Tokens.Select(t => (long)t)];
        float[] logits = peer.Logits(ids, reference.Batch, reference.Seq);
        double maxAbs = 0;
        for (int i = 0; i < logits.Length; i++) maxAbs = Math.Max(maxAbs, Math.Abs((double)logits[i] - reference.Logits![i]));
        Console.WriteLine($"check engine={peer.Name} max_abs={maxAbs:E2} batch={reference.Batch} seq={reference.Seq} n={logits.Length}");
        return 0;
    }
    var (tokPerS, msPerToken, bestMs) = Timing.Run(peer, opts.Case, opts.Repeats, opts.Steps);
    Console.WriteLine($"result engine={peer.Name} case={opts.Case} load_ms={loadMs:F1} tok_per_s={tokPerS:F1} ms_per_token={msPerToken:F3} best_ms_per_token={bestMs:F3} peak_rss_mib={Timing.PeakRssMiB():F1}");
}
return 0;
