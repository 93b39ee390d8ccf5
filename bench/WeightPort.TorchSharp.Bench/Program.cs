using System.Diagnostics;
using System.Globalization;
using WeightPort.TorchSharp.Modules;
using static TorchSharp.torch;

// One measured FromPretrained in a fresh process, for tools/bench_torchsharp_load.py, which alternates it with
// PyTorch's torch.load + load_state_dict and prints medians and ratios. Prints one JSON line.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: WeightPort.TorchSharp.Bench CHECKPOINT");
    return 2;
}
// Start-up that both sides pay before the load: the native libraries, one tensor op. EnsureAvailable first, so
// that a native library that cannot load is explained rather than reported by TorchSharp's initializer.
WeightPort.TorchSharp.Native.TorchSharpRuntime.EnsureAvailable();
using (var warm = ones(1)) warm.sum().Dispose();
GC.Collect();
long baseline = Status("VmRSS");
var clock = Stopwatch.StartNew();
using var lm = AwdLstmLanguageModel.FromPretrained(args[0]);
clock.Stop();
long peak = Status("VmHWM");
long parameters = lm.parameters().Sum(p => p.numel());
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{{\"side\": \"WeightPort.TorchSharp FromPretrained\", \"seconds\": {clock.Elapsed.TotalSeconds:F4}, \"baseline_mib\": {baseline / 1024.0:F1}, \"peak_mib\": {peak / 1024.0:F1}, \"added_peak_mib\": {(peak - baseline) / 1024.0:F1}, \"parameters\": {parameters}}}"));
return 0;

static long Status(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field + ":", StringComparison.Ordinal))
            return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    throw new InvalidOperationException($"/proc/self/status has no {field}");
}
