using System.Diagnostics;
using WeightPort.Compute.Cpu;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Model;
using WeightPort.Tensors;

namespace WeightPort.Verification;

/// <summary>
/// Proves that the C# model computes what PyTorch computed: a checkpoint against a reference of PyTorch's outputs, or a
/// converted file against the source its manifest names (weights tensor by tensor, then both models on the same tokens).
/// </summary>
public static class ModelVerifier
{
    /// <summary>
    /// Verifies <paramref name="path"/> (an original fastai checkpoint or any converted file): against
    /// <see cref="VerifyOptions.ReferencePath"/> when given, on <see cref="VerifyOptions.Backend"/> and, when that is
    /// not the CPU, on the CPU too; otherwise against the source named by the manifest beside the file. Each file is
    /// read and hashed once.
    /// </summary>
    /// <param name="path">The checkpoint to verify.</param>
    /// <param name="options">Reference, backend and tolerance; the defaults when null.</param>
    /// <returns>One report per comparison; all must pass.</returns>
    /// <exception cref="FileNotFoundException">The checkpoint, the reference or the manifest's source does not exist.</exception>
    /// <exception cref="ArgumentException">No reference is given and there is no manifest beside the file to name its source.</exception>
    /// <exception cref="CheckpointFormatException">A file is unreadable, not an AWD-LSTM, fails validation, or does not match its manifest.</exception>
    public static IReadOnlyList<VerificationReport> Verify(string path, VerifyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new VerifyOptions();
        RequireFile(path, "checkpoint", "");
        if (options.ReferencePath is { } referencePath) RequireFile(referencePath, "reference", "the reference ");
        string manifestPath = ConversionManifest.PathFor(path);
        if (options.ReferencePath is null && !File.Exists(manifestPath))
        {
            const string reference = nameof(VerifyOptions) + "." + nameof(VerifyOptions.ReferencePath);
            throw new ArgumentException(LooksConverted(path)
                ? $"the manifest of '{path}' is missing: convert wrote it beside the file as '{manifestPath}', and it names the source to verify against; " +
                  $"restore it, or give a reference of PyTorch's outputs with {reference}"
                : $"nothing to verify '{path}' against: give a reference of PyTorch's outputs with {reference} " +
                  $"(only a file convert wrote can be checked against its source, through its manifest; there is no '{manifestPath}')",
                nameof(options));
        }

        ComputeBackend? ownBackend = options.Backend is null ? CpuBackend.Create(options.Blas, options.Weights) : null;
        var backend = options.Backend ?? ownBackend!;
        try
        {
            using var model = AwdLstmLoader.Load(path, options.Fastai);
            if (options.ReferencePath is { } reference)
            {
                var outputs = ReferenceOutputs.Read(reference);
                var reports = new List<VerificationReport> { AgainstReference(model, outputs, backend, options.Tolerance) };
                if (backend is not CpuBackend)
                {
                    using var cpu = CpuBackend.Create(options.Blas, options.Weights);
                    reports.Add(AgainstReference(model, outputs, cpu, options.Tolerance));
                }
                return reports;
            }
            var manifest = model.Manifest ?? throw new ArgumentException($"'{path}' has no manifest '{manifestPath}'", nameof(options));
            if (!File.Exists(manifest.Source.Path))
                throw new FileNotFoundException($"the source '{manifest.Source.Path}' named by '{manifestPath}' does not exist", manifest.Source.Path);
            var sourceHash = Task.Run(() => ManifestSource.FromFile(manifest.Source.Path));
            using var source = AwdLstmLoader.Load(manifest.Source.Path, options.Fastai);
            var report = AgainstSource(model, source, backend, options.Tolerance, options.Seed);
            var actual = sourceHash.GetAwaiter().GetResult();
            if (actual.Size != manifest.Source.Size || actual.Sha256 != manifest.Source.Sha256)
                report = report with
                {
                    Problems = [.. report.Problems, $"the source changed since the conversion: {actual.Size:N0} bytes with sha256 {actual.Sha256}, the manifest records {manifest.Source.Size:N0} bytes with sha256 {manifest.Source.Sha256}"],
                };
            return [report];
        }
        finally
        {
            ownBackend?.Dispose();
        }
    }

