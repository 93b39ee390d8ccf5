using System.CommandLine;
using System.Globalization;

namespace WeightPort.Cli;

/// <summary>
/// Options whose values are checked while parsing, so that a bad value is a usage error (exit 2) naming the option and
/// what it accepts, before anything runs: choices in any letter case (with aliases), and numbers in their range.
/// </summary>
internal static class OptionRules
{
    /// <summary>An option taking one of <paramref name="values"/> in any case, or an alias of one; the value is the canonical spelling.</summary>
    /// <param name="name">The option name, e.g. <c>--format</c>.</param>
    /// <param name="description">The help text (the accepted values are appended).</param>
    /// <param name="defaultValue">The value when the option is absent; null for none.</param>
    /// <param name="values">The canonical values.</param>
    /// <param name="aliases">Other spellings and the value each stands for (<c>fp16</c> → <c>float16</c>).</param>
    public static Option<string?> Choice(string name, string description, string? defaultValue, string[] values, params (string Alias, string Value)[] aliases)
    {
        // Plain loops: LINQ over these tuples is JIT-compiled at every start of the CLI, in every command.
        var accepted = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string v in values) accepted[v] = v;
        var aliasNames = new List<string>();
        foreach (var (alias, value) in aliases)
        {
            accepted[alias] = value;
            aliasNames.Add(alias);
        }
        string listed = string.Join(", ", values) + (aliases.Length == 0 ? "" : $" (or {string.Join(", ", aliasNames)})");
        var option = new Option<string?>(name)
        {
            Description = $"{description} One of {listed}, in any case.",
            HelpName = string.Join("|", values),
            CustomParser = result =>
            {
                string given = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (accepted.TryGetValue(given, out string? value)) return value;
                result.AddError($"{name} '{given}' is not one of {listed}");
                return null;
            },
        };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>Requires a finite value of at least <paramref name="min"/> (and at most <paramref name="max"/>).</summary>
    public static Option<double> InRange(this Option<double> option, double min, double max, string meaning)
    {
        option.Validators.Add(result =>
        {
            double v = result.GetValueOrDefault<double>();
            if (!double.IsFinite(v) || v < min || v > max)
                result.AddError($"{option.Name} must be {meaning}, not {v.ToString("R", CultureInfo.InvariantCulture)}");
        });
        return option;
    }

    /// <summary>Requires a value of at least <paramref name="min"/> when given.</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int min)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is int v && v < min)
                result.AddError($"{option.Name} must be {min} or more, not {v.ToString(CultureInfo.InvariantCulture)}");
        });
        return option;
    }

    /// <summary><c>--ignore KEY</c>, repeatable: object paths whose content is not needed and may hold globals outside the allowlist.</summary>
    public static Option<string[]> Ignore() => new("--ignore")
    {
        Description = "Ignore this object path (e.g. 'vocab', 'opt.hypers'): its globals outside the allowlist are listed, never run, and its tensors are left out. Repeatable.",
        HelpName = "KEY",
        AllowMultipleArgumentsPerToken = false,
    };
}
