using WeightPort.Compute.Cpu;
using WeightPort.Fastai;
using WeightPort.Model;
using WeightPort.Tensors;

namespace WeightPort.Verification;

/// <summary>What <see cref="ModelVerifier.Verify"/> compares against, where it runs and how strictly.</summary>
public sealed record VerifyOptions
{
    /// <summary>
    /// A reference file (<c>tools/make_reference.py</c>: a <c>torch.save</c>d dict of <c>tokens</c> and the outputs);
    /// null compares a converted file with the source its manifest names.
    /// </summary>
    public string? ReferencePath { get; init; }

    /// <summary>
    /// Where the model runs; null runs it on a <see cref="CpuBackend"/> with <see cref="Blas"/>. On any other backend,
    /// the reference comparison is repeated on the CPU too. The caller keeps ownership of the backend.
    /// </summary>
    public ComputeBackend? Backend { get; init; }

    /// <summary>The CPU's matrix products, for the CPU run.</summary>
    public CpuBlas Blas { get; init; } = CpuBlas.Auto;

    /// <summary>
    /// How the CPU run stores the weights. <see cref="CpuWeightPrecision.Auto"/> (float16 when every weight is exact
    /// in it, bitwise the float32 results) as in <see cref="CpuBackend.Create"/>; <see cref="CpuWeightPrecision.Float32"/>
    /// forces float32; float16 and bfloat16 are lossy options whose error the reports show.
    /// </summary>
    public CpuWeightPrecision Weights { get; init; } = CpuWeightPrecision.Auto;

    /// <summary>When outputs count as equal.</summary>
    public Tolerance Tolerance { get; init; } = Tolerance.Default;

    /// <summary>How the checkpoints are recognised (a forced layout, an accepted embedding mismatch).</summary>
    public FastaiOptions? Fastai { get; init; }

    /// <summary>Seed of the generated tokens when comparing with the source.</summary>
    public int Seed { get; init; } = 1234;
}
