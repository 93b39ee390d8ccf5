namespace WeightPort.Cli;

/// <summary>The device asked for (<c>--device cuda</c>) cannot be used here; exit code 6.</summary>
internal sealed class DeviceUnavailableException(string message) : Exception(message);
