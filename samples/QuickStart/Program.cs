// The README's "Using the library" section, as a program: convert a fastai checkpoint, load the model from the
// original file, predict the next token. Arguments: CHECKPOINT ITOS OUTPUT (defaults: the bundled mini WT103).
using WeightPort;
using WeightPort.Compute.Cpu;
using WeightPort.Conversion;
using WeightPort.Fastai;
using WeightPort.Model;

string root = FindRepositoryRoot();
string checkpointPath = args.Length > 0 ? args[0] : Path.Combine(root, "fixtures", "wt103_mini_fwd.pth");
string itosPath = args.Length > 1 ? args[1] : Path.Combine(root, "fixtures", "wt103_mini_itos.pkl");
string outputPath = args.Length > 2 ? args[2] : Path.Combine(root, "artifacts", "quickstart", "wt103_mini.dat");

try
{
    // Convert, as `weightport convert` does. Overwrite, so that the program can run again.
    using (var checkpoint = FastaiCheckpoint.Open(checkpointPath))
    {
        var report = checkpoint.Validate();            // every decision, with numbers
        report.ThrowIfInvalid(checkpointPath);
        var plan = ConversionPlan.Create(checkpoint);
        var result = plan.Write(new ConvertTarget(outputPath, OutputFormat.TorchSharp, Overwrite: true));
        Console.WriteLine($"converted {result.InputKeys} tensors to {result.OutputKeys} in {outputPath} ({result.OutputBytes:N0} bytes)");
    }

    // Load the model straight from the original .pth (converted in memory, same validation) and predict.
    using var backend = CpuBackend.Create();
    using var lm = AwdLstm.Load(checkpointPath, backend);
    var vocab = Vocabulary.Load(itosPath);
    int[] ids = vocab.Encode(["xxbos", "the", "first", "of"]);
    using var output = lm.Forward(ids, batch: 1, seq: ids.Length);   // logits [1, 4, vocab], last hidden [1, 4, emb]
    string next = vocab.ToToken(ArgMax(output.LogitsAt(0, ids.Length - 1)));
    Console.WriteLine($"after '{string.Join(' ', vocab.Decode(ids))}' the model predicts '{next}'");

    // The converted file loads the same model.
    using var converted = AwdLstm.Load(outputPath, backend);
    using var again = converted.Forward(ids, batch: 1, seq: ids.Length);
    bool same = again.Logits.AsSpan().SequenceEqual(output.Logits);
    Console.WriteLine(same ? "the converted file gives the same logits" : "the converted file gives DIFFERENT logits");
    return same ? 0 : 1;
}
catch (CheckpointFormatException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}

static int ArgMax(ReadOnlySpan<float> v)
{
    int best = 0;
    for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
    return best;
}

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "WeightPort.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
