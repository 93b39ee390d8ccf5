using System.Diagnostics;
using WeightPort.Compute;
using WeightPort.Model;
using WeightPort.Tensors;

namespace WeightPort.Verification;

/// <summary>Runs a loaded model and compares it with a PyTorch reference, or a converted file with its source.</summary>
public static class ModelVerifier
{
    /// <summary>Runs <paramref name="model"/> on the reference's tokens on <paramref name="backend"/> and compares every output the reference has.</summary>
    public static VerificationReport AgainstReference(LoadedWeights model, ReferenceOutputs reference, IComputeBackend backend, Tolerance tolerance)
    {
        var problems = new List<string>();
        var outputs = new List<ComparisonResult>();
        var cfg = model.Config;
        if (reference.Tokens.Any(t => t < 0 || t >= cfg.Model.VocabSize))
        {
            problems.Add($"the reference's tokens go outside the model's vocabulary of {cfg.Model.VocabSize}: it was made from a different model");
            return new VerificationReport(model.Path, reference.Path, backend.Description, tolerance, outputs, [], problems, 0);
        }
        var (logits, classLogits, hidden, ms) = Run(model, reference.Tokens, reference.Batch, reference.Seq, backend);
        if (cfg.IsClassifier)
        {
            if (reference.ClassLogits is null) problems.Add("the model is a classifier but the reference has no 'class_logits'");
            else if (reference.ClassCount != cfg.ClassCount) problems.Add($"the reference has {reference.ClassCount} classes, the model {cfg.ClassCount}: it was made from a different model");
            else outputs.Add(OutputComparer.Compare("class_logits", classLogits!, reference.ClassLogits, tolerance, reference.ClassCount));
        }
        else
        {
            if (reference.Logits is not null)
            {
                if (!cfg.HasDecoder) problems.Add("the reference has 'logits' but the model has no decoder (an encoder)");
                else if (reference.LogitsWidth != cfg.Model.VocabSize) problems.Add($"the reference's logits have {reference.LogitsWidth} columns, the model's vocabulary {cfg.Model.VocabSize}: it was made from a different model");
                else outputs.Add(OutputComparer.Compare("logits", logits!, reference.Logits, tolerance, reference.LogitsWidth));
            }
            if (reference.LastHidden is not null)
            {
                if (reference.HiddenWidth != cfg.Model.EmbSize) problems.Add($"the reference's last_hidden is {reference.HiddenWidth} wide, the model's emb_sz {cfg.Model.EmbSize}");
                else outputs.Add(OutputComparer.Compare("last_hidden", hidden!, reference.LastHidden, tolerance));
            }
            if (reference.Logits is null && reference.LastHidden is null) problems.Add("the reference has neither 'logits' nor 'last_hidden' to compare");
        }
        return new VerificationReport(model.Path, reference.Path, backend.Description, tolerance, outputs, [], problems, ms);
    }

