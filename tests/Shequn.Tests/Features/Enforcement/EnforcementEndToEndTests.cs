using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Events;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Review;
using Shequn.Features.Sandbox;
using Shequn.Platform.Api;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Features.Images;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Enforcement;

/// <summary>
/// The whole chain as staff meet it, across the parts of group rules: an image with a WeChat QR code posted in a
/// Sandbox group is looked into, the processor's enforcement deletes it and logs the decoded link as evidence, the
/// moderation log shows the case with its outcome, and staff's undo records who and why.
/// </summary>
public abstract class EnforcementEndToEndTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Func<AppDbContext, Task<T>> read)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    /// <summary>Polls until <paramref name="found"/> holds (at most 30 s), waking the processor each time.</summary>
    private async Task<T> EventuallyAsync<T>(Func<Task<T?>> read, string what) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (await read() is { } value)
                return value;
            Assert.True(DateTime.UtcNow < deadline, what + " did not happen in time");
            factory.Services.GetRequiredService<EventLogSignal>().Notify();
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task QrImage_IsDeleted_Logged_WithTheDecodedLink_AndUndoIsRecorded()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("扫码群", "sandbox"))).ReadAsync<CommunityDto>()).Id;

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(TestImages.QrPng(TestImages.WeChatPersonal));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "file", "qr.png");
        form.Add(new StringContent("sbx-seller"), "userId");
        form.Add(new StringContent("卖货-小王"), "name");
        var upload = await ws.Owner.Api.PostAsync($"/api/communities/{community}/sandbox/images", form, Ct);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var posted = await upload.ReadAsync<SandboxImageDto>();

        // The inspection arrives as an event of its own; the enforcement acts on it and the dispatcher deletes the image.
        var theCase = await EventuallyAsync(() => DbAsync(db => db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(c => c.WorkspaceId == ws.Id && c.MessageId == posted.MessageId, Ct)), "a case for the QR image");
        Assert.Equal(CaseDecision.Act, theCase.Decision);
        Assert.Equal("sbx-seller", theCase.UserId);
        Assert.Contains(TestImages.WeChatPersonal, theCase.Text, StringComparison.Ordinal);
        var delete = await EventuallyAsync(() => DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(a => a.WorkspaceId == ws.Id && a.CausedByEventSeq == theCase.EventSeq && a.Kind == ActionKind.DeleteMessage
                && a.Status == ActionStatus.Done, Ct)), "the image's deletion");
        Assert.Equal(posted.MessageId, ActionPayload.FromJson(delete.Payload).MessageId);

        // The moderation log shows it with its evidence and outcome.
        var log = await ws.Owner.Api.GetJsonAsync<Page<CaseDto>>($"/api/moderation/cases?communityId={community}");
        var logged = Assert.Single(log.Items, c => c.Id == theCase.Id);
        Assert.NotEmpty(logged.Evidence);
        Assert.Contains(logged.Actions, a => a.Kind == ActionKind.DeleteMessage && a.Status == ActionStatus.Done);

        // Undo: recorded with who and why, and marked not spam. A decoded QR link is not chat text, so it teaches the
        // text model nothing: no label (an undone text ad does become one, see ReviewTelegramUndoTests).
        var undo = await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{theCase.Id}/undo", new { note = "这是我们自己的活动码" });
        Assert.Equal(HttpStatusCode.OK, undo.StatusCode);
        var undone = await undo.ReadAsync<CaseDto>();
        Assert.NotNull(undone.UndoneAt);
        Assert.Equal(ws.Owner.Id, undone.UndoneById);
        Assert.Equal(CaseVerdict.NotSpam, undone.Verdict);
        Assert.False(await DbAsync(db => db.Set<LabelledMessage>().IgnoreQueryFilters().AnyAsync(l => l.WorkspaceId == ws.Id, Ct)));
        Assert.Equal("这是我们自己的活动码", undone.UndoNote);
    }
    [Fact]
    public async Task Mute_UndoneByStaff_IsLiftedInTheSandbox_AndTheAdBecomesANotSpamLabel()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("撤销群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        await using var scope = factory.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Shequn.Platform.Auth.CurrentStaff>().ActAsSystem(ws.Id);
        var chat = scope.ServiceProvider.GetRequiredService<SandboxChat>();
        var gus = await chat.JoinAsync(community, "Gus", null, Ct);

        await chat.PostAsync(community, gus, "Gus", EnforcementRulesTests.Ad, fromStaff: false, Ct);
        await EventuallyAsync(() => DbAsync(db => db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(c => c.WorkspaceId == ws.Id && c.Action == LadderAction.Delete, Ct)), "the first violation");
        await chat.PostAsync(community, gus, "Gus", EnforcementRulesTests.Ad + " 再来", fromStaff: false, Ct);
        var mute = await EventuallyAsync(() => DbAsync(db => db.Set<ModerationCase>().IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(c => c.WorkspaceId == ws.Id && c.Action == LadderAction.Mute, Ct)), "the mute");
        await EventuallyAsync(async () => (await chat.MembersAsync(community, Ct)).SingleOrDefault(m => m.UserId == gus && m.MutedUntil > DateTime.UtcNow), "Gus muted in the chat");

        var undone = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/cases/{mute.Id}/undo", new { note = "老会员，误判" })).ReadAsync<CaseDto>();
        var lift = Assert.Single(undone.Actions, a => a.Kind == ActionKind.Unrestrict);
        await EventuallyAsync(() => DbAsync(db => db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking()
            .SingleOrDefaultAsync(a => a.Id == lift.Id && a.Status == ActionStatus.Done, Ct)), "the lift");
        await EventuallyAsync(async () => (await chat.MembersAsync(community, Ct)).SingleOrDefault(m => m.UserId == gus && m.MutedUntil == null), "Gus free to post");
        var label = await DbAsync(db => db.Set<LabelledMessage>().IgnoreQueryFilters().AsNoTracking().SingleAsync(l => l.Id == mute.Id, Ct));
        Assert.False(label.IsSpam);
        Assert.Equal(mute.Text, label.Text);
    }
}

public sealed class EnforcementEndToEndSqliteTests(EnforcingSqliteFactory factory) : EnforcementEndToEndTests(factory), IClassFixture<EnforcingSqliteFactory>;

public sealed class EnforcementEndToEndPostgresTests(EnforcingPostgresFactory factory) : EnforcementEndToEndTests(factory), IClassFixture<EnforcingPostgresFactory>;
