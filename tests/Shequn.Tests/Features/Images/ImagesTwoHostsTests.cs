using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Images;
using Shequn.Features.Sandbox;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using SkiaSharp;

namespace Shequn.Tests.Features.Images;

/// <summary>One of two app hosts on one PostgreSQL database, both running the image inspector.</summary>
public sealed class ImagesSharedHost(string database, string keySecret, TimeSpan lease) : ShequnFactory
{
    internal static readonly string? PgServer = Environment.GetEnvironmentVariable("SHEQUN_TEST_PG");

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string? Unavailable => new PostgresFactory().Unavailable;

    protected override string ConnectionString => new NpgsqlConnectionStringBuilder(PgServer ?? "Host=127.0.0.1") { Database = database }.ConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("DataProtection:KeyEncryptionSecret", keySecret);
        builder.UseSetting("Images:Lease", lease.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Images:PollInterval", "00:00:00.050");
    }
}

public sealed class ImagesTwoHostsTests
{
    /// <summary>
    /// With the usual lease one host does the work; with a lease that runs out at once both hosts inspect side by side,
    /// and the inspection's id (from the image message's sequence number) still lets only one event per image in.
    /// </summary>
    [Theory]
    [InlineData(60_000)]
    [InlineData(1)]
    public async Task Two_hosts_append_exactly_one_inspection_per_image(int leaseMilliseconds)
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_img2_" + Guid.NewGuid().ToString("N")[..12];
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var lease = TimeSpan.FromMilliseconds(leaseMilliseconds);
        var first = new ImagesSharedHost(database, secret, lease);
        var second = new ImagesSharedHost(database, secret, lease);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            _ = second.Services; // both hosts run their inspectors from now on
            var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("两台机器", "sandbox"))).ReadAsync<CommunityDto>()).Id;
            var images = new[]
            {
                TestImages.QrPng(TestImages.WeChatPersonal),
                TestImages.Photo(600, 400, SKEncodedImageFormat.Jpeg),
                [1, 2, 3, 4, 5],
                TestImages.QrPng(TestImages.WeChatGroup),
            };
            const int Count = 24;
            var posted = new List<(string MessageId, int Image)>();
            for (var i = 0; i < Count; i++)
            {
                // Posted through either host, so both hosts' ingestors write image messages too.
                var host = i % 2 == 0 ? first : second;
                await using var scope = host.Services.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
                var e = await scope.ServiceProvider.GetRequiredService<SandboxChat>()
                    .PostImageAsync(community, "sbx-" + (i % 3), "成员" + (i % 3), "i.png", "image/png", images[i % images.Length], null, false, ct);
                posted.Add((e!.MessageId!, i % images.Length));
            }

            await first.Services.GetRequiredService<ImageInspector>().WaitUntilCaughtUpAsync(first.Services.GetRequiredService<EventProcessor>(), ct);
            await Task.Delay(500, ct); // time for a second inspection to slip in, were that possible

            await using var check = first.Services.CreateAsyncScope();
            var db = check.ServiceProvider.GetRequiredService<AppDbContext>();
            var inspections = await db.Set<CommunityEvent>().AsNoTracking()
                .Where(e => e.WorkspaceId == ws.Id && e.Kind == EventKind.MessageInspected).ToListAsync(ct);
            Assert.Equal(Count, inspections.Count);
            var byMessage = inspections.ToDictionary(e => e.MessageId!);
            foreach (var (messageId, image) in posted)
            {
                var text = byMessage[messageId].Text;
                Assert.Equal(image switch { 0 => TestImages.WeChatPersonal, 3 => TestImages.WeChatGroup, _ => "" }, text);
            }
            var checkpoint = await db.Set<EventCheckpoint>().AsNoTracking().SingleAsync(c => c.Name == ImageInspector.CheckpointName, ct);
            Assert.True(checkpoint.Seq >= (await db.Set<CommunityEvent>().Where(e => e.MediaId != null && e.Kind == EventKind.MessagePosted).MaxAsync(e => e.Seq, ct)));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            if (ImagesSharedHost.PgServer is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var conn = new NpgsqlConnection(ImagesSharedHost.PgServer);
                await conn.OpenAsync(ct);
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }
}
