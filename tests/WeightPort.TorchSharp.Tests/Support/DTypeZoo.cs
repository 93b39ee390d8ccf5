using TorchSharp.Modules;
using static TorchSharp.torch;

namespace WeightPort.TorchSharp.Tests.Support;

/// <summary>A module with a buffer of every dtype TorchSharp saves, 0-d and empty tensors, and a BatchNorm1d (num_batches_tracked).</summary>
internal sealed class DTypeZoo : nn.Module
{
    public static readonly ScalarType[] SavedTypes =
    [
        ScalarType.Byte, ScalarType.Int8, ScalarType.Int16, ScalarType.Int32, ScalarType.Int64, ScalarType.Float16,
        ScalarType.Float32, ScalarType.Float64, ScalarType.ComplexFloat32, ScalarType.ComplexFloat64, ScalarType.Bool, ScalarType.BFloat16,
    ];

    public DTypeZoo() : base(nameof(DTypeZoo))
    {
        random.manual_seed(11);
        foreach (var t in SavedTypes)
        {
            using var values = randn(2, 3) * 50;
            var tensor = t switch
            {
                ScalarType.Bool => values.gt(0),
                ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64 => complex(values, values.neg()).to_type(t),
                _ => values.to_type(t),
            };
            register_buffer("b_" + t.ToString().ToLowerInvariant(), tensor);
        }
        register_buffer("scalar_int64", tensor(42L));
        register_buffer("empty_float32", zeros(0, 3));
        register_parameter("weight", new Parameter(randn(4, 5)));
        register_parameter("scalar_weight", new Parameter(tensor(1.5f)));
        var bn = nn.BatchNorm1d(4);
        bn.train();
        using (no_grad()) bn.forward(randn(8, 4));
        register_module("bn", bn);
    }
}
