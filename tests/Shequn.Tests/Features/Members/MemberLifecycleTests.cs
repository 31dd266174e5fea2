using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Members;

public sealed class MemberStageRulesTests
{
    private static readonly DateTime Now = new(2026, 6, 30, 12, 0, 0, DateTimeKind.Utc);
    private static readonly LifecycleThresholds Days = LifecycleThresholds.Default;

    private static MemberStage Stage(int? firstJoinedDaysAgo, int? insideSinceDaysAgo, int? spokeDaysAgo, int createdDaysAgo = 100) =>
        MemberLifecycle.StageOf(new MemberHistory(
            Now.AddDays(-createdDaysAgo),
            firstJoinedDaysAgo is { } f ? Now.AddDays(-f) : null,
            insideSinceDaysAgo is { } i ? Now.AddDays(-i) : null,
            spokeDaysAgo is { } s ? Now.AddDays(-s) : null), Days, Now);

    [Fact]
    public void NewForAWeekAfterTheFirstJoin_EvenWithoutSpeaking()
    {
        Assert.Equal(MemberStage.New, Stage(3, 3, null));
        Assert.Equal(MemberStage.New, Stage(7, 7, null));
        Assert.Equal(MemberStage.Active, Stage(8, 8, null));
    }

    [Fact]
    public void SilentAfterTwoQuietWeeks_ChurnedAfterThirty()
    {
        Assert.Equal(MemberStage.Active, Stage(60, 60, 13));
        Assert.Equal(MemberStage.Silent, Stage(60, 60, 14));
        Assert.Equal(MemberStage.Silent, Stage(60, 60, 29));
        Assert.Equal(MemberStage.Churned, Stage(60, 60, 30));
        Assert.Equal(MemberStage.Churned, Stage(60, 60, null));
    }

    [Fact]
    public void RejoiningCountsAsShowingLife()
    {
        // Quiet for 40 days, but back in a group 2 days ago: not churned.
        Assert.Equal(MemberStage.Active, Stage(90, 2, 40));
    }

    [Fact]
    public void LeavingEveryGroupIsChurn_WhateverTheSpeaking()
    {
        Assert.Equal(MemberStage.Churned, Stage(60, null, 1));
        Assert.Equal(MemberStage.Churned, Stage(2, null, null));
    }

    [Fact]
    public void AMemberNeverInAGroup_CountsFromWhenAdded()
    {
        Assert.Equal(MemberStage.New, Stage(null, null, null, createdDaysAgo: 2));
        Assert.Equal(MemberStage.Silent, Stage(null, null, null, createdDaysAgo: 20));
        Assert.Equal(MemberStage.Churned, Stage(null, null, null, createdDaysAgo: 40));
    }

    [Fact]
    public void Thresholds_AreValidatedWithTheFieldNamed()
    {
        var validation = new Validation();
        new LifecycleThresholds(0, 30, 30).Validate(validation, "lifecycle");
        Assert.Contains("lifecycle.newDays", validation.Errors.Keys);
        validation = new Validation();
        new LifecycleThresholds(7, 30, 30).Validate(validation, "lifecycle");
        Assert.Equal(["lifecycle.churnDays"], validation.Errors.Keys);
        validation = new Validation();
        new LifecycleThresholds(7, 14, 30).Validate(validation, "lifecycle");
        Assert.True(validation.IsValid);
    }
}

