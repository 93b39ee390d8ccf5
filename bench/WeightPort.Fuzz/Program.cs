using WeightPort.Fuzz;

try
{
    var options = FuzzOptions.Parse(args);
    return options.Mode switch
    {
        "help" => Help(),
        "worker" => Worker.Run(options),
        "replay" or "replay-file" => Replayer.Run(options),
        _ => new Supervisor(options).Run(),
    };
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine("fuzz: " + e.Message);
    return 2;
}
catch (DirectoryNotFoundException e)
{
    Console.Error.WriteLine("fuzz: " + e.Message);
    return 2;
}

static int Help()
{
    Console.WriteLine(FuzzOptions.Usage);
    return 0;
}
