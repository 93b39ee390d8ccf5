namespace WeightPort.TorchSharp.Tests.Support;

internal static class Disposables
{
    /// <summary>Runs <paramref name="body"/> while <paramref name="scope"/> is held, then disposes it.</summary>
    public static T Let<T>(this IDisposable scope, Func<T> body)
    {
        using (scope) return body();
    }
}
