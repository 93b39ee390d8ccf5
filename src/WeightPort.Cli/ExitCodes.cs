namespace WeightPort.Cli;

/// <summary>Process exit codes; documented in the README.</summary>
internal static class ExitCodes
{
    /// <summary>Success (for verify: the outputs matched).</summary>
    public const int Ok = 0;
    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;
    /// <summary>An input file is not a readable checkpoint, or its content fails validation.</summary>
    public const int BadInput = 3;
    /// <summary>verify ran and the outputs did not match within the tolerance.</summary>
    public const int VerificationFailed = 4;
    /// <summary>inspect --scan found globals outside the allowlist.</summary>
    public const int UnsafeGlobalsFound = 5;
    /// <summary>The requested device (CUDA) is not available.</summary>
    public const int DeviceUnavailable = 6;
    /// <summary>An I/O error while reading or writing (a full disk, a permission denied).</summary>
    public const int IoError = 7;
    /// <summary>A bug: an unexpected exception.</summary>
    public const int InternalError = 70;
}
