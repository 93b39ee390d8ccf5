namespace WeightPort.Fuzz;

/// <summary>Re-runs one generated input, or a saved file, in-process and prints how each reader ended (with the full exception).</summary>
public static class Replayer
{
    /// <summary>Replays; returns 1 when any reader failed the oracle.</summary>
    public static int Run(FuzzOptions o)
    {
        var targets = o.Readers.Select(FuzzTargets.ByName).ToList();
        bool failed = false;
        if (o.Mode == "replay")
        {
            var generator = new InputGenerator(SeedCorpus.Load(o.Corpus, o.Fixtures), o.Seed);
            foreach (var t in targets)
                for (long index = o.Index; index < o.Index + o.Count; index++)
                {
                    var input = generator.Generate(t, index);
                    Console.WriteLine($"{t.Name} #{index}: {input.Bytes.Length:N0} bytes, {input.Description}");
                    failed |= Show(t, input, o.AllocationCap);
                    if (o.Readers.Count == 1 && Environment.GetEnvironmentVariable("WEIGHTPORT_FUZZ_DUMP") is { Length: > 0 } dump)
                        File.WriteAllBytes(dump, input.Bytes);
                }
        }
        else
        {
            byte[] bytes = File.ReadAllBytes(o.ReplayFile!);
            foreach (var t in targets)
            {
                foreach (bool report in new[] { false, true })
                    failed |= Show(t, new FuzzInput(bytes, report, o.ReplayFile!), o.AllocationCap);
            }
        }
        return failed ? 1 : 0;
    }

    private static bool Show(FuzzTarget t, FuzzInput input, long cap)
    {
        var outcome = InputRunner.Run(t, input, cap);
        Console.WriteLine($"  {t.Name} (report-unsafe {input.ReportUnsafe}): {outcome.Kind}, {outcome.AllocatedBytes:N0} bytes allocated");
        if (outcome.Exception is not null)
            Console.WriteLine("    " + (outcome.Kind == OutcomeKind.FormatError ? outcome.Exception.Message : outcome.Exception.ToString()));
        return outcome.Kind is not (OutcomeKind.Result or OutcomeKind.FormatError);
    }
}
