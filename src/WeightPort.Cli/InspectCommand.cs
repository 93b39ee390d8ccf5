using System.CommandLine;
using WeightPort.Cli.Rendering;
using WeightPort.Formats;
using WeightPort.Tensors;

namespace WeightPort.Cli;

/// <summary><c>weightport inspect FILE [--json] [--scan]</c>: what a checkpoint holds, without running any of it.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<FileInfo>("file") { Description = "A .pth/.pt/.bin (zip, legacy or tar), .safetensors, TorchSharp .dat, or a pickle." };
        var json = new Option<bool>("--json") { Description = "Machine-readable output with the same facts." };
        var scan = new Option<bool>("--scan") { Description = "Security-scanner mode: report every global outside the allowlist without failing; exit 5 if any." };
        var limit = new Option<int?>("--max-rows") { Description = "Print at most this many tensor rows (text output only)." };
        var command = new Command("inspect", "Show the format, every tensor (dtype, shape, stride, storage, offset, bytes), storage sharing, non-allowlisted globals and totals.")
        {
            file, json, scan, limit,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!.FullName;
            bool scanning = parse.GetValue(scan);
            // fastai's learn.save(with_opt=True) keeps fastcore's L under 'opt'; convert ignores that subtree, so inspect
            // does too (its globals are still listed), rather than refusing a checkpoint that converts.
            var options = scanning ? new CheckpointReadOptions { ReportUnsafeGlobals = true } : new CheckpointReadOptions { IgnoredSubtrees = ["opt"] };
            using var checkpoint = CheckpointReader.Open(path, options);
            var summary = CheckpointSummary.Create(checkpoint);
            if (parse.GetValue(json)) WriteJson(context.Out, summary, parse.GetValue(file)!.ToString());
            else WriteText(context.Out, summary, parse.GetValue(file)!.ToString(), parse.GetValue(limit));
            return scanning && checkpoint.UnsafeGlobals.Count > 0 ? ExitCodes.UnsafeGlobalsFound : ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteText(TextWriter o, CheckpointSummary s, string displayPath, int? maxRows)
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
        if (c.UnsafeGlobals.Count == 0) o.WriteLine("globals outside the allowlist: none");
        else
        {
            o.WriteLine($"globals outside the allowlist: {c.UnsafeGlobals.Count} (recorded, never executed)");
            foreach (var g in c.UnsafeGlobals)
                o.WriteLine($"  {g.FullName} in '{g.Entry}' at offset {Format.Count(g.Offset)}{(g.Path.Length > 0 ? $" under '{g.Path}'" : "")}");
        }
        o.WriteLine();
        o.WriteLine($"totals: {Format.Count(c.Tensors.Count)} tensors, {Format.Count(s.Storages.Count)} storages, {Format.Count(s.TensorElements)} elements; " +
                    $"tensor bytes {Format.Bytes(s.TensorBytes)}, storage bytes {Format.Bytes(s.StorageBytes)}");
    }

    private static void WriteJson(TextWriter o, CheckpointSummary s, string displayPath)
    {
        var c = s.Checkpoint;
        JsonOutput.Write(o, w =>
        {
            w.WriteStartObject();
            w.WriteString("path", displayPath);
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
            w.WriteStartArray("unsafe_globals");
            foreach (var g in c.UnsafeGlobals)
            {
                w.WriteStartObject();
                w.WriteString("global", g.FullName);
                w.WriteString("entry", g.Entry);
                w.WriteNumber("offset", g.Offset);
                w.WriteString("path", g.Path);
                w.WriteEndObject();
            }
            w.WriteEndArray();
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