/// <summary>Stages computed from what happened in the groups, read and filtered through the API.</summary>
public abstract class MemberLifecycleApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, object?> Event(Guid community, string id, string kind, string user, string name, int daysAgo) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = kind, ["occurredAt"] = DateTimeOffset.UtcNow.AddDays(-daysAgo), ["communityId"] = community,
        ["user"] = new { id = user, name },
        ["message"] = kind == "messagePosted" ? new { id = "m-" + id, kind = "text", text = "你好" } : null,
    };

    private async Task<TestWorkspace> FiveMembersAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("生命周期群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        await (await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Event(community, "a", "memberJoined", "u-ann", "Ann", 3),
            Event(community, "b", "memberJoined", "u-bob", "Bob", 20),
            Event(community, "b1", "messagePosted", "u-bob", "Bob", 2),
            Event(community, "c", "memberJoined", "u-cid", "Cid", 20),
            Event(community, "c1", "messagePosted", "u-cid", "Cid", 16),
            Event(community, "d", "memberJoined", "u-dan", "Dan", 40),
            Event(community, "e", "memberJoined", "u-eve", "Eve", 20),
            Event(community, "e1", "messagePosted", "u-eve", "Eve", 2),
            Event(community, "e2", "memberLeft", "u-eve", "Eve", 1),
        })).ReadAsync<IngestResponse>();
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        return ws;
    }

    private async Task ComputeAsync() => Assert.NotNull(await factory.Services.GetRequiredService<MemberLifecycle>().RunAsync(force: true, Ct));

    private static async Task<List<string>> NamesAsync(TestStaff staff, string stage) =>
        [.. (await staff.Api.GetJsonAsync<Page<MemberListItem>>($"/api/members?stage={stage}&sort=name")).Items.Select(m => m.DisplayName)];

    [Fact]
    public async Task Stages_FollowJoinsLeavesAndSpeaking_AndFilterTheList()
    {
        var ws = await FiveMembersAsync();
        await ComputeAsync();

        Assert.Equal(["Ann"], await NamesAsync(ws.Owner, "new"));
        Assert.Equal(["Bob"], await NamesAsync(ws.Owner, "active"));
        Assert.Equal(["Cid"], await NamesAsync(ws.Owner, "silent"));
        Assert.Equal(["Dan", "Eve"], await NamesAsync(ws.Owner, "churned"));
        var list = await ws.Owner.Api.GetJsonAsync<Page<MemberListItem>>("/api/members?sort=name");
        Assert.Equal([MemberStage.New, MemberStage.Active, MemberStage.Silent, MemberStage.Churned, MemberStage.Churned], list.Items.Select(m => m.Stage));
        var cid = await ws.Owner.Api.GetJsonAsync<MemberDto>($"/api/members/{list.Items[2].Id}");
        Assert.Equal(MemberStage.Silent, cid.Stage);
        Assert.NotNull(cid.StageChangedAt);
    }

    [Fact]
    public async Task NewThresholds_ApplyAtTheNextComputation()
    {
        var ws = await FiveMembersAsync();
        await ComputeAsync();
        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { lifecycle = new { newDays = 7, silentDays = 20, churnDays = 45 } })).ReadAsync<WorkspaceDto>();
        Assert.Equal(new LifecycleThresholds(7, 20, 45), saved.Lifecycle);
        Assert.Equal("Asia/Shanghai", saved.TimeZone); // left out: unchanged

        await ComputeAsync();
        Assert.Equal(["Bob", "Cid"], await NamesAsync(ws.Owner, "active"));
        Assert.Equal(["Dan"], await NamesAsync(ws.Owner, "silent"));
        Assert.Equal(["Eve"], await NamesAsync(ws.Owner, "churned"));
    }

    [Fact]
    public async Task BadThresholdsOrStage_Are400WithTheFieldNamed_AndNothingChanges()
    {
        var ws = await factory.NewWorkspaceAsync();
        var response = await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = "Europe/Berlin", lifecycle = new { newDays = 7, silentDays = 30, churnDays = 30 } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors");
        Assert.True(problem.TryGetProperty("lifecycle.churnDays", out _));
        var now = await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace");
        Assert.Equal(("Asia/Shanghai", LifecycleThresholds.Default), (now.TimeZone, now.Lifecycle));

        var list = await ws.Owner.Api.GetAsync("/api/members?stage=sleeping", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, list.StatusCode);
        Assert.Contains("stage", await list.Content.ReadAsStringAsync(Ct));
    }
}

public sealed class MemberLifecycleApiTests_Sqlite(SqliteFactory factory) : MemberLifecycleApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class MemberLifecycleApiTests_Postgres(PostgresFactory factory) : MemberLifecycleApiTests(factory), IClassFixture<PostgresFactory>;

/// <summary>One of two app hosts on one PostgreSQL database.</summary>
public sealed class LifecycleSharedHost(string database, string keySecret) : ShequnFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Both nodes read the one key ring in the database (ADR-007): they share its key-encryption secret.
        builder.UseSetting("DataProtection:KeyEncryptionSecret", keySecret);
    }

    public override DatabaseProvider Provider => DatabaseProvider.Postgres;

    public override string? Unavailable => new PostgresFactory().Unavailable;

    protected override string ConnectionString =>
        new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("SHEQUN_TEST_PG") ?? "Host=127.0.0.1") { Database = database }.ConnectionString;
}

public sealed class MemberLifecycleTwoHostsTests
{
    [Fact]
    public async Task TwoHosts_ComputeOncePerInterval_Between_Them()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = "shequn_life2_" + Guid.NewGuid().ToString("N")[..12];
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var first = new LifecycleSharedHost(database, secret);
        var second = new LifecycleSharedHost(database, secret);
        try
        {
            var ws = await first.NewWorkspaceAsync();
            await MemberTestData.MemberAsync(ws.Owner, "Ann");
            var a = first.Services.GetRequiredService<MemberLifecycle>();
            var b = second.Services.GetRequiredService<MemberLifecycle>();

            var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).RunAsync(force: false, ct)));

            // Exactly one computed (the checkpoint is leased while it runs, and says when it last finished); the rest found it done.
            Assert.Single(runs, r => r is not null);
            Assert.Null(await b.RunAsync(force: false, ct));
            Assert.NotNull(await b.RunAsync(force: true, ct));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }
}
