using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Shequn.Platform;

namespace Shequn.Tests.Platform;

/// <summary>
/// The app as a user starts it, <c>dotnet run --project src/Shequn</c> typed in some other directory: relative paths
/// and the default ./data mean that directory, and the terminal is not flooded with the framework's request logs.
/// </summary>
public sealed class CommandLineProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly string _shell = Directory.CreateTempSubdirectory("shequn-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_shell, recursive: true); } catch (IOException) { }
    }

    private static string RepoRoot { get; } = FindRepoRoot();

    /// <summary><c>dotnet run --project …/src/Shequn --no-build -- ARGS</c> started in the test's own directory.</summary>
    private Process DotnetRun(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _shell,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["run", "--project", Path.Combine(RepoRoot, "src", "Shequn"), "--no-build", "-c", Infrastructure.BuildOutput.Configuration, "--", .. args])
            start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment.Remove("Logging__LogLevel__Default");
        return Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet run");
    }

    [Fact]
    public async Task ModerationEval_RelativePath_IsReadFromTheDirectoryTheCommandRunsIn()
    {
        var csv = new StringBuilder("target,input\n");
        for (var i = 0; i < 10; i++)
            csv.Append(LabelledRows(i)).Append('\n');
        await File.WriteAllTextAsync(Path.Combine(_shell, "labelled.csv"), csv.ToString(), TestContext.Current.CancellationToken);

        using var run = DotnetRun("moderation", "eval", "--labelled", "labelled.csv", "--folds", "2");
        using var timeout = new CancellationTokenSource(Timeout);
        var output = await run.StandardOutput.ReadToEndAsync(timeout.Token) + await run.StandardError.ReadToEndAsync(timeout.Token);
        await run.WaitForExitAsync(timeout.Token);

        Assert.True(run.ExitCode == 0, output);
        Assert.Contains("on 20 messages from ", output, StringComparison.Ordinal);
        Assert.Contains("labelled.csv", output, StringComparison.Ordinal);
    }

    private static string LabelledRows(int i) => $"1,加微信 sx{i}1505 看片 兼职日结\n0,明天早上{i}点一起吃饭吧";

    [Fact]
    public async Task Serve_DefaultDataDirectoryAndLogs_AreTheShellsAndQuiet()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var output = new StringBuilder();
        var listening = new TaskCompletionSource();
        using var app = DotnetRun("--urls", url);
        void Read(string? line)
        {
            if (line is null)
                return;
            lock (output)
                output.AppendLine(line);
            if (line.Contains("Now listening on", StringComparison.Ordinal))
                listening.TrySetResult();
        }
        app.OutputDataReceived += (_, e) => Read(e.Data);
        app.ErrorDataReceived += (_, e) => Read(e.Data);
        app.BeginOutputReadLine();
        app.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await listening.Task.WaitAsync(timeout.Token);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health", timeout.Token)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/docs/", timeout.Token)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/communities", timeout.Token)).StatusCode);
            // A body sent without a length (chunked) is cut off by Kestrel at its endpoint's limit, here an anonymous H5 form's.
            using var chunked = new HttpRequestMessage(HttpMethod.Post, "/c/no-such-campaign/phone") { Content = new UnsizedJson(BodyLimits.Anonymous + 16 * 1024) };
            chunked.Headers.TransferEncodingChunked = true;
            using var tooLarge = await http.SendAsync(chunked, timeout.Token);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            await Task.Delay(500, timeout.Token); // lets the console logger flush what the requests wrote
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync(CancellationToken.None);
        }

        string text;
        lock (output)
            text = output.ToString();
        Assert.True(File.Exists(Path.Combine(_shell, "data", "shequn.db")), text);
        Assert.Contains("info: Microsoft.Hosting.Lifetime", text, StringComparison.Ordinal);
        Assert.DoesNotContain("info: Microsoft.AspNetCore", text, StringComparison.Ordinal);
        Assert.DoesNotContain("info: Microsoft.EntityFrameworkCore", text, StringComparison.Ordinal);
    }

    /// <summary>A JSON object whose one string is <paramref name="length"/> bytes long, sent without a declared length.</summary>
    private sealed class UnsizedJson : HttpContent
    {
        private readonly long _length;

        public UnsizedJson(long length)
        {
            _length = length;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("{\"phone\":\""u8.ToArray());
            var chunk = Encoding.ASCII.GetBytes(new string('1', 4096));
            for (var left = _length; left > 0; left -= chunk.Length)
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
            await stream.WriteAsync("\"}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long size)
        {
            size = 0;
            return false;
        }
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
}
