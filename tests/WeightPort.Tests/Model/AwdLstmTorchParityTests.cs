using System.Diagnostics;
using System.Text.Json;
using WeightPort.Compute.Cpu;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tests.Infrastructure;
using Xunit;

namespace WeightPort.Tests.Model;

/// <summary>
/// The forward pass against real PyTorch: torch_parity.py builds a small random model with torch.nn modules and
/// fastai's eval semantics (through tools/make_reference.py) and writes weights and outputs as raw float32.
/// Fails, never skips, without python3 + torch.
/// </summary>
[Trait("Category", "Slow")]
public sealed class AwdLstmTorchParityTests
{
    private const float Tolerance = 2e-5f;

    private sealed record Case(JsonElement Manifest, Dictionary<string, float[]> Tensors);

    private static Case Generate(string kind, int seed)
    {
        string dir = Directory.CreateTempSubdirectory("wp-parity-").FullName;
        try
        {
            string script = Path.Combine(TestPaths.RepoRoot, "tests", "WeightPort.Tests", "Model", "torch_parity.py");
            var psi = new ProcessStartInfo(TestPaths.Python) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { script, dir, kind, seed.ToString(System.Globalization.CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
            using Process p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"{TestPaths.Python} {script} failed ({p.ExitCode}): {err}");
            JsonElement manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json"))).RootElement.Clone();
            byte[] bytes = File.ReadAllBytes(Path.Combine(dir, "weights.bin"));
            var tensors = new Dictionary<string, float[]>();
            foreach (JsonElement t in manifest.GetProperty("tensors").EnumerateArray())
            {
                int offset = t.GetProperty("offset").GetInt32(), count = t.GetProperty("count").GetInt32();
                var values = new float[count];
                for (int i = 0; i < count; i++)
                    values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((offset + i) * 4, 4));
                tensors[t.GetProperty("name").GetString()!] = values;
            }
            return new Case(manifest, tensors);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static AwdLstmWeights Weights(Case c)
    {
        JsonElement m = c.Manifest;
        Dictionary<string, float[]> t = c.Tensors;
        bool bidir = m.GetProperty("bidir").GetBoolean();
        var config = new AwdLstmConfig(m.GetProperty("V").GetInt32(), m.GetProperty("E").GetInt32(), m.GetProperty("H").GetInt32(), m.GetProperty("L").GetInt32(), bidir);
        var layers = Enumerable.Range(0, config.Layers).Select(l => (IReadOnlyList<LstmDirectionWeights>)(bidir ? new[] { "", "_reverse" } : new[] { "" })
            .Select(s => new LstmDirectionWeights(t[$"{l}.weight_ih_l0{s}"], t[$"{l}.weight_hh_l0{s}"], t[$"{l}.bias_ih_l0{s}"], t[$"{l}.bias_hh_l0{s}"])).ToArray()).ToArray();
        JsonElement head = m.GetProperty("head");
        if (head.GetArrayLength() == 0)
            return new AwdLstmWeights(config, t["emb"], layers, null, t["dec_b"], true, null);
        var blocks = head.EnumerateArray().Select((h, k) => new ClassifierBlockWeights(h[0].GetInt32(), h[1].GetInt32(),
            t[$"h{k}.bn.weight"], t[$"h{k}.bn.bias"], t[$"h{k}.bn.running_mean"], t[$"h{k}.bn.running_var"], t[$"h{k}.lin.weight"],
            h[2].GetBoolean() ? (ReadOnlyMemory<float>?)t[$"h{k}.lin.bias"] : null)).ToArray();
        return new AwdLstmWeights(config, t["emb"], layers, null, null, false, blocks);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: C# {actual[i]}, PyTorch {expected[i]}");
    }

    [Theory]
    [InlineData("lm", CpuBlas.Managed)]
    [InlineData("lm", CpuBlas.Auto)]
    [InlineData("bidir", CpuBlas.Managed)]
    [InlineData("bidir", CpuBlas.Auto)]
    [InlineData("lm", CpuBlas.OpenBlas)]
    [InlineData("bidir", CpuBlas.OpenBlas)]
    public void Forward_StatefulCallsWithBatchChange_MatchesPyTorch(string kind, CpuBlas blas)
    {
        Case c = Generate(kind, seed: 11);
        using CpuBackend backend = CpuBackend.Create(blas);
        using AwdLstm model = AwdLstm.FromWeights(Weights(c), backend);
        int call = 0;
        foreach (JsonElement shape in c.Manifest.GetProperty("calls").EnumerateArray())
        {
            int[] tokens = c.Tensors[$"call{call}.tokens"].Select(v => (int)v).ToArray();
            AwdLstmOutput output = model.Forward(tokens, shape[0].GetInt32(), shape[1].GetInt32());
            AssertClose(c.Tensors[$"call{call}.hidden"], output.LastHidden, $"call {call} hidden");
            AssertClose(c.Tensors[$"call{call}.logits"], output.Logits, $"call {call} logits");
            call++;
        }
    }

    [Theory]
    [InlineData("clas_v2", 2)]
    [InlineData("clas_v1", 1)]
    public void Classify_PaddedBatch_MatchesPyTorch(string kind, int fastaiVersion)
    {
        var pooling = fastaiVersion == 1 ? ClassifierPooling.FastaiV1 : ClassifierPooling.FastaiV2;
        Case c = Generate(kind, seed: 12);
        using CpuBackend backend = CpuBackend.Create(CpuBlas.Managed);
        int bptt = c.Manifest.GetProperty("bptt").GetInt32();
        using AwdLstmClassifier classifier = AwdLstmClassifier.FromWeights(Weights(c), backend, pooling, bptt, 20 * bptt);
        JsonElement shape = c.Manifest.GetProperty("calls")[0];
        int[] tokens = c.Tensors["call0.tokens"].Select(v => (int)v).ToArray();
        AssertClose(c.Tensors["call0.class_logits"], classifier.Classify(tokens, shape[0].GetInt32(), shape[1].GetInt32()), "class logits");
    }
}
