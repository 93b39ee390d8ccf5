namespace WeightPort.Formats;

/// <summary>A part of a file the scanner could not read to its end; it carried on with the next part.</summary>
/// <param name="Entry">The part (zip record, legacy pickle, tar member), or the file itself.</param>
/// <param name="Offset">Where in <paramref name="Entry"/> reading stopped, when known.</param>
/// <param name="Reason">Why.</param>
internal sealed record ScanProblem(string Entry, long? Offset, string Reason);
