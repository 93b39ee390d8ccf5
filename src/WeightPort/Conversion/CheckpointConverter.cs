using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WeightPort.Fastai;
using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;

namespace WeightPort.Conversion;

/// <summary>
/// Writes a validated <see cref="ConversionPlan"/>: the weights in the chosen format, the vocabulary as JSON, and a
/// manifest of every decision. Each file goes to a temporary file in the same folder and is renamed into place, so an
/// interrupted run never leaves a partial output; the source is only read.
/// </summary>
internal static class CheckpointConverter
{
    /// <summary>Writes <paramref name="plan"/> to <paramref name="target"/>.</summary>
    /// <param name="plan">A validated plan; its vocabulary, if any, is written beside the weights.</param>
    /// <param name="target">Output path, format and overwrite policy.</param>
    /// <param name="progress">Receives (bytes written, bytes total) as tensors complete.</param>
    /// <param name="sourceHash">
    /// The source's hash, when the caller started it before validating (it reads the whole file, so starting it early
    /// lets it overlap validation); null to start it here.
    /// </param>
    /// <exception cref="IOException">An output exists and <see cref="ConvertTarget.Overwrite"/> is false, or writing failed.</exception>
    public static ConversionResult Write(ConversionPlan plan, ConvertTarget target, IProgress<(long Done, long Total)>? progress, Task<ManifestSource>? sourceHash)
    {
        var vocabulary = plan.Options.Vocabulary;
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(target);
        var outputs = vocabulary is null ? [target.OutputPath, target.ManifestPath] : new[] { target.OutputPath, target.VocabularyPath, target.ManifestPath };
        if (!target.Overwrite)
        {
            foreach (var o in outputs)
                if (File.Exists(o)) throw new OutputExistsException(o, $"{nameof(ConvertTarget)}.{nameof(ConvertTarget.Overwrite)}");
        }
        if (Path.GetFullPath(target.OutputPath) == Path.GetFullPath(plan.SourcePath))
            throw new ArgumentException($"the output '{target.OutputPath}' is the input; choose another path", nameof(target));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target.OutputPath))!);
        foreach (var o in outputs) AtomicFileWriter.CleanStaleTempFiles(o);

        // The source hash reads the whole input; do it on the other core while the weights are written.
        sourceHash ??= Task.Run(() => ManifestSource.FromFile(plan.SourcePath));
        var tensors = TensorsFor(plan, target.Format);
        long total = tensors.Sum(t => t.ByteCount);
        string outputSha;
        long outputBytes;
        using (var writer = AtomicFileWriter.Create(target.OutputPath, target.Overwrite, target.Durable))
        {
            using var hashing = new HashingWriteStream(writer.Handle, directIo: true);
            var reported = WithProgress(tensors, total, progress);
            switch (target.Format)
            {
                case OutputFormat.TorchSharp: TorchSharpWriter.Write(hashing, reported); break;
                case OutputFormat.Safetensors: SafetensorsWriter.Write(hashing, reported, SafetensorsMetadata(plan)); break;
                case OutputFormat.Pth: PyTorchZipWriter.Write(hashing, reported, PyTorchZipWriter.ArchiveNameFor(target.OutputPath)); break;
                default: throw new ArgumentOutOfRangeException(nameof(target));
            }
            outputSha = hashing.FinishSha256();
            outputBytes = hashing.BytesWritten;
            writer.Commit();
        }
        progress?.Report((total, total));
        ManifestVocabulary? vocabularyRecord = null;
        if (vocabulary is not null)
        {
            byte[] json = VocabularyJson(vocabulary);
            AtomicFileWriter.Write(target.VocabularyPath, target.Overwrite, s => s.Write(json), target.Durable);
            vocabularyRecord = new ManifestVocabulary(Path.GetFullPath(target.VocabularyPath), vocabulary.Count, Convert.ToHexStringLower(SHA256.HashData(json)));
        }
        // A vocabulary from an earlier conversion to this output does not belong to these weights, but it is not this
        // run's to delete: the user never named it. The manifest says so, with its hash, so nothing pairs the two.
        var stale = vocabulary is null ? StaleFile(target.VocabularyPath) : null;
        var manifest = ConversionManifest.Create(plan, sourceHash.GetAwaiter().GetResult()) with
        {
            Output = new ManifestOutput(Path.GetFullPath(target.OutputPath), target.Format.Id(), outputBytes, outputSha),
            Vocabulary = vocabularyRecord,
            StaleVocabulary = stale,
        };
        AtomicFileWriter.Write(target.ManifestPath, target.Overwrite, s => s.Write(Encoding.UTF8.GetBytes(manifest.ToJson() + "\n")), target.Durable);
        return new ConversionResult(plan, target, manifest, plan.SourceTensorCount, new FileInfo(plan.SourcePath).Length,
            tensors.Count, outputBytes, vocabulary is not null)
        {
            StaleVocabularyPath = stale?.Path,
        };
    }

    /// <summary>The tensors <paramref name="format"/> receives: canonical names, or fastai-v2 names with aliases for <see cref="OutputFormat.Pth"/>.</summary>
    public static IReadOnlyList<TensorToWrite> TensorsFor(ConversionPlan plan, OutputFormat format)
    {
        if (format != OutputFormat.Pth || plan.Config is not { } config)
            return [.. plan.Tensors.Select(t => new TensorToWrite(t.TargetName, t.Source, t.OutputDType))];
        var list = new List<TensorToWrite>();
        PlannedTensor? embedding = null;
        foreach (var t in plan.Tensors)
        {
            if (t.Role is not FastaiRole role)
                throw new InvalidOperationException($"planned tensor '{t.TargetName}' has no role; cannot name it for fastai v2");
            list.Add(new TensorToWrite(FastaiNameMap.FastaiV2Name(role, t.Index, config), t.Source, t.OutputDType));
            if (role == FastaiRole.Embedding)
            {
                embedding = t;
                // fastai v2 registers the same nn.Embedding again under encoder_dp.emb: same storage, no extra bytes.
                list.Add(new TensorToWrite(FastaiNameMap.FastaiV2Name(FastaiRole.EmbeddingCopy, 0, config), t.Source, t.OutputDType));
            }
        }
        // fastai ties the decoder by registering the embedding's Parameter again: another name of the same storage.
        if (config.HasDecoder && config.Tied && embedding is not null)
        {
            string decoderName = FastaiNameMap.FastaiV2Name(FastaiRole.DecoderWeight, 0, config);
            if (!list.Any(t => t.Name == decoderName)) list.Add(new TensorToWrite(decoderName, embedding.Source, embedding.OutputDType));
        }
        return list;
    }

    private static IEnumerable<KeyValuePair<string, string>> SafetensorsMetadata(ConversionPlan plan)
    {
        yield return new("format", "pt");
        yield return new("weightport.layout", plan.Layout.Id());
        if (plan.Config is not { } c) yield break;
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        yield return new("vocab_size", I(c.Model.VocabSize));
        yield return new("emb_sz", I(c.Model.EmbSize));
        yield return new("n_hid", I(c.Model.HiddenSize));
        yield return new("n_layers", I(c.Model.Layers));
        yield return new("bidir", c.Model.Bidirectional ? "true" : "false");
        yield return new("pad_token", I(c.Model.PadToken));
        yield return new("has_decoder", c.HasDecoder ? "true" : "false");
        yield return new("tied", c.Tied ? "true" : "false");
        yield return new("decoder_bias", c.DecoderBias ? "true" : "false");
        if (c.IsClassifier)
        {
            yield return new("head_sizes", string.Join(",", c.HeadSizes.Select(I)));
            yield return new("head_linear_bias", c.HeadLinearBias ? "true" : "false");
        }
    }

    private static IEnumerable<TensorToWrite> WithProgress(IReadOnlyList<TensorToWrite> tensors, long total, IProgress<(long, long)>? progress)
    {
        long done = 0;
        foreach (var t in tensors)
        {
            yield return t;
            // The writer asks for the next tensor only after it wrote this one.
            done += t.ByteCount;
            progress?.Report((done, total));
        }
    }

    private static byte[] VocabularyJson(IReadOnlyList<string> vocabulary)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartArray();
            foreach (var s in vocabulary) w.WriteStringValue(s);
            w.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static ManifestStaleFile? StaleFile(string path)
    {
        if (!File.Exists(path)) return null;
        var (_, sha) = FileHash.Sha256(path);
        return new ManifestStaleFile(Path.GetFullPath(path), sha,
            "left by an earlier conversion to this output and kept; it does not describe these weights (this conversion was given no vocabulary)");
    }
}
