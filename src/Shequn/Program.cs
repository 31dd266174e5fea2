using Shequn.Components;
using Shequn.Data;
using Shequn.Features;
using Shequn.Features.Demo;
using Shequn.Features.Events;
using Shequn.Platform;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

var cli = CommandLine.Parse(args);
if (cli.Command is not null)
    return await cli.Command(Console.Out);

var builder = WebApplication.CreateBuilder(cli.HostArgs);
builder.UseShequnDefaults();
builder.AddShequnDatabase();
builder.AddShequnAuth();
builder.AddShequnLocalization();
builder.AddShequnApi();
builder.AddShequnEvents();
builder.AddShequnMemberOperations();
builder.AddShequnConsole();

var app = builder.Build();
await DatabaseSetup.MigrateAsync(app.Services);
if (cli.Demo)
    await DemoWorkspace.EnsureAndPrintAsync(app.Services, Console.Out);

app.UseShequnPipeline();
app.MapShequnApi();
app.MapShequnConsole();
await app.RunAsync();
return 0;

/// <summary>Exposed so that integration tests can host the app.</summary>
public partial class Program;
