using System.Globalization;

namespace WeightPort.Formats.Pickle;

/// <summary>A Python <c>complex</c>, rebuilt from <c>builtins.complex(real, imag)</c>.</summary>
/// <param name="real">The real part.</param>
/// <param name="imaginary">The imaginary part.</param>
internal sealed class PickleComplex(double real, double imaginary) : PickleValue
{
    /// <summary>The real part.</summary>
    public double Real { get; } = real;
    /// <summary>The imaginary part.</summary>
    public double Imaginary { get; } = imaginary;

    /// <inheritdoc />
    public override string TypeName => "complex";

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Real}+{Imaginary}j)");
}
