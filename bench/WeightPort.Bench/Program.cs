using BenchmarkDotNet.Running;
using WeightPort.Bench;
using WeightPort.Compute.Cpu;

// side-by-side [auto|openblas|managed] [repeats] [token steps] [--reuse]: the WeightPort half of tools/bench_cpu.sh.
// By default every call allocates its outputs, as PyTorch's model(x) does; --reuse passes caller-owned buffers.
// Anything else goes to BenchmarkDotNet (kernel benchmarks).
if (args.Length > 0 && args[0] == "side-by-side")
{
    CpuBlas blas = args.Length > 1 ? Enum.Parse<CpuBlas>(args[1], ignoreCase: true) : CpuBlas.Auto;
    int repeats = args.Length > 2 ? int.Parse(args[2]) : 3;
    int steps = args.Length > 3 ? int.Parse(args[3]) : 200;
    return SideBySide.Run(blas, repeats, steps, reuseBuffers: args.Contains("--reuse"));
}
BenchmarkSwitcher.FromAssembly(typeof(SideBySide).Assembly).Run(args);
return 0;
