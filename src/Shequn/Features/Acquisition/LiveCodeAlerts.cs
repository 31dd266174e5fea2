using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Campaigns;
using Shequn.Features.Members;
using Shequn.Features.Outbox;
using Shequn.Features.Tasks;
using Microsoft.Extensions.Localization;
using Shequn.Platform.Localization;

namespace Shequn.Features.Acquisition;

/// <summary>
/// Telling staff what a live code needs from them, as staff tasks (an action in status task, like every hand-made step):
/// every community full (once per episode: <see cref="LiveCode.FullSince"/> is set by one conditional update, so two
/// nodes or a burst of visitors make one task) and a personal WeChat QR about to die.
/// </summary>
public sealed class LiveCodeAlerts(IServiceScopeFactory scopes, TaskOpener tasks, TimeProvider time)
{
    public async Task FullAsync(LiveCodeSnapshot s, CancellationToken ct)
    {
        if (s.Code.FullSince is not null || s.FullSeen)
            return;
        s.FullSeen = true;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var id = s.Code.Id;
        // The task is made ready (its reads, and their first compilation) before the write lock is taken: on SQLite that
        // lock is the scan writer's too, and a burst of visitors waits while it is held. The task goes to whoever manages
        // the code's first community (the one new groups are usually made like).
        db.Current.ActAsSystem(s.Code.WorkspaceId);
        var asked = s.FirstRoute is { } route && await tasks.AskAsync(db, new TaskBatch(), s.Code.WorkspaceId, route.CommunityId, ActionKind.CreateInviteLink,
            new ActionPayload(), $"livecode:{id:N}:full:{now:yyyyMMddHHmm}", null, now, now,
            w => (w["LiveCodes.Task.Full", s.Code.Name, route.Platform == Communities.ChatPlatform.WeCom ? w["LiveCodes.Task.FullWeCom"] : w["LiveCodes.Task.FullCreate"]], null), ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // One statement written out, not a query to compile while the lock is held.
        var first = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""UPDATE "LiveCodes" SET "FullSince" = {now} WHERE "Id" = {id} AND "FullSince" IS NULL""", ct);
        if (first == 0)
            return; // another node or request began this episode; the task made ready is dropped with the transaction
        if (asked)
            await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }
}

/// <summary>Phones and answers left on a landing page: validated, kept with the consent shown, and matched to a member by phone.</summary>
public sealed class LiveCodeLeads(IServiceScopeFactory scopes, IStringLocalizer<Strings> l, TimeProvider time)
{
    /// <returns>What is wrong, in the visitor's language (empty when kept); and with a phone, the withdrawal link's path
    /// (<c>/w/{token}</c>) to show the visitor once.</returns>
    /// <param name="seen">Who ticked the consent line, from where (its notice is filled in here): kept as a
    /// <see cref="ConsentRecord"/> with a phone.</param>
    public async Task<(IReadOnlyList<string> Problems, string? WithdrawUrl)> LeaveAsync(LiveCodeSnapshot s, string? rawPhone, bool consent, string? choice, string? need, CancellationToken ct,
        bool phoneRequired = false, ConsentSeen? seen = null)
    {
        var problems = new List<string>();
        string? phone = null;
        if (!string.IsNullOrWhiteSpace(rawPhone) || phoneRequired)
        {
            if (!s.Code.CollectPhone)
                problems.Add(l["LiveCodePage.PhoneNotAsked"]);
            else if ((phone = CampaignLead.NormalizePhone(rawPhone)) is null)
                problems.Add(l["LiveCodePage.PhoneInvalid"]);
            else if (!consent)
                problems.Add(l["LiveCodePage.ConsentRequired"]);
        }
        if (problems.Count > 0)
            return (problems, null);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var ws = s.Code.WorkspaceId;
        db.Current.ActAsSystem(ws);
        var member = phone is null ? null : await db.Members.IgnoreQueryFilters().Where(m => m.WorkspaceId == ws && m.Phone == phone).FirstOrDefaultAsync(ct);
        var lead = new LiveCodeLead
        {
            WorkspaceId = ws, LiveCodeId = s.Code.Id, Phone = phone, Choice = choice, Need = need, MemberId = member?.Id, At = time.GetUtcNow().UtcDateTime,
            ConsentText = phone is null ? null : l["LiveCodePage.Consent", s.WorkspaceName].Value,
        };
        db.Add(lead);
        string? withdraw = null;
        if (lead.ConsentText is { } notice)
        {
            var now = lead.At;
            withdraw = Consents.NewLink(Consents.Add(db, ws, member?.Id, lead.Id, (seen ?? new ConsentSeen(ConsentSource.LandingPage, "", "", null, null)) with
            {
                Source = ConsentSource.LandingPage,
                Page = seen?.Page is { Length: > 0 } page ? page : "/j/" + s.Code.Code,
                Notice = notice,
            }, now));
            if (member is not null)
                member.ConsentWithdrawnAt = null;
        }
        // The answers feed the fields the code links them to, where the member has no value yet (see LandingAnswers).
        if (member is not null)
            await LandingAnswers.FillAsync(db, member, [lead], ct);
        await db.SaveChangesWithoutAuditAsync(ct);
        return (problems, withdraw is null ? null : Consents.LinkPath(withdraw));
    }
}
