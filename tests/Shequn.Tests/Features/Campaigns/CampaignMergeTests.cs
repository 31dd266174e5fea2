using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;
using static Shequn.Tests.Features.Events.EventTestData;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// A member merge (B into A) carries B's campaign rows to A instead of letting the delete of B cascade them away, and
/// resolves each one-per-person collision by the rules in docs/campaign-merges.md; an unmerge gives B its rows back.
/// </summary>
public abstract class CampaignMergeTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Guid ws, Func<AppDbContext, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws);
        return await work(db);
    }

    private sealed record Setup(TestWorkspace Ws, Guid Community, Guid A, Guid B, Guid C);

    private async Task<Setup> MembersAsync()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("合并群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var at = DateTimeOffset.UtcNow.AddDays(-20);
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", new[]
        {
            Join(community, "ja", "A", at), Join(community, "jb", "B", at.AddMinutes(1)), Join(community, "jc", "C", at.AddMinutes(2)),
        })).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);
        var ids = await DbAsync(ws.Id, db => db.Members.ToDictionaryAsync(m => m.DisplayName, m => m.Id, Ct));
        return new(ws, community, ids["用户A"], ids["用户B"], ids["用户C"]);
    }

    private Task<Guid> CampaignAsync(Guid ws, CampaignKind kind, CampaignRules? rules = null) => DbAsync(ws, async db =>
    {
        var c = new Campaign
        {
            WorkspaceId = ws, Name = kind.ToString(), Kind = kind, Status = CampaignStatus.Published, Slug = Campaign.NewSlug(),
            StartsAt = DateTime.UtcNow.AddDays(-10), EndsAt = DateTime.UtcNow.AddDays(10), Rules = CampaignJson.Write(rules ?? new CampaignRules()),
        };
        db.Add(c);
        await db.SaveChangesWithoutAuditAsync(Ct);
        return c.Id;
    });

    private Task<int> AddAsync(Guid ws, params object[] rows) => DbAsync(ws, async db =>
    {
        db.AddRange(rows);
        return await db.SaveChangesWithoutAuditAsync(Ct);
    });

    private static Task<HttpResponseMessage> MergeAsync(Setup s) => s.Ws.Owner.Api.PostJsonAsync("/api/members/merges", new { intoMemberId = s.A, memberId = s.B });

    private static CampaignClaim Claim(Guid ws, Guid campaign, Guid member, string rid) => new()
    {
        WorkspaceId = ws, CampaignId = campaign, MemberId = member, Quantity = 1, RequestId = rid, Status = ClaimStatus.Paid,
        CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddMinutes(15), PaidAt = DateTime.UtcNow, OrderId = "o-" + rid,
    };

    [Fact]
    public async Task Merge_MovesCampaignRows_FoldsCollisions_AndUnmergeGivesThemBack()
    {
        var s = await MembersAsync();
        var ws = s.Ws.Id;
        var sale = await CampaignAsync(ws, CampaignKind.FlashSale, new CampaignRules { PriceFen = 990, Stock = 10, PerPersonLimit = 1 });
        var checkIn = await CampaignAsync(ws, CampaignKind.CheckIn, new CampaignRules { Keyword = "打卡" });
        var invite = await CampaignAsync(ws, CampaignKind.Invitation, new CampaignRules { InviteesNeeded = 2, StayDays = 1 });
        var lottery = await CampaignAsync(ws, CampaignKind.Lottery);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await AddAsync(ws,
            // Both bought the one unit each allowed: both sales stand, the person now holds 2 of a limit of 1.
            new CampaignParticipant { WorkspaceId = ws, CampaignId = sale, MemberId = s.A, Units = 1, JoinedAt = DateTime.UtcNow.AddHours(-1) },
            new CampaignParticipant { WorkspaceId = ws, CampaignId = sale, MemberId = s.B, Units = 1, JoinedAt = DateTime.UtcNow.AddHours(-2), CompletedAt = DateTime.UtcNow.AddHours(-2) },
            Claim(ws, sale, s.A, "ra"), Claim(ws, sale, s.B, "rb"),
            // Check-ins: one day both, one day only B.
            new CampaignCheckIn { WorkspaceId = ws, CampaignId = checkIn, MemberId = s.A, Day = today, Source = CheckInSource.Keyword },
            new CampaignCheckIn { WorkspaceId = ws, CampaignId = checkIn, MemberId = s.B, Day = today, Source = CheckInSource.Keyword },
            new CampaignCheckIn { WorkspaceId = ws, CampaignId = checkIn, MemberId = s.B, Day = today.AddDays(-1), Source = CheckInSource.Keyword },
            // A brought B (now a self-invite); B brought C (now A's invitee).
            new CampaignInvitation { WorkspaceId = ws, CampaignId = invite, InviterMemberId = s.A, InviteeMemberId = s.B, CommunityId = s.Community, EventSeq = 1, Status = InvitationStatus.Pending },
            new CampaignInvitation { WorkspaceId = ws, CampaignId = invite, InviterMemberId = s.B, InviteeMemberId = s.C, CommunityId = s.Community, EventSeq = 2, Status = InvitationStatus.Pending },
            // Both entered the lottery (not drawn): the earlier entry stays.
            new LotteryEntry { WorkspaceId = ws, CampaignId = lottery, MemberId = s.B, Number = 1, Entry = "1:B", EnteredAt = DateTime.UtcNow },
            new LotteryEntry { WorkspaceId = ws, CampaignId = lottery, MemberId = s.A, Number = 2, Entry = "2:A", EnteredAt = DateTime.UtcNow },
            new CampaignPointsAccount { WorkspaceId = ws, MemberId = s.A, Spent = 10 },
            new CampaignPointsAccount { WorkspaceId = ws, MemberId = s.B, Spent = 5 },
            new CampaignCoupon { WorkspaceId = ws, CampaignId = sale, MemberId = s.B, Code = CampaignCoupon.NewCode(), FaceValueFen = 100, IssuedAt = DateTime.UtcNow });

        var response = await MergeAsync(s);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var merged = await response.ReadAsync<MemberMergeDto>();

        await DbAsync(ws, async db =>
        {
            var participant = await db.Set<CampaignParticipant>().SingleAsync(p => p.CampaignId == sale, Ct);
            Assert.Equal((s.A, 2), (participant.MemberId, participant.Units));
            Assert.NotNull(participant.CompletedAt); // B's completion carries over
            Assert.Equal(2, await db.Set<CampaignClaim>().CountAsync(c => c.CampaignId == sale && c.MemberId == s.A && c.Status == ClaimStatus.Paid, Ct));
            Assert.Equal([today.AddDays(-1), today], await db.Set<CampaignCheckIn>().Where(c => c.MemberId == s.A).OrderBy(c => c.Day).Select(c => c.Day).ToListAsync(Ct));
            var edges = await db.Set<CampaignInvitation>().Where(i => i.CampaignId == invite).OrderBy(i => i.EventSeq).ToListAsync(Ct);
            Assert.Equal((s.A, s.A, InvitationStatus.Refused, "selfInvite"), (edges[0].InviterMemberId, edges[0].InviteeMemberId, edges[0].Status, edges[0].Reason));
            Assert.Equal((s.A, s.C, InvitationStatus.Pending), (edges[1].InviterMemberId, edges[1].InviteeMemberId, edges[1].Status));
            var entry = await db.Set<LotteryEntry>().SingleAsync(e => e.CampaignId == lottery, Ct);
            Assert.Equal((s.A, 1), (entry.MemberId, entry.Number));
            Assert.Equal(15, await db.Set<CampaignPointsAccount>().Where(x => x.MemberId == s.A).Select(x => x.Spent).SingleAsync(Ct));
            Assert.Equal(s.A, await db.Set<CampaignCoupon>().Select(x => x.MemberId).SingleAsync(Ct));
            var moves = JsonSerializer.Deserialize<MergeMoves>(await db.Set<MemberMerge>().Where(m => m.Id == merged.Id).Select(m => m.Moves).SingleAsync(Ct))!;
            Assert.Equal(new MergedOverLimit(sale, 2, 1), Assert.Single(moves.Campaigns!.OverLimit));
            return 0;
        });

        Assert.Equal(HttpStatusCode.OK, (await s.Ws.Owner.Api.PostAsync($"/api/members/merges/{merged.Id}/unmerge", null, Ct)).StatusCode);
        await DbAsync(ws, async db =>
        {
            var units = await db.Set<CampaignParticipant>().Where(p => p.CampaignId == sale).ToDictionaryAsync(p => p.MemberId, p => p.Units, Ct);
            Assert.Equal(new Dictionary<Guid, int> { [s.A] = 1, [s.B] = 1 }, units);
            Assert.Equal(1, await db.Set<CampaignClaim>().CountAsync(c => c.MemberId == s.B, Ct));
            Assert.Equal(2, await db.Set<CampaignCheckIn>().CountAsync(c => c.MemberId == s.B, Ct));
            Assert.Equal(2, await db.Set<LotteryEntry>().CountAsync(e => e.CampaignId == lottery, Ct));
            Assert.Equal(5, await db.Set<CampaignPointsAccount>().Where(x => x.MemberId == s.B).Select(x => x.Spent).SingleAsync(Ct));
            Assert.Equal(10, await db.Set<CampaignPointsAccount>().Where(x => x.MemberId == s.A).Select(x => x.Spent).SingleAsync(Ct));
            Assert.Equal(s.C, await db.Set<CampaignInvitation>().Where(i => i.InviterMemberId == s.B).Select(i => i.InviteeMemberId).SingleAsync(Ct));
            return 0;
        });
    }

    [Fact]
    public async Task Merge_TwoPaidBargainsInOneCampaign_IsRefused_AndAPaidOneBeatsAnOpenOne()
    {
        var s = await MembersAsync();
        var ws = s.Ws.Id;
        var bargain = await CampaignAsync(ws, CampaignKind.Bargain);
        CampaignBargain Bargain(Guid member, BargainStatus status, int cuts) => new()
        {
            WorkspaceId = ws, CampaignId = bargain, MemberId = member, CommunityId = s.Community, RequestId = Guid.NewGuid().ToString("N"),
            StartPriceFen = 1000, FloorPriceFen = 100, Helpers = 3, PriceFen = 1000 - (300 * cuts), Cuts = cuts, Status = status, CreatedAt = DateTime.UtcNow,
        };
        var paidA = Bargain(s.A, BargainStatus.Paid, 3);
        var paidB = Bargain(s.B, BargainStatus.Paid, 3);
        await AddAsync(ws, paidA, paidB);
        var refused = await (await MergeAsync(s)).ReadValidationErrorsAsync();
        Assert.Contains(bargain.ToString(), Assert.Single(refused["memberId"]), StringComparison.Ordinal);
        Assert.Equal(2, await DbAsync(ws, db => db.Set<CampaignBargain>().CountAsync(Ct))); // nothing changed

        // A's is only open (one cut, by C): B's paid one stays with the person; A's goes, kept for an unmerge.
        await DbAsync(ws, db => db.Set<CampaignBargain>().Where(x => x.Id == paidA.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, BargainStatus.Open).SetProperty(x => x.Cuts, 1), Ct));
        await AddAsync(ws, new CampaignBargainCut { WorkspaceId = ws, BargainId = paidA.Id, HelperMemberId = s.C, Position = 1, AmountFen = 300, CreatedAt = DateTime.UtcNow });
        var merged = await (await MergeAsync(s)).ReadAsync<MemberMergeDto>();
        var left = await DbAsync(ws, db => db.Set<CampaignBargain>().SingleAsync(Ct));
        Assert.Equal((paidB.Id, s.A, BargainStatus.Paid), (left.Id, left.MemberId, left.Status));
        Assert.Equal(0, await DbAsync(ws, db => db.Set<CampaignBargainCut>().CountAsync(Ct)));

        Assert.Equal(HttpStatusCode.OK, (await s.Ws.Owner.Api.PostAsync($"/api/members/merges/{merged.Id}/unmerge", null, Ct)).StatusCode);
        var back = await DbAsync(ws, db => db.Set<CampaignBargain>().ToDictionaryAsync(x => x.Id, x => (x.MemberId, x.Status), Ct));
        Assert.Equal((s.A, BargainStatus.Open), back[paidA.Id]);
        Assert.Equal((s.B, BargainStatus.Paid), back[paidB.Id]);
        Assert.Equal(s.C, await DbAsync(ws, db => db.Set<CampaignBargainCut>().Select(x => x.HelperMemberId).SingleAsync(Ct)));
    }

    [Fact]
    public async Task Merge_HelpersWhoHelpedTwice_KeepOneHelp_SameDayPhotos_KeepTheApprovedOne()
    {
        var s = await MembersAsync();
        var ws = s.Ws.Id;
        var assist = await CampaignAsync(ws, CampaignKind.Assist);
        var photos = await CampaignAsync(ws, CampaignKind.PhotoShare, new CampaignRules { DaysInRow = 7 });
        var request = new CampaignAssist { WorkspaceId = ws, CampaignId = assist, MemberId = s.C, CommunityId = s.Community, RequestId = "r", Needed = 3, Helps = 2, CreatedAt = DateTime.UtcNow };
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await AddAsync(ws, request,
            new CampaignAssistHelp { WorkspaceId = ws, AssistId = request.Id, HelperMemberId = s.A, Position = 1, CreatedAt = DateTime.UtcNow },
            new CampaignAssistHelp { WorkspaceId = ws, AssistId = request.Id, HelperMemberId = s.B, Position = 2, CreatedAt = DateTime.UtcNow },
            new CampaignPhoto { WorkspaceId = ws, CampaignId = photos, MemberId = s.A, CommunityId = s.Community, Day = today, Status = PhotoStatus.Pending },
            new CampaignPhoto { WorkspaceId = ws, CampaignId = photos, MemberId = s.B, CommunityId = s.Community, Day = today, Status = PhotoStatus.Approved, MediaId = "b-photo" });
        Assert.Equal(HttpStatusCode.Created, (await MergeAsync(s)).StatusCode);
        var help = await DbAsync(ws, db => db.Set<CampaignAssistHelp>().SingleAsync(Ct));
        Assert.Equal((s.A, 1), (help.HelperMemberId, help.Position));
        var photo = await DbAsync(ws, db => db.Set<CampaignPhoto>().SingleAsync(Ct));
        Assert.Equal((s.A, PhotoStatus.Approved, "b-photo"), (photo.MemberId, photo.Status, photo.MediaId));
    }
}

public sealed class CampaignMergeSqliteTests(PostsSqliteFactory factory) : CampaignMergeTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class CampaignMergePostgresTests(PostsPostgresFactory factory) : CampaignMergeTests(factory), IClassFixture<PostsPostgresFactory>;