    // A missing file first, then a directory, before anything else is said about it.
    private static void RequireFile(string path, string kind, string what)
    {
        if (Directory.Exists(path))
            throw new CheckpointFormatException(CheckpointError.NotACheckpoint, $"this is a directory, not a {kind}", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{what}'{path}' does not exist", path);
    }

    // The formats convert writes (a TorchSharp or safetensors file, or a cleaned .pth under its default name), as
    // opposed to an original checkpoint, which never had a manifest.
    private static bool LooksConverted(string path)
    {
        try
        {
            using var checkpoint = CheckpointReader.Open(path);
            return checkpoint.Format is CheckpointFormat.TorchSharp or CheckpointFormat.Safetensors
                || path.EndsWith(OutputFormat.Pth.DefaultSuffix(), StringComparison.Ordinal);
        }
        catch (CheckpointFormatException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="model"/> on the reference's tokens on <paramref name="backend"/> and compares every output the reference has.</summary>
    internal static VerificationReport AgainstReference(LoadedWeights model, ReferenceOutputs reference, ComputeBackend backend, Tolerance tolerance)
    {
        var problems = new List<string>();
        var outputs = new List<ComparisonResult>();
        var cfg = model.Config;
        VerificationReport Report(double ms) => new(model.Path, model.Layout, cfg, reference.Path, backend.Description, tolerance, outputs, [], problems, ms);
        if (reference.Tokens.Any(t => t < 0 || t >= cfg.Model.VocabSize))
        {
            problems.Add($"the reference's tokens go outside the model's vocabulary of {cfg.Model.VocabSize}: it was made from a different model");
            return Report(0);
        }
        var (logits, classLogits, hidden, ms, storage) = Run(model, reference.Tokens, reference.Batch, reference.Seq, backend);
        if (cfg.IsClassifier)
        {
            if (reference.ClassLogits is null) problems.Add("the model is a classifier but the reference has no 'class_logits'");
            else if (reference.ClassCount != cfg.ClassCount) problems.Add($"the reference has {reference.ClassCount} classes, the model {cfg.ClassCount}: it was made from a different model");
            else outputs.Add(TensorComparison.Compare("class_logits", classLogits!, reference.ClassLogits, tolerance, reference.ClassCount));
        }
        else
        {
            if (reference.Logits is not null)
            {
                if (!cfg.HasDecoder) problems.Add("the reference has 'logits' but the model has no decoder (an encoder)");
                else if (reference.LogitsWidth != cfg.Model.VocabSize) problems.Add($"the reference's logits have {reference.LogitsWidth} columns, the model's vocabulary {cfg.Model.VocabSize}: it was made from a different model");
                else outputs.Add(TensorComparison.Compare("logits", logits!, reference.Logits, tolerance, reference.LogitsWidth));
            }
            if (reference.LastHidden is not null)
            {
                if (reference.HiddenWidth != cfg.Model.EmbSize) problems.Add($"the reference's last_hidden is {reference.HiddenWidth} wide, the model's emb_sz {cfg.Model.EmbSize}");
                else outputs.Add(TensorComparison.Compare("last_hidden", hidden!, reference.LastHidden, tolerance));
            }
            if (reference.Logits is null && reference.LastHidden is null) problems.Add("the reference has neither 'logits' nor 'last_hidden' to compare");
        }
        return Report(ms) with { WeightStorage = storage };
    }

    /// <summary>
    /// Compares a converted file with the source it was made from: tensor by tensor (bitwise, after rounding the source
    /// through the converted dtype when the file was cast), then both models on the same generated tokens.
    /// </summary>
    internal static VerificationReport AgainstSource(LoadedWeights converted, LoadedWeights source, ComputeBackend backend, Tolerance tolerance, int seed = 1234)
    {
        var problems = new List<string>();
        if (converted.Config.Model != source.Config.Model || converted.Config.IsClassifier != source.Config.IsClassifier)
            problems.Add($"the configurations differ: converted {converted.Config.Model}, source {source.Config.Model}");
        var weights = problems.Count == 0 ? CompareWeights(converted, source) : [];
        int batch = 3, seq = 24, vocab = converted.Config.Model.VocabSize;
        var rng = new Random(seed);
        int low = converted.Config.IsClassifier && vocab > 2 ? 2 : 0;  // classifier inputs avoid the pad id
        var tokens = new int[batch * seq];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = rng.Next(low, vocab);
        var outputs = new List<ComparisonResult>();
        double ms = 0;
        string? storage = null;
        if (problems.Count == 0)
        {
            var a = Run(converted, tokens, batch, seq, backend);
            var b = Run(source, tokens, batch, seq, backend);
            ms = a.Ms;
            storage = a.Storage;
            if (converted.Config.IsClassifier) outputs.Add(TensorComparison.Compare("class_logits", a.ClassLogits!, b.ClassLogits!, tolerance, converted.Config.ClassCount));
            else
            {
                if (converted.Config.HasDecoder) outputs.Add(TensorComparison.Compare("logits", a.Logits!, b.Logits!, tolerance, vocab));
                outputs.Add(TensorComparison.Compare("last_hidden", a.Hidden!, b.Hidden!, tolerance));
            }
        }
        return new VerificationReport(converted.Path, converted.Layout, converted.Config, source.Path, backend.Description, tolerance, outputs, weights, problems, ms) { WeightStorage = storage };
    }

    private static (float[]? Logits, float[]? ClassLogits, float[]? Hidden, double Ms, string Storage) Run(LoadedWeights model, int[] tokens, int batch, int seq, ComputeBackend backend)
    {
        var clock = Stopwatch.StartNew();
        if (model.Config.IsClassifier)
        {
            using var classifier = AwdLstmClassifier.FromWeights(model.Weights, backend, model.Pooling);
            var cl = classifier.Classify(tokens, batch, seq);
            return (null, cl, null, clock.Elapsed.TotalMilliseconds, classifier.WeightStorage);
        }
        using var lm = AwdLstm.FromWeights(model.Weights, backend);
        if (!model.Config.HasDecoder)
        {
            var h = lm.Encode(tokens, batch, seq);
            return (null, null, h, clock.Elapsed.TotalMilliseconds, lm.WeightStorage);
        }
        var output = lm.Forward(tokens, batch, seq);
        return (output.Logits, null, output.LastHidden, clock.Elapsed.TotalMilliseconds, lm.WeightStorage);
    }

    private static List<ComparisonResult> CompareWeights(LoadedWeights converted, LoadedWeights source)
    {
        bool cast = converted.Config.DType != source.Config.DType;
        var expectedByName = Named(source.Weights).ToDictionary(x => x.Name, x => x.Values);
        var result = new List<ComparisonResult>();
        foreach (var (name, values) in Named(converted.Weights))
        {
            if (!expectedByName.TryGetValue(name, out var src) || src.Length != values.Length)
            {
                long n = Math.Max(values.Length, src.Length);
                result.Add(new ComparisonResult(name, n, n, double.PositiveInfinity, double.PositiveInfinity, 0, null, n, 0, false));
                continue;
            }
            var expected = cast ? RoundThrough(src.Span, converted.Config.DType) : src.ToArray();
            var r = TensorComparison.Compare(name, values.Span, expected, Tolerance.Exact);
            result.Add(r with { Passed = r.Differing == 0 });
        }
        return result;
    }

    private static float[] RoundThrough(ReadOnlySpan<float> values, DType dtype)
    {
        var bytes = new byte[values.Length * dtype.ElementSize()];
        ElementConversion.FromFloat32(values, dtype, bytes);
        var back = new float[values.Length];
        ElementConversion.ToFloat32(dtype, bytes, back);
        return back;
    }

    /// <summary>The weights under their canonical names.</summary>
    internal static IEnumerable<(string Name, ReadOnlyMemory<float> Values)> Named(AwdLstmWeights w)
    {
        yield return (FastaiNameMap.TargetName(FastaiRole.Embedding, 0), w.Embedding);
        FastaiRole[][] directions =
        [
            [FastaiRole.WeightIh, FastaiRole.WeightHh, FastaiRole.BiasIh, FastaiRole.BiasHh],
            [FastaiRole.WeightIhReverse, FastaiRole.WeightHhReverse, FastaiRole.BiasIhReverse, FastaiRole.BiasHhReverse],
        ];
        for (int l = 0; l < w.Layers.Count; l++)
        {
            for (int d = 0; d < w.Layers[l].Count; d++)
            {
                var dir = w.Layers[l][d];
                var roles = directions[d];
                yield return (FastaiNameMap.TargetName(roles[0], l), dir.WeightIh);
                yield return (FastaiNameMap.TargetName(roles[1], l), dir.WeightHh);
                yield return (FastaiNameMap.TargetName(roles[2], l), dir.BiasIh);
                yield return (FastaiNameMap.TargetName(roles[3], l), dir.BiasHh);
            }
        }
        if (w.DecoderWeight is { } dw) yield return (FastaiNameMap.TargetName(FastaiRole.DecoderWeight, 0), dw);
        if (w.DecoderBias is { } db) yield return (FastaiNameMap.TargetName(FastaiRole.DecoderBias, 0), db);
        if (w.ClassifierHead is not { } head) yield break;
        for (int k = 0; k < head.Count; k++)
        {
            var block = head[k];
            yield return (FastaiNameMap.TargetName(FastaiRole.HeadBnWeight, k), block.BnWeight);
            yield return (FastaiNameMap.TargetName(FastaiRole.HeadBnBias, k), block.BnBias);
            yield return (FastaiNameMap.TargetName(FastaiRole.HeadBnRunningMean, k), block.RunningMean);
            yield return (FastaiNameMap.TargetName(FastaiRole.HeadBnRunningVar, k), block.RunningVar);
            yield return (FastaiNameMap.TargetName(FastaiRole.HeadLinearWeight, k), block.LinearWeight);
            if (block.LinearBias is { } lb) yield return (FastaiNameMap.TargetName(FastaiRole.HeadLinearBias, k), lb);
        }
    }
}
