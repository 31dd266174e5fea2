using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Features.Demo;

namespace Shequn.Tests.Features.Demo;

/// <summary>The "try: curl …" line of --demo names the address the app was told to use (or listens on).</summary>
public class DemoAddressTests
{
    private sealed class ListeningServer(params string[] addresses) : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }

        public ListeningServer Listening()
        {
            var feature = new ServerAddressesFeature();
            foreach (var a in addresses)
                feature.Addresses.Add(a);
            Features.Set<IServerAddressesFeature>(feature);
            return this;
        }
    }

    private static ServiceProvider Services(string? urls, IServer? server = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = urls }).Build());
        if (server is not null)
            services.AddSingleton(server);
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("http://127.0.0.1:5391", "http://127.0.0.1:5391")]
    [InlineData("http://0.0.0.0:8080;https://0.0.0.0:8443", "http://localhost:8080")]
    [InlineData("http://*:7000", "http://localhost:7000")]
    [InlineData(null, "http://localhost:5000")]
    public void ApiAddress_ConfiguredUrls_NamesTheFirst(string? urls, string expected) =>
        Assert.Equal(expected, DemoWorkspace.ApiAddress(Services(urls)));

    [Fact]
    public void ApiAddress_ServerListening_NamesWhereItListens() =>
        Assert.Equal("http://127.0.0.1:45123", DemoWorkspace.ApiAddress(Services("http://127.0.0.1:0", new ListeningServer("http://127.0.0.1:45123").Listening())));
}
