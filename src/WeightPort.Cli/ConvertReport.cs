using WeightPort.Cli.Rendering;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Tensors;

namespace WeightPort.Cli;

/// <summary>The report <c>convert</c> prints: every decision, the mapping, what was dropped, and in/out totals.</summary>
internal sealed class ConvertReport(FastaiCheckpoint checkpoint, ConversionPlan plan, ConvertTarget target, string displayPath)
{
    public void WriteText(TextWriter o, ConversionResult? result)
    {
        var c = checkpoint.Checkpoint;
        o.WriteLine(displayPath);
        o.WriteLine($"  format:  {InspectCommand.FormatName(c.Format)}, {Format.Bytes(new FileInfo(c.Path).Length)}, {c.Tensors.Count} tensors");
        o.WriteLine($"  layout:  {plan.Layout.Id()}{(checkpoint.IsWrapped ? " (inside {'model': …}; 'opt' ignored)" : "")}");
        if (plan.Config is { } cfg) o.WriteLine($"  config:  {Describe(cfg with { DType = plan.Options.TargetDType ?? cfg.DType })}");
        o.WriteLine();
        o.WriteLine("decisions:");
        foreach (var d in plan.Decisions)
            o.WriteLine($"  {Mark(d.Severity)} {KindName(d.Kind),-15} {d.Verdict,-16} {LibraryTerms.ToFlags(d.Details)}");
        o.WriteLine();
        o.WriteLine("mapping:");
        var map = new TextTable("target", "source", "dtype", "shape", "bytes").AlignRight(4);
        foreach (var t in plan.Tensors)
        {
            string dt = t.IsCast ? $"{t.Source.DType.TorchName()}→{t.OutputDType.TorchName()}{(t.CastLossless == true ? " (lossless)" : t.CastLossless == false ? " (LOSSY)" : "")}" : t.OutputDType.TorchName();
            map.Add(t.TargetName, t.SourcePath, dt, Format.Shape(t.Shape), Format.Count(t.OutputByteCount));
        }
        map.WriteTo(o);
        if (plan.Dropped.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("dropped:");
            foreach (var d in plan.Dropped) o.WriteLine($"  {d.SourcePath}: {LibraryTerms.ToFlags(d.Reason)}");
        }
        o.WriteLine();
        if (result is null)
        {
            o.WriteLine($"dry run: nothing written (would write {target.OutputPath} as {target.Format.Id()})");
            return;
        }
        o.WriteLine($"wrote {result.Target.OutputPath} ({target.Format.Id()})");
        o.WriteLine($"      {result.Target.ManifestPath}");
        if (result.VocabularyWritten) o.WriteLine($"      {result.Target.VocabularyPath}");
        if (result.StaleVocabularyPath is { } stale) o.WriteLine(StaleVocabularyNotice(stale));
        o.WriteLine();
        var sum = new TextTable("", "keys", "bytes").AlignRight(1, 2);
        sum.Add("in", Format.Count(result.InputKeys), Format.Count(result.InputBytes));
        sum.Add("out", Format.Count(result.OutputKeys), Format.Count(result.OutputBytes));
        sum.WriteTo(o);
        o.WriteLine($"  output sha256 {result.Manifest.Output?.Sha256}");
    }

