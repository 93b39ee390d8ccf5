using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;
using WeightPort.IO;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.IO;

/// <summary>FsCheck properties: random state dicts of every dtype and shape survive each writer bit for bit.</summary>
public sealed class WriterRoundTripProperties
{
    private sealed record Spec(DType DType, long[] Shape, int Seed, string Name);

    // Names of 0 to 200 characters, some of two and three UTF-8 bytes: TorchSharp's LEB128 name length takes a second
    // byte from 128 bytes on, so the generated cases cross it (checked below), not only one hand-written test.
    private static readonly Gen<string> NameGen =
        from length in Gen.Choose(0, 200)
        from chars in Gen.ArrayOf(Gen.Elements('a', 'z', '0', '.', '_', 'é', '∑'), length)
        select new string(chars);

    private static readonly Gen<Spec> SpecGen =
        from dtype in Gen.Elements(TestTensors.AllDTypes)
        from rank in Gen.Choose(0, 4)
        from dims in Gen.ArrayOf(Gen.Choose(0, 5), rank)
        from seed in Gen.Choose(0, int.MaxValue)
        from name in NameGen
        select new Spec(dtype, dims.Select(d => (long)d).ToArray(), seed, name);

    // The index keeps generated names unique within a state dict.
    private static List<TensorToWrite> Build(Spec[] specs) =>
        [.. specs.Select((s, i) => new TensorToWrite($"p{i}.{s.Name}", TestTensors.Random(new Random(s.Seed), s.DType, s.Shape)))];

    [Fact]
    public void Generator_ProducesNamesOnBothSidesOfTheOneByteLeb128Limit()
    {
        var lengths = SpecGen.Sample(200).Select(s => System.Text.Encoding.UTF8.GetByteCount(s.Name)).ToList();
        Assert.Contains(lengths, l => l < 128);
        Assert.Contains(lengths, l => l >= 128);
    }

    private static void Check(Func<Spec[], bool> property) =>
        Prop.ForAll(Arb.From(Gen.ArrayOf(SpecGen)), property).QuickCheckThrowOnFailure();

    [Fact]
    public void TorchSharp_WriteThenRead_BitwiseEqual() => Check(specs =>
    {
        var inputs = Build(specs);
        using var ms = new MemoryStream();
        TorchSharpWriter.Write(ms, inputs);
        using var back = TorchSharpReader.Read(new MemoryByteSource(ms.ToArray()), "p");
        return back.Format == CheckpointFormat.TorchSharp && SameTensors(inputs, back.Tensors);
    });

    [Fact]
    public void Safetensors_WriteThenRead_BitwiseEqual() => Check(specs =>
    {
        var inputs = Build([.. specs.Where(s => s.DType.SafetensorsName() is not null)]);
        using var ms = new MemoryStream();
        SafetensorsWriter.Write(ms, inputs);
        using var back = SafetensorsReader.Read(new MemoryByteSource(ms.ToArray()), "p");
        var byName = back.Tensors.ToDictionary(t => t.Path);
        return back.Tensors.Count == inputs.Count && SameTensors(inputs, [.. inputs.Select(i => byName[i.Name])]);
    });

    [Fact]
    public void PyTorchZip_Write_StorageRecordsHoldTheValues() => Check(specs =>
    {
        var inputs = Build(specs);
        using var ms = new MemoryStream();
        PyTorchZipWriter.Write(ms, inputs);
        using var zip = new ZipArchive(new MemoryStream(ms.ToArray()), ZipArchiveMode.Read);
        for (int i = 0; i < inputs.Count; i++)
        {
            using var entry = zip.GetEntry($"archive/data/{i}")!.Open();
            using var copy = new MemoryStream();
            entry.CopyTo(copy);
            if (!copy.ToArray().AsSpan().SequenceEqual(inputs[i].Source.ToByteArray())) return false;
        }
        return zip.Entries.Count == inputs.Count + 3;
    });

    private static bool SameTensors(List<TensorToWrite> inputs, IReadOnlyList<NamedTensor> read)
    {
        if (inputs.Count != read.Count) return false;
        for (int i = 0; i < inputs.Count; i++)
        {
            var r = read[i].Tensor;
            if (read[i].Path != inputs[i].Name || r.DType != inputs[i].DType || !r.Shape.SequenceEqual(inputs[i].Shape)) return false;
            if (!r.ToByteArray().AsSpan().SequenceEqual(inputs[i].Source.ToByteArray())) return false;
        }
        return true;
    }
}
