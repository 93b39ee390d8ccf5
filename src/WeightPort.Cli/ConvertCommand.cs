using System.CommandLine;
using WeightPort.Cli.Rendering;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Formats.Pickle;
using WeightPort.Tensors;

namespace WeightPort.Cli;

/// <summary>
/// <c>weightport convert CHECKPOINT</c>: validate the redundant copies, drop them, map the names onto the C# AWD-LSTM
/// and write a TorchSharp checkpoint (or safetensors, or a cleaned .pth) with a manifest of every decision.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<FileInfo>("checkpoint") { Description = "The fastai/PyTorch checkpoint (.pth, legacy or zip), or any file inspect reads." };
        var output = new Option<string?>("--output", "-o") { Description = "Output file, or a directory (an existing one, or a path ending in '/') to write the default name into (default: beside the input, .dat / .safetensors / .clean.pth)." };
        var format = OptionRules.Choice("--format", "torchsharp (default), safetensors or pth (cleaned, fastai-v2 names).", "torchsharp", ["torchsharp", "safetensors", "pth"]);
        var dtype = OptionRules.Choice("--dtype", "Cast floating weights; the report says whether the cast is lossless.", null,
            ["float32", "float16", "bfloat16"], ("fp32", "float32"), ("fp16", "float16"), ("bf16", "bfloat16"));
        var requireLossless = new Option<bool>("--require-lossless") { Description = "With --dtype: fail instead of writing if any value would change." };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "The itos pickle (a list of str); its length is checked against the embedding rows and it is written as JSON beside the weights." };
        var layout = OptionRules.Choice("--layout", "Force a layout.", null, [.. FastaiLayouts.AllIds]);
        var allowMismatch = new Option<bool>("--allow-embedding-mismatch") { Description = "Convert even if encoder_dp's copy differs from encoder.weight (keeps encoder.weight; reported as a warning)." };
        var ignore = OptionRules.Ignore();
        var tiedDecoder = new Option<bool>("--write-tied-decoder") { Description = "Also write decoder.weight for a tied model (for TorchSharp modules that register the tied weight twice)." };
        var force = new Option<bool>("--force") { Description = "Overwrite existing outputs." };
        var durable = new Option<bool>("--durable") { Description = "fsync outputs before renaming them into place (survives power loss, not only a killed process; slower)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and report; write nothing." };
        var json = new Option<bool>("--json") { Description = "Machine-readable report on stdout." };
        var command = new Command("convert", "Validate, drop redundant tensors, remap onto the C# AWD-LSTM and write TorchSharp / safetensors / cleaned .pth, with a manifest.")
        {
            input, output, format, dtype, requireLossless, vocab, layout, allowMismatch, ignore, tiedDecoder, force, durable, dryRun, json,
        };
        command.SetAction(parse =>
        {
            string inPath = parse.GetValue(input)!.FullName;
            if (!OutputFormats.TryParse(parse.GetValue(format)!, out var fmt)) throw new UsageException("unknown --format");
            FastaiLayout? forced = null;
            if (parse.GetValue(layout) is { } l && !FastaiLayouts.TryParse(l, out forced))
                throw new UsageException($"unknown --layout '{l}'; one of: {string.Join(", ", FastaiLayouts.AllIds)}");
            DType? cast = parse.GetValue(dtype) is { } d ? (DTypes.TryFromTorchName(d, out var dt) ? dt : throw new UsageException($"unknown --dtype '{d}'")) : null;
            if (parse.GetValue(requireLossless) && cast is null) throw new UsageException("--require-lossless needs --dtype");
            IReadOnlyList<string>? itos = parse.GetValue(vocab) is { } v ? PickleReader.ReadStringList(v.FullName) : null;
            string outPath = OutputPath(parse.GetValue(output), inPath, fmt.Value);
            if (Path.GetFullPath(outPath) == inPath) throw new UsageException($"the output '{outPath}' is the input; give another -o");
            var target = new ConvertTarget(outPath, fmt.Value, parse.GetValue(force), parse.GetValue(durable));
            var options = new ConversionOptions
            {
                TargetDType = cast,
                RequireLosslessCast = parse.GetValue(requireLossless),
                WriteTiedDecoderWeight = parse.GetValue(tiedDecoder),
                Vocabulary = itos,
            };
            bool jsonOut = parse.GetValue(json);
            // Hashing the source for the manifest reads the whole file; start it now so that it overlaps validation.
            var sourceHash = parse.GetValue(dryRun) ? null : Task.Run(() => ManifestSource.FromFile(inPath));
            using var checkpoint = FastaiCheckpoint.Open(inPath, new FastaiOptions
            {
                Layout = forced,
                AllowEmbeddingMismatch = parse.GetValue(allowMismatch),
                IgnoredSubtrees = parse.GetValue(ignore) ?? [],
            });
            var plan = ConversionPlan.Create(checkpoint, options);
            var report = new ConvertReport(checkpoint, plan, target, parse.GetValue(input)!.ToString());
            if (parse.GetValue(dryRun))
            {
                if (jsonOut) report.WriteJson(context.Out, result: null);
                else report.WriteText(context.Out, result: null);
                return ExitCodes.Ok;
            }
            if (!target.Overwrite)
            {
                foreach (var existing in new[] { target.OutputPath, target.ManifestPath, target.VocabularyPath })
                    if ((existing != target.VocabularyPath || itos is not null) && File.Exists(existing))
                        throw new UsageException($"'{existing}' exists; use --force to overwrite it");
            }
            bool showProgress = context.Interactive && !jsonOut && new FileInfo(inPath).Length >= context.ProgressThresholdBytes;
            var progress = showProgress ? new ProgressLine(context.Error, "writing") : null;
            ConversionResult result;
            try
            {
                result = CheckpointConverter.Write(plan, target, progress, sourceHash);
            }
            finally
            {
                // On success the line is already finished; on a failure it is cleared, so the error starts a clean line.
                progress?.Finish();
            }
            if (jsonOut) report.WriteJson(context.Out, result);
            else report.WriteText(context.Out, result);
            return ExitCodes.Ok;
        });
        return command;
    }

    // -o DIR/ or an existing directory: the default name inside it. The library writes files, and a path naming a folder
    // is the command line's shorthand.
    private static string OutputPath(string? given, string input, OutputFormat format)
    {
        if (given is null) return format.DefaultOutputPath(input);
        bool folder = given.EndsWith(Path.DirectorySeparatorChar) || given.EndsWith(Path.AltDirectorySeparatorChar) || Directory.Exists(given);
        return Path.GetFullPath(folder ? Path.Combine(given, format.DefaultFileName(input)) : given);
    }
}
