using BenchmarkDotNet.Running;
using WeightPort.Bench;

// kernels [reps]: GFLOP per CPU-second of the CPU kernels at the model's shapes.
// load FILE [--copy]: load time and memory of a model, weights mapped (default) or copied.
// Anything else goes to BenchmarkDotNet (kernel benchmarks).
// The forward pass against other engines is tools/bench_peers.sh (bench/WeightPort.Peers).
if (args.Length > 0 && args[0] == "kernels") return KernelBenchmark.Run(args.Length > 1 ? int.Parse(args[1]) : 1);
if (args.Length > 1 && args[0] == "load") return LoadBenchmark.Run(args[1], args.Contains("--copy"));
BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmark).Assembly).Run(args);
return 0;
