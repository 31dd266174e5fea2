using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Advisor;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Imports;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Workspaces;

public abstract class WorkspaceApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task CaughtUpAsync() => factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

    [Fact]
    public async Task Get_NewWorkspace_ShanghaiWithTheTimeThereInIso8601()
    {
        var ws = await factory.NewWorkspaceAsync();

        using var body = JsonDocument.Parse(await ws.Owner.Api.GetStringAsync("/api/workspace", Ct));

        Assert.Equal(Workspace.DefaultTimeZone, body.RootElement.GetProperty("timeZone").GetString());
        Assert.EndsWith("+08:00", body.RootElement.GetProperty("now").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_OwnerNamesAnIanaZone_SavedAndAudited()
    {
        var ws = await factory.NewWorkspaceAsync();

        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = "Europe/Berlin" })).ReadAsync<WorkspaceDto>();

        Assert.Equal("Europe/Berlin", saved.TimeZone);
        Assert.Equal("Europe/Berlin", (await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).TimeZone);
        var audit = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit");
        var entry = Assert.Single(audit.Items, e => e.EntityType == nameof(Workspace));
        var change = Assert.Single(entry.Changes);
        Assert.Equal((Workspace.DefaultTimeZone, "Europe/Berlin"), (AuditChange.Display(change.Before), AuditChange.Display(change.After)));
    }

    [Fact]
    public async Task Put_SameZoneAgain_NoAuditEntry()
    {
        var ws = await factory.NewWorkspaceAsync();

        await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = Workspace.DefaultTimeZone })).ReadAsync<WorkspaceDto>();

        var audit = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit");
        Assert.DoesNotContain(audit.Items, e => e.EntityType == nameof(Workspace));
    }

    [Fact]
    public async Task Language_ChineseByDefault_TheOwnerSetsEnglish_AuditedOnce_AndOnlyTheOwner()
    {
        var ws = await factory.NewWorkspaceAsync();
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner);
        Assert.Equal("zh-CN", (await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).Language);

        Assert.Equal(HttpStatusCode.Forbidden, (await subOwner.Api.PutJsonAsync("/api/workspace", new { language = "en" })).StatusCode);
        var errors = await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "fr" })).ReadValidationErrorsAsync();
        Assert.Equal(["language"], errors.Keys);
        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "EN" })).ReadAsync<WorkspaceDto>();
        Assert.Equal(("en", Workspace.DefaultTimeZone), (saved.Language, saved.TimeZone));
        // Saving the same language again (or leaving it out) changes nothing and writes no second entry.
        Assert.Equal("en", (await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "en" })).ReadAsync<WorkspaceDto>()).Language);
        Assert.Equal("en", (await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = Workspace.DefaultTimeZone })).ReadAsync<WorkspaceDto>()).Language);
        Assert.Equal("en", (await subOwner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).Language);

        var audit = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit");
        var entry = Assert.Single(audit.Items, e => e.EntityType == nameof(Workspace));
        var change = Assert.Single(entry.Changes);
        Assert.Equal(("zh-CN", "en"), (AuditChange.Display(change.Before), AuditChange.Display(change.After)));
        // Back to Chinese with the short spelling.
        Assert.Equal("zh-CN", (await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "zh" })).ReadAsync<WorkspaceDto>()).Language);
    }

    [Fact]
    public async Task AdvisorThresholds_TheSeedsByDefault_TheOwnerSetsThem_AllOrNothing_Audited()
    {
        var ws = await factory.NewWorkspaceAsync();
        Assert.Equal(AdvisorThresholds.Default, (await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).Advisor);
        Assert.Equal((350, 4, 30, 3, 20, 2.0), (AdvisorThresholds.Default.MaxMembers, AdvisorThresholds.Default.MaxSubOwnerCommunities,
            AdvisorThresholds.Default.SilentDays, AdvisorThresholds.Default.NoContentDays, AdvisorThresholds.Default.ResponseDropPoints,
            AdvisorThresholds.Default.ChannelCostRatio));

        // Two numbers out of range and a time zone that is fine: each bad number named with its range, nothing saved.
        var bad = await ws.Owner.Api.PutJsonAsync("/api/workspace", new
        {
            timeZone = "Europe/Berlin",
            advisor = new { maxMembers = 1, maxSubOwnerCommunities = 4, silentDays = 30, noContentDays = 3, responseDropPoints = 20, channelCostRatio = 20.0 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync(Ct);
        Assert.Contains("'advisor.maxMembers' must be between 2 and 200000 members (got 1)", problem, StringComparison.Ordinal);
        var errors = await bad.ReadValidationErrorsAsync();
        Assert.Equal(["advisor.channelCostRatio", "advisor.maxMembers"], errors.Keys.Order());
        var unchanged = await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace");
        Assert.Equal((Workspace.DefaultTimeZone, AdvisorThresholds.Default), (unchanged.TimeZone, unchanged.Advisor));

        var mine = new AdvisorThresholds(480, 6, 45, 4, 15, 3.5);
        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { advisor = mine })).ReadAsync<WorkspaceDto>();
        Assert.Equal(mine, saved.Advisor);
        Assert.Equal(mine, (await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).Advisor);
        // Leaving them out keeps them; a sub-owner may not set them.
        Assert.Equal(mine, (await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { language = "en" })).ReadAsync<WorkspaceDto>()).Advisor);
        var subOwner = await ws.AddStaffAsync(StaffRole.SubOwner);
        Assert.Equal(HttpStatusCode.Forbidden, (await subOwner.Api.PutJsonAsync("/api/workspace", new { advisor = AdvisorThresholds.Default })).StatusCode);

        var audit = await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>("/api/audit");
        Assert.Contains(audit.Items, e => e.EntityType == nameof(Workspace) && e.Changes.Any(c => c.Field == "Advisor"));
    }

    [Theory]
    [InlineData("Mars/Olympus")]
    [InlineData("China Standard Time")]
    [InlineData("")]
    public async Task Put_UnknownZone_ValidationProblemOnTimeZone(string zone)
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = zone })).ReadValidationErrorsAsync();

        Assert.Contains("timeZone", errors.Keys);
        Assert.Equal(Workspace.DefaultTimeZone, (await ws.Owner.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).TimeZone);
    }

    [Theory]
    [InlineData(StaffRole.SubOwner)]
    [InlineData(StaffRole.Operator)]
    public async Task Put_NotTheOwner_Returns403AndReadsStillWork(StaffRole role)
    {
        var ws = await factory.NewWorkspaceAsync();
        var staff = await ws.AddStaffAsync(role);

        var response = await staff.Api.PutJsonAsync("/api/workspace", new { timeZone = "Europe/Berlin" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(Workspace.DefaultTimeZone, (await staff.Api.GetJsonAsync<WorkspaceDto>("/api/workspace")).TimeZone);
    }

    [Fact]
    public async Task Figures_ZoneChanged_EventsProcessedAfterwardsCountInTheNewZonesDays()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("时区群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        // 2026-03-02 03:00 UTC: Monday 11:00 in Shanghai, but still Sunday 22:00 in New York.
        var at = new DateTimeOffset(2026, 3, 2, 3, 0, 0, TimeSpan.Zero);
        await (await ws.Owner.Api.PostJsonAsync("/api/events", Message(community, "before", "u1", at))).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = "America/New_York" })).ReadAsync<WorkspaceDto>();
        await (await ws.Owner.Api.PostJsonAsync("/api/events", Message(community, "after", "u1", at))).ReadAsync<IngestResponse>();
        await CaughtUpAsync();

        var figures = await ws.Owner.Api.GetJsonAsync<CommunityFiguresDto>($"/api/communities/{community}/figures?from=2026-03-01&to=2026-03-02");
        Assert.Equal("America/New_York", figures.TimeZone);
        // The first message was counted on Shanghai's Monday and stays there; the second on New York's Sunday.
        Assert.Equal([1, 1], figures.Days.Select(d => d.Messages));
        Assert.All(figures.Days, d => Assert.True(d.Complete));
    }

    [Fact]
    public async Task Import_TimesWithoutOffset_ReadInTheWorkspacesZone()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("导入时区群", "manual"))).ReadAsync<CommunityDto>()).Id;
        await (await ws.Owner.Api.PutJsonAsync("/api/workspace", new { timeZone = "Europe/Berlin" })).ReadAsync<WorkspaceDto>();
        const string csv = "time,event,user_id,user_name,text,kind,staff,channel\n2026-07-01 09:00:00,message,wx_a,阿A,早,,,\n";

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            var importer = scope.ServiceProvider.GetRequiredService<ChatImporter>();
            var target = await importer.FindCommunityAsync(community, Ct);
            var result = await importer.ImportAsync(target!, ChatImportFormat.Csv, new MemoryStream(Encoding.UTF8.GetBytes(csv)), null, null, Ct);
            Assert.Equal(1, result.Accepted);
        }
        await CaughtUpAsync();

        await using var read = factory.Services.CreateAsyncScope();
        var events = read.ServiceProvider.GetRequiredService<AppDbContext>();
        var at = await events.Set<CommunityEvent>().Where(e => e.WorkspaceId == ws.Id).Select(e => e.OccurredAt).SingleAsync(Ct);
        // 09:00 in Berlin in summer (UTC+2), not 09:00 in Shanghai.
        Assert.Equal(new DateTime(2026, 7, 1, 7, 0, 0, DateTimeKind.Utc), at);
    }

    [Fact]
    public async Task Figures_DefaultRange_TodayIsLastAndMarkedIncomplete()
    {
        var ws = await factory.NewWorkspaceAsync();

        var raw = await ws.Owner.Api.GetStringAsync("/api/figures", Ct);
        var figures = JsonSerializer.Deserialize<CommunityFiguresDto>(raw, Json.Options)!;

        var today = DailyFigures.DayOf(DateTime.UtcNow, WorkspaceZones.Default);
        Assert.Equal(today, figures.To);
        Assert.False(figures.Days[^1].Complete);
        Assert.All(figures.Days.SkipLast(1), d => Assert.True(d.Complete));
        using var doc = JsonDocument.Parse(raw);
        Assert.EndsWith("+08:00", doc.RootElement.GetProperty("asOf").GetString(), StringComparison.Ordinal);
    }
}

public sealed class WorkspaceApiTests_Sqlite(SqliteFactory factory) : WorkspaceApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class WorkspaceApiTests_Postgres(PostgresFactory factory) : WorkspaceApiTests(factory), IClassFixture<PostgresFactory>;
