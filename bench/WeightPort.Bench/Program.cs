using BenchmarkDotNet.Running;
using WeightPort.Bench;
using WeightPort.Compute.Cpu;

// side-by-side [auto|openblas|managed] [repeats] [token steps] [--mode alloc|dispose|reuse]: the WeightPort half of
// tools/bench_cpu.sh. alloc (default): outputs allocated by every call and dropped, as PyTorch's model(x) does;
// dispose: `using var o = model.Forward(...)`, so a call reuses the previous call's arrays; reuse: caller-owned buffers.
// load FILE [--copy]: load time and memory of a model, weights mapped (default) or copied.
// Anything else goes to BenchmarkDotNet (kernel benchmarks).
if (args.Length > 0 && args[0] == "kernels") return KernelBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 1);
if (args.Length > 1 && args[0] == "load") return LoadBenchmark.Run(args[1], args.Contains("--copy"));
if (args.Length > 0 && args[0] == "side-by-side")
{
    CpuBlas blas = args.Length > 1 ? Enum.Parse<CpuBlas>(args[1], ignoreCase: true) : CpuBlas.Auto;
    int repeats = args.Length > 2 ? int.Parse(args[2]) : 3;
    int steps = args.Length > 3 ? int.Parse(args[3]) : 200;
    int at = Array.IndexOf(args, "--mode");
    string mode = at >= 0 && at + 1 < args.Length ? args[at + 1] : "alloc";
    if (mode is not ("dispose" or "alloc" or "reuse")) throw new ArgumentException($"unknown --mode '{mode}'");
    return SideBySide.Run(blas, repeats, steps, mode);
}
BenchmarkSwitcher.FromAssembly(typeof(SideBySide).Assembly).Run(args);
return 0;
