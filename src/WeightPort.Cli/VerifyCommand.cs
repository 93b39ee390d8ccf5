using System.CommandLine;
using System.Globalization;
using WeightPort.Cli.Rendering;
using WeightPort.Compute.Cpu;
using WeightPort.Compute.Cuda;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;
using WeightPort.Verification;

namespace WeightPort.Cli;

/// <summary>
/// <c>weightport verify CHECKPOINT [--reference REF.pt]</c>: run the C# AWD-LSTM and prove it computes what PyTorch
/// computed (or that a converted file is its source). Exit 0 when it matches, 4 when it does not.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliContext context)
    {
        var checkpoint = new Argument<FileInfo>("checkpoint") { Description = "The original .pth or any converted file (TorchSharp, safetensors, cleaned .pth)." };
        var reference = new Option<FileInfo?>("--reference") { Description = "A reference from tools/make_reference.py: torch.save'd {tokens, logits | class_logits, last_hidden}. Without it, a converted file is checked against its source (from its manifest)." };
        var device = OptionRules.Choice("--device", "auto (CUDA when a GPU is present, else CPU), cpu or cuda.", "auto", ["auto", "cpu", "cuda"]);
        var blas = OptionRules.Choice("--blas", "CPU matrix products: auto, openblas (libopenblas.so.0) or managed (SIMD C#).", "auto", ["auto", "openblas", "managed"]);
        var weights = OptionRules.Choice("--weights",
            "How the CPU engine stores the weights: auto (float16 when every weight is exact in float16, which gives bitwise the float32 results; else float32), float32, or the lossy float16 / bfloat16 (the report shows their error).",
            "auto", ["auto", "float32", "float16", "bfloat16"], ("fp32", "float32"), ("fp16", "float16"), ("bf16", "bfloat16"));
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance per element, ≥ 0.", DefaultValueFactory = _ => Tolerance.Default.Absolute }
            .InRange(0, double.MaxValue, "a finite number ≥ 0");
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance per element (times |reference|), ≥ 0.", DefaultValueFactory = _ => Tolerance.Default.Relative }
            .InRange(0, double.MaxValue, "a finite number ≥ 0");
        var minTop1 = new Option<double>("--min-top1") { Description = "Minimum top-1 agreement of the logits, as a fraction of rows from 0 to 1 (1 = every row, the default; 0.99 = 99 %).", DefaultValueFactory = _ => Tolerance.Default.MinTop1Agreement }
            .InRange(0, 1, "a fraction of rows from 0 to 1 (1 = every row; for a percentage, divide by 100)");
        var allowMismatch = new Option<bool>("--allow-embedding-mismatch") { Description = "As for convert." };
        var ignore = OptionRules.Ignore();
        var verbose = new Option<bool>("--verbose") { Description = "Also say why CUDA is not used (every library and folder searched)." };
        var json = new Option<bool>("--json") { Description = "Machine-readable report." };
        var command = new Command("verify", "Run the C# model and compare with a PyTorch reference (or a converted file with its source): max abs/rel error, cosine, top-1 agreement.")
        {
            checkpoint, reference, device, blas, weights, atol, rtol, minTop1, allowMismatch, ignore, verbose, json,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(checkpoint)!.FullName;
            var cpuBlas = parse.GetValue(blas) switch { "openblas" => CpuBlas.OpenBlas, "managed" => CpuBlas.Managed, _ => CpuBlas.Auto };
            var precision = parse.GetValue(weights) switch
            {
                "float32" => CpuWeightPrecision.Float32,
                "float16" => CpuWeightPrecision.Float16,
                "bfloat16" => CpuWeightPrecision.BFloat16,
                _ => CpuWeightPrecision.Auto,
            };
            if (precision is CpuWeightPrecision.Float16 or CpuWeightPrecision.BFloat16 && cpuBlas == CpuBlas.OpenBlas)
                throw new UsageException($"--weights {parse.GetValue(weights)} needs the managed kernels (--blas managed or auto); OpenBLAS multiplies float32 only");
            var (backend, note, cudaReason) = SelectBackend(parse.GetValue(device)!, cpuBlas, precision);
            if (parse.GetValue(verbose) && cudaReason is not null && !parse.GetValue(json)) context.Error.WriteLine($"CUDA is not used: {cudaReason}");
            using (backend)
            {
                var options = new VerifyOptions
                {
                    ReferencePath = parse.GetValue(reference)?.FullName,
                    Backend = backend,
                    Blas = cpuBlas,
                    Weights = precision,
                    Tolerance = Tolerance.Default with { Absolute = parse.GetValue(atol), Relative = parse.GetValue(rtol), MinTop1Agreement = parse.GetValue(minTop1) },
                    Fastai = new FastaiOptions { AllowEmbeddingMismatch = parse.GetValue(allowMismatch), IgnoredSubtrees = parse.GetValue(ignore) ?? [] },
                };
                IReadOnlyList<VerificationReport> reports;
                try
                {
                    reports = ModelVerifier.Verify(path, options);
                }
                catch (ArgumentException e) when (e.ParamName == "options")
                {
                    // What to compare against is the caller's choice: here, a missing --reference.
                    throw new UsageException(LibraryTerms.ToFlags(e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)));
                }
                bool passed = reports.All(r => r.Passed);
                if (parse.GetValue(json)) WriteJson(context.Out, reports, backend is CudaBackend ? "cuda" : "cpu", cudaReason, passed);
                else WriteText(context.Out, parse.GetValue(checkpoint)!.ToString(), reports, note, passed);
                return passed ? ExitCodes.Ok : ExitCodes.VerificationFailed;
            }
        });
        return command;
    }

    // The device line stays one short line; why CUDA is missing in full (every place searched) is for --verbose and JSON.
    private static (ComputeBackend Backend, string Note, string? CudaReason) SelectBackend(string device, CpuBlas blas, CpuWeightPrecision weights)
    {
        if (device == "cpu") return (CpuBackend.Create(blas, weights), "cpu (asked for)", null);
        if (CudaBackend.TryCreate(out var cuda, out var reason, out var summary)) return (cuda, "cuda", null);
        if (device == "cuda") throw new DeviceUnavailableException($"--device cuda, but CUDA is not available: {reason}");
        return (CpuBackend.Create(blas, weights), $"cpu ({summary})", reason);
    }

    private static void WriteText(TextWriter o, string display, IReadOnlyList<VerificationReport> reports, string note, bool passed)
    {
        o.WriteLine($"verify {display}");
        o.WriteLine($"  model:     {reports[0].Layout.Id()}: {ConvertReport.Describe(reports[0].Config)}");
        o.WriteLine($"  device:    {note}");
        var t = reports[0].Tolerance;
        o.WriteLine($"  tolerance: |a - b| <= {F(t.Absolute)} + {F(t.Relative)}·|b| per element, cosine >= {F(t.MinCosine)}, top-1 agreement >= {t.MinTop1Agreement:P0}");
        foreach (var r in reports)
        {
            o.WriteLine();
            o.WriteLine($"against {r.Against}");
            o.WriteLine($"  on {r.Backend}; forward {r.ForwardMilliseconds:0.0} ms");
            if (r.WeightStorage is { } storage) o.WriteLine($"  weights: {storage}");
            var table = new TextTable("output", "elements", "max abs err", "max rel err", "cosine", "top-1", "outside tol", "result").AlignRight(1, 2, 3, 4, 5, 6);
            foreach (var c in r.Outputs)
                table.Add(c.Name, Format.Count(c.Elements), E(c.MaxAbsError), E(c.MaxRelError), c.Cosine.ToString("0.0000000", CultureInfo.InvariantCulture),
                    c.Top1Agreement is double a ? a.ToString("P2", CultureInfo.InvariantCulture) : "-", Format.Count(c.Violations), c.Passed ? "pass" : "FAIL");
            if (r.Outputs.Count > 0) table.WriteTo(o);
            if (r.Weights.Count > 0)
            {
                var bad = r.Weights.Where(w => !w.Passed).ToList();
                o.WriteLine(bad.Count == 0
                    ? $"  weights: all {r.Weights.Count} tensors bitwise equal to the source"
                    : $"  weights: {bad.Count} of {r.Weights.Count} tensors differ: " + string.Join("; ", bad.Select(w => $"{w.Name} ({Format.Count(w.Differing)} elements, max {E(w.MaxAbsError)})")));
            }
            foreach (var p in r.Problems) o.WriteLine($"  problem: {p}");
        }
        o.WriteLine();
        o.WriteLine(passed ? "PASS: the C# model matches" : "FAIL: the C# model does not match");
    }

    private static void WriteJson(TextWriter o, IReadOnlyList<VerificationReport> reports, string device, string? cudaReason, bool passed)
    {
        JsonOutput.Write(o, w =>
        {
            w.WriteStartObject();
            w.WriteString("checkpoint", reports[0].Checkpoint);
            w.WriteString("layout", reports[0].Layout.Id());
            w.WriteString("device", device);
            if (cudaReason is not null) w.WriteString("cuda_unavailable_reason", cudaReason);
            w.WriteBoolean("passed", passed);
            w.WriteStartArray("reports");
            foreach (var r in reports)
            {
                w.WriteStartObject();
                w.WriteString("against", r.Against);
                w.WriteString("backend", r.Backend);
                w.WriteNumber("forward_ms", r.ForwardMilliseconds);
                if (r.WeightStorage is { } storage) w.WriteString("weight_storage", storage);
                w.WriteBoolean("passed", r.Passed);
                w.WriteStartObject("tolerance");
                w.WriteNumber("atol", r.Tolerance.Absolute);
                w.WriteNumber("rtol", r.Tolerance.Relative);
                w.WriteNumber("min_cosine", r.Tolerance.MinCosine);
                w.WriteNumber("min_top1", r.Tolerance.MinTop1Agreement);
                w.WriteEndObject();
                w.WriteStartArray("outputs");
                foreach (var c in r.Outputs)
                {
                    w.WriteStartObject();
                    w.WriteString("name", c.Name);
                    w.WriteNumber("elements", c.Elements);
                    w.WriteNumber("max_abs_error", c.MaxAbsError);
                    w.WriteNumber("max_rel_error", c.MaxRelError);
                    w.WriteNumber("cosine", c.Cosine);
                    if (c.Top1Agreement is double a) w.WriteNumber("top1_agreement", a);
                    w.WriteNumber("violations", c.Violations);
                    w.WriteBoolean("passed", c.Passed);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("weights");
                foreach (var x in r.Weights)
                {
                    w.WriteStartObject();
                    w.WriteString("name", x.Name);
                    w.WriteNumber("differing", x.Differing);
                    w.WriteNumber("max_abs_difference", double.IsFinite(x.MaxAbsError) ? x.MaxAbsError : -1);
                    w.WriteBoolean("passed", x.Passed);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("problems");
                foreach (var p in r.Problems) w.WriteStringValue(p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static string E(double v) => double.IsFinite(v) ? v.ToString("0.000e+00", CultureInfo.InvariantCulture) : "inf";

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
