using WeightPort.TorchSharp.Tests.Support;

namespace WeightPort.TorchSharp.Tests.Native;

/// <summary>
/// An application that references the packed WeightPort.TorchSharp package (and TorchSharp-cpu) gets the
/// libLibTorchSharp.so build step from buildTransitive/, and runs, after <c>dotnet run</c> and after <c>dotnet publish</c>.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageConsumerTests
{
    private const string Program = """
        using TorchSharp;
        using WeightPort.TorchSharp.Modules;
        var lm = AwdLstmLanguageModel.FromPretrained(args[0]);
        lm.eval();
        using var x = torch.tensor(new long[] { 2, 3, 4 }).unsqueeze(0);
        System.Console.WriteLine($"logits {string.Join(",", lm.forward(x).shape)} OK");
        """;

    [Fact]
    public void PackageReference_BuildsPublishesAndRuns()
    {
        using var temp = Repo.Temp();
        string version = "0.0.0-test." + Guid.NewGuid().ToString("N")[..8];
        string feed = temp.File("feed");
        try
        {
            foreach (var project in new[] { "src/WeightPort/WeightPort.csproj", "src/WeightPort.TorchSharp/WeightPort.TorchSharp.csproj" })
                Dotnet("pack", Path.Combine(Repo.Root, project), "-c", "Release", "-o", feed, $"-p:Version={version}");
            string app = temp.File("app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="WeightPort.TorchSharp" Version="{version}" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), Program);
            File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration><packageSources><add key="weightport-test" value="{feed}" /></packageSources></configuration>
                """);
            string build = Dotnet("build", app, "-c", "Release", "-v", "n");
            bool lacks = LacksGlibcxx3432();
            Assert.Equal(lacks, build.Contains("marked GLIBCXX_3.4.32 weak", StringComparison.Ordinal));
            string dll = Path.Combine(app, "bin", "Release", "net10.0", "app.dll");
            Assert.Contains("OK", Run(dll), StringComparison.Ordinal);

            string publish = temp.File("publish");
            Dotnet("publish", app, "-c", "Release", "-o", publish);
            Assert.Contains("OK", Run(Path.Combine(publish, "app.dll")), StringComparison.Ordinal);
        }
        finally
        {
            string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (var id in new[] { "weightport.core", "weightport.torchsharp" })
            {
                string dir = Path.Combine(cache, id, version);
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                string idDir = Path.Combine(cache, id);
                if (Directory.Exists(idDir) && !Directory.EnumerateFileSystemEntries(idDir).Any()) Directory.Delete(idDir);
            }
        }
    }

    private static bool LacksGlibcxx3432()
    {
        string system = PatchGlibcxxVersionNeed.FindSystemLibStdCxx() ?? throw new InvalidOperationException("no system libstdc++.so.6");
        return !File.ReadAllText(system, System.Text.Encoding.Latin1).Contains("\0GLIBCXX_3.4.32\0", StringComparison.Ordinal);
    }

    private static string Run(string dll)
    {
        var (code, stdout, stderr) = Processes.Run(Processes.DotnetHost, [dll, Repo.Fixture("wt103_mini_fwd.pth")]);
        Assert.True(code == 0, $"{dll} exited {code}: {stdout}{stderr}");
        return stdout;
    }

    private static string Dotnet(params string[] args)
    {
        var (code, stdout, stderr) = Processes.Run(Processes.DotnetHost, args);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited {code}: {stdout}{stderr}");
        return stdout;
    }
}
