using Shequn.Benchmarks;

// Usage: Shequn.Benchmarks moderation [--data DIR] [--seconds N]
var (command, rest) = args is [var first, .. var tail] ? (first, tail) : ("", []);
return command switch
{
    "moderation" => await ModerationBenchmark.RunAsync(rest, Console.Out),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Shequn.Benchmarks moderation [--data DIR] [--seconds N]");
    return 2;
}
