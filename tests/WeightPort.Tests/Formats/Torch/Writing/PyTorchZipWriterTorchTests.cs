using System.Security.Cryptography;
using System.Text.Json;
using WeightPort.Formats;
using WeightPort.Formats.Safetensors;
using WeightPort.Formats.Torch;
using WeightPort.Formats.TorchSharp;
using WeightPort.Tensors;
using WeightPort.Tests.Infrastructure;
using WeightPort.Tests.IO;
using Xunit;

namespace WeightPort.Tests.Formats.Torch.Writing;

/// <summary>Checks the PyTorch zip writer against real torch 1.13: it loads our files, and our bytes equal its own.</summary>
[Trait("Category", "Slow")]
public sealed class PyTorchZipWriterTorchTests : IDisposable
{
    private readonly string _dir = TestTensors.TempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Loads with weights_only=True and prints, per key: dtype, shape, sha256 of the values, and the storage pointer.
    private const string LoadScript = """
        import sys, json, hashlib, torch
        sd = torch.load(sys.argv[1], weights_only=True)
        out = {"type": type(sd).__name__, "entries": []}
        for k, t in sd.items():
            b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() > 0 else b""
            out["entries"].append({"name": k, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                "stride": list(t.stride()), "sha256": hashlib.sha256(b).hexdigest(),
                "storage": t.storage().data_ptr() if t.numel() > 0 else -1, "requires_grad": t.requires_grad})
        print(json.dumps(out))
        """;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Write_RandomStateDict_TorchLoadsWeightsOnlyWithEqualValues(int seed)
    {
        var rng = new Random(seed);
        var inputs = new List<TensorToWrite>();
        foreach (var dtype in TestTensors.AllDTypes)
            inputs.Add(new TensorToWrite($"m.{dtype}.w", TestTensors.Random(rng, dtype, TestTensors.RandomShape(rng), key: dtype.ToString())));
        // A transposed view (materialised on write), a cast, a scalar, an empty tensor and a tied pair.
        var storage = TestTensors.Random(rng, DType.Float32, [3, 5]).Storage;
        inputs.Add(new TensorToWrite("transposed", TensorInfo.Create(storage, 0, [5, 3], [1, 5])));
        inputs.Add(new TensorToWrite("cast.bf16", TestTensors.Random(rng, DType.Float32, [4, 2]), DType.BFloat16));
        inputs.Add(new TensorToWrite("scalar", TestTensors.Random(rng, DType.Int64, [])));
        inputs.Add(new TensorToWrite("empty", TestTensors.Random(rng, DType.Float32, [0, 3])));
        var tied = TestTensors.Random(rng, DType.Float32, [6, 4]);
        inputs.Add(new TensorToWrite("encoder.weight", tied));
        inputs.Add(new TensorToWrite("decoder.weight", tied));

        string path = Path.Combine(_dir, "model.pth");
        PyTorchZipWriter.Write(path, inputs);
        using var doc = JsonDocument.Parse(PythonTorch.Run(LoadScript, path));
        Assert.Equal("OrderedDict", doc.RootElement.GetProperty("type").GetString());
        var entries = doc.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(inputs.Select(i => i.Name), entries.Select(e => e.GetProperty("name").GetString()));
        for (int i = 0; i < inputs.Count; i++)
        {
            var t = inputs[i];
            var e = entries[i];
            Assert.Equal(t.DType.TorchName(), e.GetProperty("dtype").GetString());
            Assert.Equal(t.Shape, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()));
            Assert.Equal(TensorInfo.ContiguousStrides(t.Shape), e.GetProperty("stride").EnumerateArray().Select(x => x.GetInt64()));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TestTensors.OutputBytes(t))), e.GetProperty("sha256").GetString());
            Assert.False(e.GetProperty("requires_grad").GetBoolean());
        }
        long Storage(string name) => entries.Single(e => e.GetProperty("name").GetString() == name).GetProperty("storage").GetInt64();
        Assert.Equal(Storage("encoder.weight"), Storage("decoder.weight"));
        Assert.NotEqual(Storage("encoder.weight"), Storage("transposed"));
        // The transposed view arrives as the row-major values of the view.
        Assert.Equal(inputs.Single(i => i.Name == "transposed").Source.ToByteArray(), TestTensors.OutputBytes(inputs.Single(i => i.Name == "transposed")));
    }

    public static TheoryData<string> ConvertibleCorpusFiles() =>
        [.. CorpusExpectations.Files("torchsharp").Where(f => !f.Contains(".single-tensor.", StringComparison.Ordinal)), .. CorpusExpectations.Files("safetensors")];

    [Theory]
    [MemberData(nameof(ConvertibleCorpusFiles))]
    public void Write_ConvertedCorpusFile_TorchLoadsExpectedValues(string relative)
    {
        string source = TestPaths.CorpusFile(relative);
        using (var checkpoint = relative.StartsWith("safetensors", StringComparison.Ordinal) ? SafetensorsReader.Open(source) : TorchSharpReader.Open(source))
            PyTorchZipWriter.Write(Path.Combine(_dir, "converted.pth"), TensorToWrite.FromCheckpoint(checkpoint));
        using var doc = JsonDocument.Parse(PythonTorch.Run(LoadScript, Path.Combine(_dir, "converted.pth")));
        var loaded = doc.RootElement.GetProperty("entries").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        var expected = CorpusExpectations.EntriesOf(relative);
        Assert.Equal(expected.Count, loaded.Count);
        foreach (var e in expected)
        {
            var l = loaded[e.Name];
            Assert.True(DTypes.TryFromTorchName(l.GetProperty("dtype").GetString()!, out var dtype));
            Assert.Equal(e.DType, relative.StartsWith("safetensors", StringComparison.Ordinal) ? dtype.SafetensorsName() : dtype.TorchName());
            Assert.Equal(e.Shape, l.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()));
            Assert.Equal(e.Sha256, l.GetProperty("sha256").GetString());
        }
    }

    // Builds a state dict with torch, saves it with torch.save, and describes each tensor's bytes for the C# side.
    private const string ReferenceScript = """
        import sys, json, collections, torch
        out_dir, case = sys.argv[1], sys.argv[2]
        torch.manual_seed(0)
        sd = collections.OrderedDict()
        if case == "mixed":
            dtypes = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int16, torch.int32,
                      torch.int64, torch.uint8, torch.bool, torch.complex64, torch.complex128]
            for i, dt in enumerate(dtypes):
                sd[f"layer.{i}.weight"] = (torch.randn(3, i + 1) * 10).to(dt)
            sd["encoder.weight"] = torch.randn(7, 4)
            sd["decoder.weight"] = sd["encoder.weight"]
            sd["bn.num_batches_tracked"] = torch.tensor(12345678901)
            sd["empty"] = torch.zeros(0, 3)
            sd["wide"] = torch.randn(70000).half()
            sd["rank5"] = torch.randn(2, 1, 3, 1, 2)
            sd["d\u00e9cod\u00e9"] = torch.randn(2)
        else:
            for i in range(1003):
                sd[f"t{i}"] = torch.tensor(float(i))
        torch.save(sd, out_dir + "/reference/model.pth")
        blob = open(out_dir + "/values.bin", "wb")
        manifest, seen, pos = [], {}, 0
        for k, t in sd.items():
            entry = {"name": k, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
            if id(t) in seen:
                entry["same_as"] = seen[id(t)]
            else:
                seen[id(t)] = k
                b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() > 0 else b""
                entry["offset"], entry["length"] = pos, len(b)
                blob.write(b)
                pos += len(b)
            manifest.append(entry)
        blob.close()
        print(json.dumps(manifest))
        """;

    [Theory]
    [InlineData("mixed")]
    [InlineData("many")]
    public void Write_SameTensorsAsTorchSave_IsByteIdenticalToTorch113(string @case)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "reference"));
        using var manifest = JsonDocument.Parse(PythonTorch.Run(ReferenceScript, _dir, @case));
        byte[] values = File.ReadAllBytes(Path.Combine(_dir, "values.bin"));
        var byName = new Dictionary<string, TensorInfo>();
        var inputs = new List<TensorToWrite>();
        foreach (var e in manifest.RootElement.EnumerateArray())
        {
            string name = e.GetProperty("name").GetString()!;
            TensorInfo tensor;
            if (e.TryGetProperty("same_as", out var same))
            {
                tensor = byName[same.GetString()!];
            }
            else
            {
                Assert.True(DTypes.TryFromTorchName(e.GetProperty("dtype").GetString()!, out var dtype));
                int offset = e.GetProperty("offset").GetInt32(), length = e.GetProperty("length").GetInt32();
                tensor = TestTensors.FromBytes(dtype, [.. e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64())],
                    values.AsSpan(offset, length).ToArray(), name);
            }
            byName[name] = tensor;
            inputs.Add(new TensorToWrite(name, tensor));
        }
        string ours = Path.Combine(_dir, "model.pth");
        // torch 1.13 writes no byteorder record.
        PyTorchZipWriter.Write(ours, inputs, writeByteOrder: false);
        byte[] expected = File.ReadAllBytes(Path.Combine(_dir, "reference", "model.pth"));
        byte[] actual = File.ReadAllBytes(ours);
        int firstDifference = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual),
            $"our file ({actual.Length:N0} bytes) differs from torch.save's ({expected.Length:N0} bytes) first at offset {firstDifference:N0}");
    }
}
