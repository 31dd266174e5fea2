using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Shequn.BrowserTests.Infrastructure.ConsoleApp))]
// One app and one browser for everything; tests change shared demo data, so they take turns. (Two at once, the
// phone-layout checks beside the rest, measured no faster: 428 s against 416 s, with two more timeouts.)
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace Shequn.BrowserTests.Infrastructure;

/// <summary>
/// The real console, started the way a user starts it (`dotnet Shequn.dll --demo --data-dir … --urls …`)
/// in its own process, with the sign-in details read from what it prints, and one headless Debian
/// chromium driven by Playwright. Without chromium the tests skip, except with CI=true, where they fail.
/// </summary>
public sealed partial class ConsoleApp : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _printed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "shequn-browser", Guid.NewGuid().ToString("N"));
    private Process? _app;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public string BaseUrl { get; private set; } = "";
    public string OwnerEmail { get; private set; } = "";
    public string OwnerPassword { get; private set; } = "";
    public string StaffPassword { get; private set; } = "";
    public string ApiToken { get; private set; } = "";

    /// <summary>The app's SQLite database, for a test that must set up a state no API makes (an action left uncertain by a crash).</summary>
    public string DatabasePath => Path.Combine(_dataDir, "shequn.db");

    /// <summary>The fake WeCom the app's <c>WeCom:ApiBaseUrl</c> points at.</summary>
    public Shequn.Fakes.WeCom.FakeWeComServer WeCom { get; private set; } = null!;
    /// <summary>The fake Telegram Bot API the app talks to (Telegram:ApiBaseUrl); its webhook pushes reach the app.</summary>
    public Shequn.Fakes.Telegram.FakeTelegramServer Telegram { get; private set; } = null!;

    /// <summary>Why the browser tests cannot run here, or null.</summary>
    public string? Unavailable { get; private set; }

    public static string RepoRoot { get; } = FindRepoRoot();

    public async ValueTask InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("SHEQUN_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException($"CI=true but chromium was not found at {chromium}: browser tests must run in CI (./test.sh installs it).");
            Unavailable = $"chromium not found at {chromium} (set SHEQUN_CHROMIUM or run ./test.sh, which installs it).";
            return;
        }

        await StartAppAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>The phone the console must fit (an iPhone 12–15 in CSS pixels).</summary>
    public static ViewportSize Phone { get; } = new() { Width = 390, Height = 844 };

    /// <summary>A fresh browser profile (no cookies) for one test; skips the test when chromium is unavailable.</summary>
    public Task<IBrowserContext> NewContextAsync() =>
        // Tall enough for the demo's community list, so screenshots show whole pages with their fixed drawer.
        NewContextAsync(new ViewportSize { Width = 1280, Height = 960 });

    /// <summary>A fresh browser profile at the given size; at <see cref="Phone"/> size it is a touch phone (mobile viewport rules).</summary>
    public async Task<IBrowserContext> NewContextAsync(ViewportSize viewport)
    {
        if (Unavailable is { } reason)
            Assert.Skip(reason);
        var phone = viewport.Width <= Phone.Width;
        var context = await _browser!.NewContextAsync(new()
        {
            BaseURL = BaseUrl,
            ViewportSize = viewport,
            IsMobile = phone,
            HasTouch = phone,
        });
        context.SetDefaultTimeout(20_000);
        return context;
    }

    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiToken);
        return client;
    }

    /// <summary>What the app printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
            await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }
        _app?.Dispose();
        if (WeCom is not null)
            await WeCom.DisposeAsync();
        if (Telegram is not null)
            await Telegram.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private async Task StartAppAsync()
    {
        var dll = FindAppDll();
        BaseUrl = $"http://127.0.0.1:{FreePort()}";
        Telegram = await Shequn.Fakes.Telegram.FakeTelegramServer.StartAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            // The project folder is the content root, as with `dotnet run --project src/Shequn`.
            WorkingDirectory = Path.Combine(RepoRoot, "src", "Shequn"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { dll, "--demo", "--data-dir", _dataDir, "--urls", BaseUrl },
        };
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // The friend-add job plans today every few minutes; a pass landing between a test's queued lead and its click on
        // "plan tomorrow" put the lead on today's plan (a CI failure). Tests plan when they ask, as the unit tests do.
        start.Environment["FriendAdds__Enabled"] = "false";
        // One server for many tests, all from 127.0.0.1 with the same demo accounts: the sign-in and public-page limits stay
        // on but out of reach (their own tests set them low).
        foreach (var rule in new[] { "SignInPerAddress", "SignInPerAccount", "BearerFailuresPerAddress", "PublicPerAddress", "PublicPerPerson" })
            start.Environment[$"Security__RateLimits__{rule}__PermitLimit"] = "100000000";
        WeCom = await Shequn.Fakes.WeCom.FakeWeComServer.StartAsync();
        start.Environment["WeCom__ApiBaseUrl"] = WeCom.BaseUrl;
        start.Environment["Telegram__ApiBaseUrl"] = Telegram.BaseUrl;
        start.Environment["Telegram__PublicBaseUrl"] = BaseUrl;
        _app = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + dll);
        _app.OutputDataReceived += (_, e) => OnOutput(e.Data);
        _app.ErrorDataReceived += (_, e) => OnOutput(e.Data);
        _app.BeginOutputReadLine();
        _app.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(StartTimeout);
        var exited = _app.WaitForExitAsync(timeout.Token);
        if (await Task.WhenAny(_printed.Task, exited, Task.Delay(Timeout.Infinite, timeout.Token)) != _printed.Task)
            throw new InvalidOperationException($"The app did not print the demo sign-in (exited: {_app.HasExited}):\n{Output}");

        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health", timeout.Token)).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException) { }
            // The first answer can take longer than the client's 5 s on a loaded machine: ask again until StartTimeout.
            catch (TaskCanceledException) when (!timeout.IsCancellationRequested) { }
            if (_app.HasExited)
                throw new InvalidOperationException("The app exited before /health answered:\n" + Output);
            await Task.Delay(200, timeout.Token);
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
        if (Printed().Match(line) is { Success: true } m)
        {
            var value = m.Groups["value"].Value;
            switch (m.Groups["label"].Value)
            {
                case "sign in": OwnerEmail = value; break;
                case "password": OwnerPassword = value; break;
                case "API token": ApiToken = value; break;
            }
        }
        else if (StaffPasswordLine().Match(line) is { Success: true } s)
        {
            StaffPassword = s.Groups["value"].Value;
        }
        if (OwnerEmail.Length > 0 && OwnerPassword.Length > 0 && ApiToken.Length > 0 && StaffPassword.Length > 0)
            _printed.TrySetResult();
    }

    /// <summary>The app as built (its static web assets manifest sits next to it), or next to this assembly.</summary>
    private static string FindAppDll()
    {
        if (Environment.GetEnvironmentVariable("SHEQUN_APP_DLL") is { Length: > 0 } configured)
            return configured;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release" : "Debug";
        string[] candidates =
        [
            Path.Combine(RepoRoot, "src", "Shequn", "bin", configuration, "net10.0", "Shequn.dll"),
            Path.Combine(AppContext.BaseDirectory, "Shequn.dll"),
        ];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Shequn.dll not found; build first. Looked in: " + string.Join(", ", candidates));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Shequn.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root (Shequn.slnx) not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\s+(?<label>sign in|password|API token):\s+(?<value>\S+)\s*$")]
    private static partial Regex Printed();

    [GeneratedRegex(@"other staff.*\(password (?<value>\S+)\):")]
    private static partial Regex StaffPasswordLine();
}
