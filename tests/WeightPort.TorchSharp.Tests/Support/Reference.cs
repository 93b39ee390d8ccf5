using WeightPort.TorchSharp.Loading;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Support;

/// <summary>A reference file (<c>fixtures/references/*.ref.pt</c>, written by tools/make_reference.py) as TorchSharp tensors, read with WeightPort's reader.</summary>
internal static class Reference
{
    public static Dictionary<string, Tensor> Load(string path) =>
        CoreCheckpoint.ReadAllTensors(path).ToDictionary(t => t.Name, t =>
        {
            var x = empty(t.Shape, t.DType);
            t.Bytes.CopyTo(x.bytes);
            return x;
        });

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(b.shape, a.shape);
        using var d = (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }
}