    public void WriteJson(TextWriter o, ConversionResult? result)
    {
        var c = checkpoint.Checkpoint;
        JsonOutput.Write(o, w =>
        {
            w.WriteStartObject();
            w.WriteString("source", c.Path);
            w.WriteString("source_format", InspectCommand.FormatId(c.Format));
            w.WriteString("layout", plan.Layout.Id());
            w.WriteBoolean("wrapped", checkpoint.IsWrapped);
            if (plan.Config is { } cfg)
            {
                w.WriteStartObject("config");
                w.WriteNumber("vocab_size", cfg.Model.VocabSize);
                w.WriteNumber("emb_sz", cfg.Model.EmbSize);
                w.WriteNumber("n_hid", cfg.Model.HiddenSize);
                w.WriteNumber("n_layers", cfg.Model.Layers);
                w.WriteBoolean("bidir", cfg.Model.Bidirectional);
                w.WriteBoolean("has_decoder", cfg.HasDecoder);
                w.WriteBoolean("tied", cfg.Tied);
                w.WriteBoolean("decoder_bias", cfg.DecoderBias);
                w.WriteStartArray("head_sizes");
                foreach (var h in cfg.HeadSizes) w.WriteNumberValue(h);
                w.WriteEndArray();
                w.WriteString("dtype", (plan.Options.TargetDType ?? cfg.DType).TorchName());
                w.WriteEndObject();
            }
            w.WriteStartArray("decisions");
            foreach (var d in plan.Decisions)
            {
                w.WriteStartObject();
                w.WriteString("kind", d.Kind.ToString());
                w.WriteString("verdict", d.Verdict.ToString());
                w.WriteString("severity", d.Severity.ToString());
                w.WriteStartArray("keys");
                foreach (var k in d.Keys) w.WriteStringValue(k);
                w.WriteEndArray();
                w.WriteString("details", d.Details);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("mappings");
            foreach (var t in plan.Tensors)
            {
                w.WriteStartObject();
                w.WriteString("target", t.TargetName);
                w.WriteString("source", t.SourcePath);
                w.WriteString("dtype", t.OutputDType.TorchName());
                if (t.IsCast) w.WriteString("cast_from", t.Source.DType.TorchName());
                if (t.CastLossless is bool lossless) w.WriteBoolean("cast_lossless", lossless);
                w.WriteLongs("shape", t.Shape);
                w.WriteNumber("bytes", t.OutputByteCount);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("dropped");
            foreach (var d in plan.Dropped)
            {
                w.WriteStartObject();
                w.WriteString("source", d.SourcePath);
                w.WriteString("reason", d.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("dry_run", result is null);
            w.WriteString("format", target.Format.Id());
            w.WriteString("output", target.OutputPath);
            if (result is not null)
            {
                w.WriteString("manifest", result.Target.ManifestPath);
                if (result.VocabularyWritten) w.WriteString("vocabulary", result.Target.VocabularyPath);
                if (result.StaleVocabularyPath is { } stale)
                {
                    w.WriteString("stale_vocabulary", stale);
                    w.WriteStartArray("notices");
                    w.WriteStringValue(StaleVocabularyNotice(stale));
                    w.WriteEndArray();
                }
                w.WriteStartObject("totals");
                w.WriteNumber("input_keys", result.InputKeys);
                w.WriteNumber("input_bytes", result.InputBytes);
                w.WriteNumber("output_keys", result.OutputKeys);
                w.WriteNumber("output_bytes", result.OutputBytes);
                w.WriteEndObject();
                w.WriteString("output_sha256", result.Manifest.Output?.Sha256);
            }
            w.WriteEndObject();
        });
    }

    // Said in both output modes: a file the user did not name is never deleted, but it no longer matches the weights.
    internal static string StaleVocabularyNotice(string path) =>
        $"kept {path}: an earlier conversion wrote it and it does not describe these weights (no --vocab this time); " +
        "the manifest marks it stale. Delete it, or convert again with --vocab";

    internal static string Describe(FastaiModelConfig cfg)
    {
        var m = cfg.Model;
        string s = $"vocab {Format.Count(m.VocabSize)}, emb {m.EmbSize}, n_hid {m.HiddenSize}, {m.Layers} layers, {(m.Bidirectional ? "bidirectional" : "unidirectional")}";
        if (cfg.HasDecoder) s += $"; decoder {(cfg.Tied ? "tied" : "untied")}, {(cfg.DecoderBias ? "with" : "no")} bias";
        if (cfg.IsClassifier) s += $"; classifier head {string.Join("→", cfg.HeadSizes)} (linear bias: {(cfg.HeadLinearBias ? "yes" : "no")})";
        return s + $"; {cfg.DType.TorchName()}";
    }

    private static string Mark(DecisionSeverity s) => s switch
    {
        DecisionSeverity.Info => "ok  ",
        DecisionSeverity.Warning => "WARN",
        _ => "FAIL",
    };

    private static string KindName(DecisionKind k) => k switch
    {
        DecisionKind.EmbeddingCopy => "embedding copy",
        DecisionKind.RecurrentCopy => "recurrent copy",
        DecisionKind.DecoderTie => "decoder",
        DecisionKind.OptimizerState => "optimizer",
        DecisionKind.IgnoredSubtree => "ignored",
        _ => k.ToString().ToLowerInvariant(),
    };
}
