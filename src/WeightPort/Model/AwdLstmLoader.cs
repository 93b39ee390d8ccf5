using WeightPort.Conversion;
using WeightPort.Fastai;

namespace WeightPort.Model;

/// <summary>
/// Reads AWD-LSTM weights from any checkpoint: an original fastai <c>.pth</c> (converted in memory, with the same
/// validation as <c>weightport convert</c>), or a converted TorchSharp / safetensors / <c>.pth</c> file, whose manifest,
/// when present, must match it.
/// </summary>
internal static class AwdLstmLoader
{
    /// <summary>Loads and validates <paramref name="path"/>.</summary>
    /// <exception cref="CheckpointFormatException">Unreadable, not an AWD-LSTM, a failed redundancy check, or a manifest that does not match the file.</exception>
    public static LoadedWeights Load(string path, FastaiOptions? options = null)
    {
        var manifest = ReadManifest(path);
        var checkpoint = FastaiCheckpoint.Open(path, options);
        try
        {
            if (checkpoint.Config is null)
                throw new CheckpointFormatException(CheckpointError.InvalidContent, DecisionMessages.NotAnAwdLstm(), path);
            var plan = ConversionPlan.Create(checkpoint);
            // The weights may point into the mapped file, so the checkpoint lives as long as they do.
            return new LoadedWeights(path, checkpoint.Layout, checkpoint.Config, AwdLstmWeights.FromPlan(plan), manifest) { Owner = checkpoint };
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The manifest beside <paramref name="path"/> (<c>path.manifest.json</c>), verified against the file; null when absent.</summary>
    public static ConversionManifest? ReadManifest(string path)
    {
        string manifestPath = ConversionManifest.PathFor(path);
        if (!File.Exists(manifestPath)) return null;
        ConversionManifest manifest;
        try
        {
            manifest = ConversionManifest.FromJson(File.ReadAllText(manifestPath));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or ArgumentException)
        {
            throw new CheckpointFormatException(CheckpointError.InvalidContent, $"its manifest '{manifestPath}' is not valid JSON: {e.Message}", path, inner: e);
        }
        if (manifest.Output is { } output)
        {
            var actual = ManifestOutput.FromFile(path, output.Format);
            if (actual.Size != output.Size || actual.Sha256 != output.Sha256)
                throw new CheckpointFormatException(CheckpointError.InvalidContent,
                    $"the file does not match its manifest '{manifestPath}': {actual.Size:N0} bytes with sha256 {actual.Sha256}, the manifest records {output.Size:N0} bytes with sha256 {output.Sha256}",
                    path);
        }
        return manifest;
    }
}
