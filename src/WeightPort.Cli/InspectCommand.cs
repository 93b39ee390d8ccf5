using System.CommandLine;
using WeightPort.Cli.Rendering;
using WeightPort.Formats;
using WeightPort.Formats.Torch;
using WeightPort.Tensors;

namespace WeightPort.Cli;

/// <summary><c>weightport inspect FILE [--json] [--scan]</c>: what a checkpoint holds, without running any of it.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<FileInfo>("file") { Description = "A .pth/.pt/.bin (zip, legacy or tar), .safetensors, TorchSharp .dat, or a pickle." };
        var json = new Option<bool>("--json") { Description = "Machine-readable output with the same facts." };
        var scan = new Option<bool>("--scan") { Description = "Security-scanner mode: disassemble every pickle in the file (every part of every container, nested pickles too), list every global outside the allowlist with where it is, carry on past unreadable parts; exit 5 if any." };
        var limit = new Option<int?>("--max-rows") { Description = "Print at most this many tensor rows (text output only)." }.AtLeast(0);
        var ignore = OptionRules.Ignore();
        var command = new Command("inspect", "Show the format, every tensor (dtype, shape, stride, storage, offset, bytes), storage sharing, non-allowlisted globals and totals.")
        {
            file, json, scan, limit, ignore,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            string display = parse.GetValue(file)!.ToString();
            if (parse.GetValue(scan)) return Scan(context, path, display, parse.GetValue(json), parse.GetValue(limit));
            // Nothing is executed either way, so a class or function outside the allowlist that no tensor needs does not
            // stop the tensors from being shown: it is listed with its path. A call still refuses the file.
            var options = new CheckpointReadOptions { AllowForeignObjects = true, IgnoredSubtrees = parse.GetValue(ignore) ?? [] };
            using var checkpoint = CheckpointReader.Open(path, options);
            var summary = CheckpointSummary.Create(checkpoint);
            if (parse.GetValue(json)) WriteJson(context.Out, summary, display, scan: null, readError: null);
            else WriteText(context.Out, summary, display, parse.GetValue(limit));
            return ExitCodes.Ok;
        });
        return command;
    }

    // Every pickle of the file, whatever a reader would make of it; the tensors too when the file reads as a checkpoint.
    private static int Scan(CliContext context, string path, string display, bool json, int? maxRows)
    {
        var scan = CheckpointScanner.Scan(path);
        Checkpoint? checkpoint = null;
        CheckpointFormatException? readError = null;
        try
        {
            checkpoint = CheckpointReader.Open(path, new CheckpointReadOptions { ReportUnsafeGlobals = true });
        }
        catch (CheckpointFormatException e)
        {
            readError = e;
        }
        using (checkpoint)
        {
            var summary = checkpoint is null ? null : CheckpointSummary.Create(checkpoint);
            if (json) WriteJson(context.Out, summary, display, scan, readError);
            else
            {
                if (summary is not null) WriteText(context.Out, summary, display, maxRows, scan);
                else WriteScanOnly(context.Out, display, scan, readError!);
            }
        }
        return scan.Findings.Count > 0 ? ExitCodes.UnsafeGlobalsFound
            : readError is not null || scan.Problems.Count > 0 ? ExitCodes.BadInput
            : ExitCodes.Ok;
    }

    private static void WriteScanOnly(TextWriter o, string displayPath, CheckpointScan scan, CheckpointFormatException readError)
    {
        o.WriteLine(displayPath);
        o.WriteLine($"  container: {scan.Container}");
        o.WriteLine($"  not readable as a checkpoint: {LibraryTerms.ToFlags(readError.Message)}");
        o.WriteLine();
        WriteScan(o, scan);
    }

    private static void WriteScan(TextWriter o, CheckpointScan scan)
    {
        o.WriteLine($"scan: {Format.Count(scan.Parts.Count)} pickle{(scan.Parts.Count == 1 ? "" : "s")} disassembled ({scan.Container})");
        if (scan.Findings.Count == 0) o.WriteLine("globals outside the allowlist: none");
        else
        {
            o.WriteLine($"globals outside the allowlist: {scan.Findings.Count} (recorded, never executed)");
            foreach (var g in scan.Findings) o.WriteLine("  " + Describe(g));
        }
        if (scan.Problems.Count == 0) return;
        o.WriteLine($"problems: {scan.Problems.Count} (the scan went on past each)");
        foreach (var p in scan.Problems)
            o.WriteLine($"  in '{p.Entry}'{(p.Offset is long at ? $" at offset {Format.Count(at)}" : "")}: {p.Reason}");
    }

    private static string Describe(UnsafeGlobal g) =>
        $"{g.FullName} {UseName(g.Use)} in '{g.Entry}' at offset {Format.Count(g.Offset)}{(g.Path.Length > 0 ? $" under '{g.Path}'" : "")}";

    internal static string UseName(UnsafeGlobalUse use) => use switch
    {
        UnsafeGlobalUse.Called => "called",
        UnsafeGlobalUse.Modified => "modified",
        UnsafeGlobalUse.Instantiated => "instantiated",
        _ => "named",
    };

    private static void WriteText(TextWriter o, CheckpointSummary s, string displayPath, int? maxRows, CheckpointScan? scan = null)
    {
        var c = s.Checkpoint;
        o.WriteLine($"{displayPath}");
        o.WriteLine($"  format:   {FormatName(c.Format)}");
        o.WriteLine($"  size:     {Format.Bytes(s.FileSize)}");
        foreach (var (k, v) in c.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o.WriteLine($"  {k}: {v}");
        o.WriteLine();
        var table = new TextTable("tensor", "dtype", "shape", "stride", "storage", "offset", "bytes").AlignRight(4, 5, 6);
        int rows = 0;
        foreach (var t in c.Tensors)
        {
            if (maxRows is int m && rows++ >= m) break;
            var ti = t.Tensor;
            table.Add(t.Path, ti.DType.TorchName(), Format.Shape(ti.Shape), Format.Stride(ti.Stride),
                s.StorageIds[ti.Storage].ToString(System.Globalization.CultureInfo.InvariantCulture), Format.Count(ti.StorageOffset), Format.Count(ti.ByteCount));
        }
        table.WriteTo(o);
        if (maxRows is int mr && c.Tensors.Count > mr) o.WriteLine($"  … {Format.Count(c.Tensors.Count - mr)} more tensors (use --json for all)");
        var groups = s.SharingGroups;
        o.WriteLine();
        o.WriteLine(groups.Count == 0 ? "storage sharing: none (every tensor has its own storage)" : "storage sharing:");
        foreach (var (id, paths) in groups)
        {
            var st = s.Storages[id];
            o.WriteLine($"  storage {id} (key '{st.Key}', {st.DType.TorchName()}, {Format.Count(st.ElementCount)} elements): {string.Join(", ", paths)}");
        }
        o.WriteLine();
        if (scan is not null) WriteScan(o, scan);
        else if (c.UnsafeGlobals.Count == 0) o.WriteLine("globals outside the allowlist: none");
        else
        {
            o.WriteLine($"globals outside the allowlist: {c.UnsafeGlobals.Count} (recorded, never executed)");
            foreach (var g in c.UnsafeGlobals) o.WriteLine("  " + Describe(g));
        }
        o.WriteLine();
        o.WriteLine($"totals: {Format.Count(c.Tensors.Count)} tensors, {Format.Count(s.Storages.Count)} storages, {Format.Count(s.TensorElements)} elements; " +
                    $"tensor bytes {Format.Bytes(s.TensorBytes)}, storage bytes {Format.Bytes(s.StorageBytes)}");
    }

    private static void WriteJson(TextWriter o, CheckpointSummary? s, string displayPath, CheckpointScan? scan, CheckpointFormatException? readError)
    {
        JsonOutput.Write(o, w =>
        {
            w.WriteStartObject();
            w.WriteString("path", displayPath);
            if (scan is not null)
            {
                w.WriteStartObject("scan");
                w.WriteString("container", scan.Container);
                w.WriteStartArray("parts");
                foreach (var part in scan.Parts) w.WriteStringValue(part);
                w.WriteEndArray();
                w.WriteStartArray("problems");
                foreach (var p in scan.Problems)
                {
                    w.WriteStartObject();
                    w.WriteString("entry", p.Entry);
                    if (p.Offset is long at) w.WriteNumber("offset", at);
                    else w.WriteNull("offset");
                    w.WriteString("reason", p.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteString("read_error", readError is null ? null : LibraryTerms.ToFlags(readError.Message));
                w.WriteEndObject();
            }
            if (s is null)
            {
                WriteGlobals(w, scan!.Findings);
                w.WriteEndObject();
                return;
            }
            var c = s.Checkpoint;
            w.WriteString("format", FormatId(c.Format));
            w.WriteNumber("file_bytes", s.FileSize);
            w.WriteStartObject("metadata");
            foreach (var (k, v) in c.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartArray("tensors");
            foreach (var t in c.Tensors)
            {
                var ti = t.Tensor;
                w.WriteStartObject();
                w.WriteString("path", t.Path);
                w.WriteString("dtype", ti.DType.TorchName());
                w.WriteLongs("shape", ti.Shape);
                w.WriteLongs("stride", ti.Stride);
                w.WriteNumber("storage", s.StorageIds[ti.Storage]);
                w.WriteNumber("storage_offset", ti.StorageOffset);
                w.WriteNumber("bytes", ti.ByteCount);
                w.WriteBoolean("contiguous", ti.IsContiguous);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("storages");
            foreach (var st in s.Storages)
            {
                w.WriteStartObject();
                w.WriteNumber("id", s.StorageIds[st]);
                w.WriteString("key", st.Key);
                w.WriteString("dtype", st.DType.TorchName());
                w.WriteNumber("elements", st.ElementCount);
                w.WriteNumber("bytes", st.ByteLength);
                w.WriteNumber("file_offset", st.ByteOffset);
                if (st.Location is not null) w.WriteString("location", st.Location);
                w.WriteBoolean("big_endian", st.BigEndian);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("sharing_groups");
            foreach (var (id, paths) in s.SharingGroups)
            {
                w.WriteStartObject();
                w.WriteNumber("storage", id);
                w.WriteStartArray("tensors");
                foreach (var p in paths) w.WriteStringValue(p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteGlobals(w, scan?.Findings ?? c.UnsafeGlobals);
            w.WriteStartObject("totals");
            w.WriteNumber("tensors", c.Tensors.Count);
            w.WriteNumber("storages", s.Storages.Count);
            w.WriteNumber("elements", s.TensorElements);
            w.WriteNumber("tensor_bytes", s.TensorBytes);
            w.WriteNumber("storage_bytes", s.StorageBytes);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static void WriteGlobals(System.Text.Json.Utf8JsonWriter w, IReadOnlyList<UnsafeGlobal> globals)
    {
        w.WriteStartArray("unsafe_globals");
        foreach (var g in globals)
        {
            w.WriteStartObject();
            w.WriteString("global", g.FullName);
            w.WriteString("use", UseName(g.Use));
            w.WriteString("entry", g.Entry);
            w.WriteNumber("offset", g.Offset);
            w.WriteString("path", g.Path);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    internal static string FormatName(CheckpointFormat f) => f switch
    {
        CheckpointFormat.PyTorchZip => "PyTorch zip (torch.save, PyTorch ≥ 1.6)",
        CheckpointFormat.PyTorchLegacy => "PyTorch legacy (stacked pickles, PyTorch < 1.6)",
        CheckpointFormat.PyTorchTar => "PyTorch tar (PyTorch ≤ 0.1.9)",
        CheckpointFormat.Safetensors => "safetensors",
        CheckpointFormat.TorchSharp => "TorchSharp Module.save",
        CheckpointFormat.TorchSharpTensor => "TorchSharp Tensor.Save (single tensor)",
        CheckpointFormat.Pickle => "plain pickle (not a torch checkpoint)",
        _ => f.ToString(),
    };

    internal static string FormatId(CheckpointFormat f) => f switch
    {
        CheckpointFormat.PyTorchZip => "pytorch-zip",
        CheckpointFormat.PyTorchLegacy => "pytorch-legacy",
        CheckpointFormat.PyTorchTar => "pytorch-tar",
        CheckpointFormat.Safetensors => "safetensors",
        CheckpointFormat.TorchSharp => "torchsharp",
        CheckpointFormat.TorchSharpTensor => "torchsharp-tensor",
        CheckpointFormat.Pickle => "pickle",
        _ => f.ToString(),
    };
}
