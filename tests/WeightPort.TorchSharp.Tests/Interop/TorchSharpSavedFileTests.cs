using TorchSharp.Modules;
using WeightPort.TorchSharp.Loading;
using WeightPort.TorchSharp.Modules;
using WeightPort.TorchSharp.Tests.Support;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Interop;

/// <summary>Files written during the test by TorchSharp 0.107's own <c>Module.save</c>: the core reads them, and <c>convert</c> passes them through.</summary>
public sealed class TorchSharpSavedFileTests
{
    [Fact]
    public void EveryDType_IsReadByTheCore_AsTorchSharpHoldsIt()
    {
        using var temp = Repo.Temp();
        using var zoo = new DTypeZoo();
        string path = temp.File("zoo.dat");
        zoo.save(path);
        var read = CoreCheckpoint.ReadAllTensors(path).ToDictionary(t => t.Name);
        var expected = zoo.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), read.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in expected)
        {
            var r = read[name];
            Assert.Equal(t.dtype, r.DType);
            Assert.Equal(t.shape, r.Shape);
            Assert.True(t.bytes.SequenceEqual(r.Bytes), $"{name}: bytes differ");
        }
        Assert.Equal(ScalarType.Int64, read["bn.num_batches_tracked"].DType);
        Assert.Empty(read["bn.num_batches_tracked"].Shape);
        Assert.Equal(1L, BitConverter.ToInt64(read["bn.num_batches_tracked"].Bytes));
        Assert.Empty(read["empty_float32"].Bytes);
        Assert.Equal(DTypeZoo.SavedTypes.Length, read.Keys.Count(k => k.StartsWith("b_", StringComparison.Ordinal)));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Convert_PassesATorchSharpFileThroughByteIdentical()
    {
        using var temp = Repo.Temp();
        using var zoo = new DTypeZoo();
        string path = temp.File("zoo.dat");
        zoo.save(path);
        string output = temp.File("zoo.out.dat");
        var (code, stdout, err) = Processes.WeightPort("convert", path, "-o", output);
        Assert.True(code == 0, err + stdout);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(output));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void NaturalTiedModule_SavedByTorchSharp_ConvertsAndLoads()
    {
        // The module a new user writes: encoder = Embedding, rnns = one-layer LSTMs, decoder = Linear tied to the
        // embedding. TorchSharp's state_dict lists the tied matrix twice (encoder.weight and decoder.weight).
        using var temp = Repo.Temp();
        var arch = new AwdLstmArchitecture(40, 8, 12, 2);
        using var natural = new NaturalLanguageModel(arch);
        string path = temp.File("natural.dat");
        natural.save(path);
        Assert.Contains("decoder.weight", natural.state_dict().Keys);

        using var model = AwdLstmLanguageModel.FromPretrained(path);
        Assert.DoesNotContain("decoder.weight", model.state_dict().Keys);
        Assert.True(model.Encoder.Embedding.weight!.eq(natural.state_dict()["encoder.weight"]).all().item<bool>());
        Assert.True(model.Decoder.IsTied);

        string converted = temp.File("natural.clean.pth");
        var (code, stdout, err) = Processes.WeightPort("convert", path, "--format", "pth", "-o", converted, "--json");
        Assert.True(code == 0, err + stdout);
        Assert.Contains("canonical", stdout, StringComparison.Ordinal);
    }

    private sealed class NaturalLanguageModel : nn.Module
    {
        // TorchSharp registers submodules under their field names: these are the state-dict names under test.
#pragma warning disable IDE1006
        private readonly Embedding encoder;
        private readonly ModuleList<LSTM> rnns;
        private readonly Linear decoder;
#pragma warning restore IDE1006

        public NaturalLanguageModel(AwdLstmArchitecture a) : base(nameof(NaturalLanguageModel))
        {
            encoder = nn.Embedding(a.VocabSize, a.EmbSize);
            rnns = new ModuleList<LSTM>();
            for (int l = 0; l < a.Layers; l++) rnns.Add(nn.LSTM(a.LayerInputSize(l), a.LayerHiddenSize(l), 1, batchFirst: true));
            decoder = nn.Linear(a.EmbSize, a.VocabSize);
            decoder.weight = encoder.weight!;
            RegisterComponents();
        }
    }
}
