namespace Shequn.Platform;

/// <summary>
/// Splits the process arguments into our own switches (--demo, sub-commands) and the host's
/// (--urls, --data-dir, configuration keys).
/// </summary>
public sealed record CommandLine(string[] HostArgs, bool Demo, Func<TextWriter, Task<int>>? Command)
{
    public static CommandLine Parse(string[] args)
    {
        var demo = args.Contains("--demo");
        var rest = args.Where(a => a != "--demo").ToArray();
        return new CommandLine(WithContentRoot(rest), demo, Commands.Find(rest));
    }

    /// <summary>
    /// The app's own files (appsettings.json, wwwroot) are found next to the assembly wherever the command runs, while
    /// the working directory stays the user's: relative paths and the default ./data resolve against it.
    /// </summary>
    private static string[] WithContentRoot(string[] args) =>
        args.Any(a => a.TrimStart('-').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            ? args
            : [.. args, "--contentRoot", AppContext.BaseDirectory];
}

/// <summary>Sub-commands that run without the web host; each feature registers its own here.</summary>
public static class Commands
{
    public static Func<TextWriter, Task<int>>? Find(string[] args) => args switch
    {
        ["import", ..] => output => Features.Imports.ImportCommand.RunAsync(args, output),
        ["moderation", .. var rest] => output => Features.Moderation.ModerationCommand.RunAsync(rest, output),
        _ => null,
    };
}
