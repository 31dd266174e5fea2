using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Audit;
using Shequn.Features.Moderation;
using Shequn.Platform.Api;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Moderation;

/// <summary>
/// Settings that outlive the process and reach every node: stored models, stamps, domains and the workspace's own
/// patterns, and the audit rows of every change.
/// </summary>
public abstract class ModerationSettingsTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A clock the test moves by hand, so that "later" needs no sleeping.</summary>
    private sealed class ManualTime : TimeProvider
    {
        public long Ticks { get; set; } = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    /// <summary>Another node: its own engines over the same database, acting for the workspace.</summary>
    private async Task<ModerationEngine> OtherNodeEngineAsync(ModerationEngines engines, Guid workspace)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(workspace);
        return await engines.ForWorkspaceAsync(db, Ct);
    }

    private static async Task<ModelDto> WaitForModelAsync(TestStaff staff)
    {
        for (var waited = 0; waited < 300; waited++)
        {
            var response = await staff.Api.GetAsync("/api/moderation/model", Ct);
            if (response.StatusCode == HttpStatusCode.OK && await response.ReadAsync<ModelDto>() is { Training: false } model)
                return model;
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException("No model after 30 s.");
    }

    [Fact]
    public async Task TrainedModel_IsStored_AndAnotherNodeLoadsIt()
    {
        var ws = await factory.NewWorkspaceAsync();
        await ws.Owner.Api.PostJsonAsync("/api/moderation/labels/import", new { text = LabelledFixture.Csv() });
        Assert.Equal(HttpStatusCode.Accepted, (await ws.Owner.Api.PostAsync("/api/moderation/train", null, Ct)).StatusCode);
        var trained = await WaitForModelAsync(ws.Owner);
        var here = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { text = "加微sx111505 看片" })).ReadAsync<CheckResultDto>();

        // A node that never trained (or this one after a restart) starts from the stored model.
        ModerationEngine restarted = null!;
        for (var i = 0; i < 50 && restarted?.Snapshot.Model is null; i++)
        {
            restarted = await OtherNodeEngineAsync(new ModerationEngines(TimeProvider.System), ws.Id);
            if (restarted.Snapshot.Model is null)
                await Task.Delay(100, Ct);
        }

        Assert.NotNull(restarted.Snapshot.Model);
        Assert.Equal(trained.TrainingExamples, restarted.Snapshot.Model.Metrics.TrainingExamples);
        Assert.Equal(here.ModelScore!.Value, Math.Round(restarted.Check("加微sx111505 看片").ModelScore!.Value, CheckResultDto.Decimals), 6);
    }

    [Fact]
    public async Task StoredModelOfAnOlderFormat_IsRefused_AndRetrainedFromTheLabels()
    {
        var ws = await factory.NewWorkspaceAsync();
        await ws.Owner.Api.PostJsonAsync("/api/moderation/labels/import", new { text = LabelledFixture.Csv() });
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.Current.ActAsSystem(ws.Id);
            using var compressed = new MemoryStream();
            await using (var brotli = new System.IO.Compression.BrotliStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
                await brotli.WriteAsync(SpamModelFormatTests.FirstFormatModel(), Ct);
            db.Add(new StoredSpamModel { WorkspaceId = ws.Id, Weights = compressed.ToArray(), TrainingExamples = 100, TrainedAt = DateTime.UtcNow });
            await db.SaveChangesAsync(Ct);
        }

        // A node starting with the old model scores with the rules alone (no failure), and retrains in the background.
        var engines = ActivatorUtilities.CreateInstance<ModerationEngines>(factory.Services, TimeProvider.System);
        var engine = await OtherNodeEngineAsync(engines, ws.Id);
        Assert.NotNull(engine.Check("加微sx111505 看片"));
        for (var i = 0; i < 300 && (engines.IsTraining(ws.Id) || engine.Snapshot.Model is null); i++)
            await Task.Delay(100, Ct);

        Assert.NotNull(engine.Snapshot.Model);
        Assert.Equal(LabelledFixture.All.Count, engine.Snapshot.Model.Metrics.TrainingExamples);
        // The new model is stored: another node loads it instead of refusing again.
        ModerationEngine restarted = null!;
        for (var i = 0; i < 50 && restarted?.Snapshot.Model is null; i++)
        {
            restarted = await OtherNodeEngineAsync(new ModerationEngines(TimeProvider.System), ws.Id);
            if (restarted.Snapshot.Model is null)
                await Task.Delay(100, Ct);
        }
        Assert.Equal(LabelledFixture.All.Count, restarted.Snapshot.Model!.Metrics.TrainingExamples);
    }

    [Fact]
    public async Task ListChange_OnOneNode_ReachesAnotherAfterTheRefreshInterval()
    {
        var ws = await factory.NewWorkspaceAsync();
        var list = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/lists", new { name = "广告", category = "ads", weight = 0.6 })).ReadAsync<WordListDto>();
        var clock = new ManualTime();
        var otherNode = new ModerationEngines(clock);
        Assert.Empty((await OtherNodeEngineAsync(otherNode, ws.Id)).Check("专业代刷信誉").Evidence);

        await ws.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/terms", new { term = "代刷" });
        var beforeInterval = (await OtherNodeEngineAsync(otherNode, ws.Id)).Check("专业代刷信誉").Evidence;
        clock.Ticks += ModerationEngines.RefreshInterval.Ticks;
        var afterInterval = (await OtherNodeEngineAsync(otherNode, ws.Id)).Check("专业代刷信誉").Evidence;

        Assert.Empty(beforeInterval);
        Assert.Equal("代刷", Assert.Single(afterInterval).Term);
    }

    [Fact]
    public async Task Settings_DeniedDomainAndOwnPattern_ShapeTheScore()
    {
        var ws = await factory.NewWorkspaceAsync();

        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new
        {
            deniedDomains = new[] { "Spam-Shop.example" },
            allowedDomains = new[] { "brand.example" },
            customPatterns = new[] { new { name = "暗号", pattern = "蓝色\\d{3}", weight = 0.7 } },
            reviewThreshold = 0.4,
            actThreshold = 0.8,
        })).ReadAsync<PolicyDto>();
        var denied = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { text = "点 https://m.spam-shop.example/x 领券" })).ReadAsync<CheckResultDto>();
        var allowed = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { text = "活动见 https://brand.example/sale" })).ReadAsync<CheckResultDto>();
        var own = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { text = "暗号 蓝色５２０" })).ReadAsync<CheckResultDto>();

        Assert.Equal(["spam-shop.example"], saved.DeniedDomains);
        Assert.Equal((0.4, 0.8), (saved.ReviewThreshold, saved.ActThreshold));
        Assert.Contains(denied.Evidence, e => e.Rule == nameof(PatternKind.DeniedDomain));
        Assert.Equal(ModerationDecision.Act, denied.Decision);
        Assert.DoesNotContain(allowed.Evidence, e => e.Rule is nameof(PatternKind.Url) or nameof(PatternKind.DeniedDomain));
        Assert.Contains(own.Evidence, e => e.Rule == "custom:暗号" && e.Term == "蓝色５２０");
        Assert.Equal(ModerationDecision.Review, own.Decision);
    }

    [Fact]
    public async Task Settings_PathologicalPatternOrBadThresholds_AreRefusedAndNothingIsSaved()
    {
        var ws = await factory.NewWorkspaceAsync();
        await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new { deniedDomains = new[] { "a.example" } });

        var errors = await (await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new
        {
            deniedDomains = new[] { "b.example" },
            customPatterns = new[] { new { name = "ok", pattern = "加[vV]", weight = 0.5 }, new { name = "bad", pattern = "(a+)+b", weight = 0.5 } },
        })).ReadValidationErrorsAsync();
        var order = await (await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new { reviewThreshold = 0.9, actThreshold = 0.5 })).ReadValidationErrorsAsync();
        var notDomain = await (await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new { deniedDomains = new[] { "https://x.example/path" } })).ReadValidationErrorsAsync();
        var after = await ws.Owner.Api.GetJsonAsync<PolicyDto>("/api/moderation/settings");

        Assert.Contains("pathological", Assert.Single(errors["customPatterns[1]"]), StringComparison.Ordinal);
        Assert.Contains("actThreshold", order.Keys);
        Assert.Contains("deniedDomains", notDomain.Keys);
        Assert.Equal(["a.example"], after.DeniedDomains);
        Assert.Empty(after.CustomPatterns);
    }

    [Fact]
    public async Task Settings_BuiltInRuleSwitchedOffOrReweighted_ShapesChecksHereAndOnAnotherNode()
    {
        var ws = await factory.NewWorkspaceAsync();
        var clock = new ManualTime();
        var otherNode = new ModerationEngines(clock);
        var before = (await OtherNodeEngineAsync(otherNode, ws.Id)).Check("私聊我 加微 sx111505");

        var saved = await (await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new
        {
            builtInRules = new object[] { new { rule = "weChatId", enabled = false }, new { rule = "Solicitation", weight = 0.6 } },
        })).ReadAsync<PolicyDto>();
        var here = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { text = "私聊我 加微 sx111505" })).ReadAsync<CheckResultDto>();
        clock.Ticks += ModerationEngines.RefreshInterval.Ticks;
        var there = (await OtherNodeEngineAsync(otherNode, ws.Id)).Check("私聊我 加微 sx111505");
        var audit = (await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityType={nameof(ModerationPolicy)}&pageSize=50")).Items;

        Assert.Contains(before.Evidence, e => e.Rule == nameof(PatternKind.WeChatId));
        Assert.Equal(BuiltInRules.All.Count, saved.BuiltInRules.Count);
        Assert.Contains(saved.BuiltInRules, r => r is { Rule: nameof(PatternKind.WeChatId), Enabled: false, DefaultWeight: 0.8 });
        Assert.Contains(saved.BuiltInRules, r => r is { Rule: nameof(PatternKind.Solicitation), Enabled: true, Weight: 0.6 });
        Assert.DoesNotContain(here.Evidence, e => e.Rule == nameof(PatternKind.WeChatId));
        Assert.DoesNotContain(there.Evidence, e => e.Rule == nameof(PatternKind.WeChatId));
        Assert.Equal(0.6, Assert.Single(here.Evidence, e => e.Rule == nameof(PatternKind.Solicitation)).Weight);
        Assert.Equal(here.Score, Math.Round(there.Score, CheckResultDto.Decimals));
        Assert.Contains(audit, r => r.Changes.Any(c => c.Field == nameof(ModerationPolicy.BuiltInRules) && c.After!.Value.GetString()!.Contains("WeChatId", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Settings_UnknownBuiltInRuleOrBadWeight_IsRefusedAndOperatorMayNotChange()
    {
        var ws = await factory.NewWorkspaceAsync();
        var op = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator);

        var errors = await (await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new
        {
            builtInRules = new object[] { new { rule = "noSuchRule", enabled = false }, new { rule = "phone", weight = 1.5 } },
        })).ReadValidationErrorsAsync();
        var forbidden = await op.Api.PutJsonAsync("/api/moderation/settings", new { builtInRules = new object[] { new { rule = "phone", enabled = false } } });
        var after = await ws.Owner.Api.GetJsonAsync<PolicyDto>("/api/moderation/settings");

        Assert.Contains("builtInRules[0].rule", errors.Keys);
        Assert.Contains("builtInRules[1].weight", errors.Keys);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.All(after.BuiltInRules, r => Assert.True(r.Enabled && r.Weight == r.DefaultWeight));
    }

    [Fact]
    public async Task Check_Scores_AreRoundedToFourDecimals()
    {
        var ws = await factory.NewWorkspaceAsync();

        // Noisy-OR of 0.2 and 0.8 is 0.8400000000000001 in floating point.
        var raw = new ModerationEngine().Check("私聊我 加微 sx111505").Score;
        var result = await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { text = "私聊我 加微 sx111505" });
        var body = await result.Content.ReadAsStringAsync(Ct);
        var dto = await result.ReadAsync<CheckResultDto>();

        Assert.NotEqual(Math.Round(raw, 4), raw);
        Assert.Equal(Math.Round(raw, 4), dto.Score);
        Assert.All(dto.Evidence, e => Assert.Equal(Math.Round(e.Weight, 4), e.Weight));
        Assert.DoesNotMatch(@"\d\.\d{5,}", body);
    }

    [Fact]
    public async Task Changes_AreInTheAuditLog_WithActorAndTerms()
    {
        var ws = await factory.NewWorkspaceAsync();
        var list = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/lists", new { name = "广告", category = "ads" })).ReadAsync<WordListDto>();
        await ws.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/import", new { text = "兼职\n刷单\n" });
        await ws.Owner.Api.DeleteAsync($"/api/moderation/lists/{list.Id}/terms?term=刷单", Ct);
        await ws.Owner.Api.PutJsonAsync("/api/moderation/settings", new { actThreshold = 0.95 });

        var rows = (await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityId={list.Id}&pageSize=50")).Items;
        var policy = (await ws.Owner.Api.GetJsonAsync<Page<AuditEntryDto>>($"/api/audit?entityType={nameof(ModerationPolicy)}&pageSize=50")).Items;

        Assert.Contains(rows, r => r.Action == "created" && r.Changes.Any(c => c.Field == "Name"));
        Assert.Contains(rows, r => r.Changes.Any(c => c.Field == "TermsAdded" && c.After!.Value.GetString() == "兼职、刷单"));
        Assert.Contains(rows, r => r.Changes.Any(c => c.Field == "TermsRemoved" && c.After!.Value.GetString() == "刷单"));
        Assert.All(rows, r => Assert.Equal(ws.Owner.Id, r.ActorId));
        Assert.Contains(policy, r => r.Changes.Any(c => c.Field == nameof(ModerationPolicy.ActThreshold) && c.After!.Value.GetDouble() == 0.95));
    }

    [Fact]
    public async Task Train_WhileARunIsGoing_IsNotStartedTwice()
    {
        var engines = new ModerationEngines(TimeProvider.System);
        var workspace = Guid.NewGuid();
        var release = new TaskCompletionSource();

        var first = engines.TryStartTraining(workspace, _ => release.Task);
        var second = engines.TryStartTraining(workspace, _ => Task.CompletedTask);
        var trainingMeanwhile = engines.IsTraining(workspace);
        release.SetResult();
        while (engines.IsTraining(workspace))
            await Task.Delay(10, Ct);
        var third = engines.TryStartTraining(workspace, _ => Task.CompletedTask);

        Assert.True(first);
        Assert.False(second);
        Assert.True(trainingMeanwhile);
        Assert.True(third);
    }
}

public sealed class ModerationSettingsTests_Sqlite(SqliteFactory factory) : ModerationSettingsTests(factory), IClassFixture<SqliteFactory>;

public sealed class ModerationSettingsTests_Postgres(PostgresFactory factory) : ModerationSettingsTests(factory), IClassFixture<PostgresFactory>;
