namespace WeightPort.Peers;

/// <summary>Command-line options of the peers benchmark (see Program.cs).</summary>
internal sealed record Options(string Command, string Engine, string Case, string Pth, string Onnx, string TorchSharp, string Reference, int Threads, int Repeats, int Steps)
{
    public static Options Parse(string[] args)
    {
        var positional = new List<string>();
        var named = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) named[args[i][2..]] = args[++i];
            else positional.Add(args[i]);
        }
        string Get(string key, string fallback) => named.TryGetValue(key, out var v) ? v : fallback;
        return new Options(
            positional.ElementAtOrDefault(0) ?? throw new ArgumentException("usage: machine | check ENGINE | run ENGINE CASE [options]"),
            positional.ElementAtOrDefault(1) ?? "",
            positional.ElementAtOrDefault(2) ?? "1x1",
            Get("pth", "fixtures/large/wt103_fwd.pth"),
            Get("onnx", "artifacts/wt103_fwd.onnx"),
            Get("torchsharp", "artifacts/wt103_fwd.dat"),
            Get("reference", "artifacts/wt103_fwd.ref.pt"),
            int.Parse(Get("threads", "2")),
            int.Parse(Get("repeats", "5")),
            int.Parse(Get("steps", "200")));
    }
}