    /// <summary>
    /// Compares a converted file with the source it was made from: tensor by tensor (bitwise, after rounding the source
    /// through the converted dtype when the file was cast), then both models on the same generated tokens.
    /// </summary>
    public static VerificationReport AgainstSource(LoadedWeights converted, LoadedWeights source, IComputeBackend backend, Tolerance tolerance, int seed = 1234)
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
        if (problems.Count == 0)
        {
            var a = Run(converted, tokens, batch, seq, backend);
            var b = Run(source, tokens, batch, seq, backend);
            ms = a.Ms;
            if (converted.Config.IsClassifier) outputs.Add(OutputComparer.Compare("class_logits", a.ClassLogits!, b.ClassLogits!, tolerance, converted.Config.ClassCount));
            else
            {
                if (converted.Config.HasDecoder) outputs.Add(OutputComparer.Compare("logits", a.Logits!, b.Logits!, tolerance, vocab));
                outputs.Add(OutputComparer.Compare("last_hidden", a.Hidden!, b.Hidden!, tolerance));
            }
        }
        return new VerificationReport(converted.Path, source.Path, backend.Description, tolerance, outputs, weights, problems, ms);
    }

    private static (float[]? Logits, float[]? ClassLogits, float[]? Hidden, double Ms) Run(LoadedWeights model, int[] tokens, int batch, int seq, IComputeBackend backend)
    {
        var clock = Stopwatch.StartNew();
        if (model.Config.IsClassifier)
        {
            using var classifier = AwdLstmClassifier.FromWeights(model.Weights, backend, model.Pooling);
            var cl = classifier.Classify(tokens, batch, seq);
            return (null, cl, null, clock.Elapsed.TotalMilliseconds);
        }
        using var lm = AwdLstm.FromWeights(model.Weights, backend);
        if (!model.Config.HasDecoder)
        {
            var h = lm.Encode(tokens, batch, seq);
            return (null, null, h, clock.Elapsed.TotalMilliseconds);
        }
        var output = lm.Forward(tokens, batch, seq);
        return (output.Logits, null, output.LastHidden, clock.Elapsed.TotalMilliseconds);
    }

    private static List<WeightComparison> CompareWeights(LoadedWeights converted, LoadedWeights source)
    {
        bool cast = converted.Config.DType != source.Config.DType;
        var a = Named(converted.Weights).ToList();
        var b = Named(source.Weights).ToDictionary(x => x.Name, x => x.Values);
        var result = new List<WeightComparison>();
        foreach (var (name, values) in a)
        {
            if (!b.TryGetValue(name, out var src))
            {
                result.Add(new WeightComparison(name, values.Length, values.Length, double.PositiveInfinity, false));
                continue;
            }
            var expected = cast ? RoundThrough(src.Span, converted.Config.DType) : src.ToArray();
            long differing = 0;
            double max = 0;
            var x = values.Span;
            if (x.Length != expected.Length)
            {
                result.Add(new WeightComparison(name, x.Length, Math.Max(x.Length, expected.Length), double.PositiveInfinity, false));
                continue;
            }
            for (int i = 0; i < x.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(x[i]) != BitConverter.SingleToInt32Bits(expected[i])) differing++;
                max = Math.Max(max, Math.Abs((double)x[i] - expected[i]));
            }
            result.Add(new WeightComparison(name, x.Length, differing, max, differing == 0));
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
        yield return ("encoder.weight", w.Embedding);
        for (int l = 0; l < w.Layers.Count; l++)
        {
            for (int d = 0; d < w.Layers[l].Count; d++)
            {
                string suffix = d == 0 ? "" : "_reverse";
                var dir = w.Layers[l][d];
                yield return ($"rnns.{l}.weight_ih_l0{suffix}", dir.WeightIh);
                yield return ($"rnns.{l}.weight_hh_l0{suffix}", dir.WeightHh);
                yield return ($"rnns.{l}.bias_ih_l0{suffix}", dir.BiasIh);
                yield return ($"rnns.{l}.bias_hh_l0{suffix}", dir.BiasHh);
            }
        }
        if (w.DecoderWeight is { } dw) yield return ("decoder.weight", dw);
        if (w.DecoderBias is { } db) yield return ("decoder.bias", db);
        if (w.ClassifierHead is { } head)
        {
            for (int k = 0; k < head.Count; k++)
            {
                var blk = head[k];
                yield return ($"head.{k}.bn.weight", blk.BnWeight);
                yield return ($"head.{k}.bn.bias", blk.BnBias);
                yield return ($"head.{k}.bn.running_mean", blk.RunningMean);
                yield return ($"head.{k}.bn.running_var", blk.RunningVar);
                yield return ($"head.{k}.linear.weight", blk.LinearWeight);
                if (blk.LinearBias is { } lb) yield return ($"head.{k}.linear.bias", lb);
            }
        }
    }
}
