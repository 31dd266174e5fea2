using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Acquisition;
using Shequn.Features.Communities;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Advisor;

public sealed record DismissInput(string? Rule, string? SubjectId, string? Fingerprint);

public sealed record UndismissInput(string? Rule, string? SubjectId);

public sealed record FreezeInput(Guid? CommunityId);

public sealed record StopRoutingInput(Guid? CommunityId);

/// <summary>Why stopping the routing left a live code routing to the community.</summary>
public enum RouteLeftReason
{
    /// <summary>The community is the code's only route: staff add another community to it first.</summary>
    OnlyRoute = 0,
    /// <summary>The caller may not edit the code (it routes to communities they do not see); its name is not shown.</summary>
    NotEditable = 1,
    /// <summary>The live code editor refused the change (<see cref="LeftLiveCode.Detail"/> says why).</summary>
    Refused = 2,
}

public sealed record ChangedLiveCode(Guid Id, string Name);

public sealed record LeftLiveCode(Guid Id, string? Name, RouteLeftReason Reason, string? Detail);

/// <summary>What stopping the routing to a community did: the live codes that no longer route to it and those left as they were.</summary>
public sealed record StopRoutingResult(Guid CommunityId, string CommunityName, IReadOnlyList<ChangedLiveCode> Changed, IReadOnlyList<LeftLiveCode> Left);

/// <summary>The advisor as the API and the console use it: the list for the acting staff member, dismissals and the one-click actions.</summary>
public sealed class AdviceDesk(AppDbContext db, WorkspaceZones zones, TimeProvider time, TimeSpan responseTarget)
{
    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    public async Task<IReadOnlyList<Advice>> ListAsync(bool includeDismissed, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        var zone = await zones.GetAsync(db.CurrentWorkspaceId, ct);
        return await new PlaybookAdvisor(db, responseTarget).RunAsync(me, zone, time.GetUtcNow().UtcDateTime, includeDismissed, ct);
    }

    /// <summary>
    /// Hides an advice until its facts change. The fingerprint must be the one the advisor finds now (a stale page's is a
    /// 409: the facts changed since it was read); an advice the caller does not see is a 404.
    /// </summary>
    public async Task<DeskResult<Advice>> DismissAsync(DismissInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!PlaybookAdvisor.MayAct(me))
            return Desk.Refused<Advice>("Only owners, sub-owners and admins dismiss advice.");
        var v = new Validation();
        var rule = v.ParseEnum<AdviceRule>("rule", input?.Rule);
        if (string.IsNullOrWhiteSpace(input?.Rule))
            v.Add("rule", "Required", "'rule' is required.");
        v.Required("subjectId", input?.SubjectId, AdviceDismissal.SubjectIdMaxLength)
            .Required("fingerprint", input?.Fingerprint, AdviceDismissal.FingerprintMaxLength);
        if (!v.IsValid)
            return Desk.Bad<Advice>(v);
        var advice = (await ListAsync(includeDismissed: true, ct)).FirstOrDefault(a => a.Rule == rule && a.SubjectId == input!.SubjectId);
        if (advice is null)
            return Desk.Missing<Advice>();
        if (advice.Fingerprint != input!.Fingerprint)
            return Desk.Clash<Advice>($"The facts behind this advice changed (now '{advice.Fingerprint}'); read it again before dismissing.");
        var row = await db.Set<AdviceDismissal>().SingleOrDefaultAsync(d => d.Rule == advice.Rule && d.SubjectId == advice.SubjectId, ct);
        if (row is null)
            db.Add(row = new AdviceDismissal { WorkspaceId = db.CurrentWorkspaceId, Rule = advice.Rule, SubjectId = advice.SubjectId, Fingerprint = advice.Fingerprint });
        row.Fingerprint = advice.Fingerprint;
        row.DismissedById = me!.Id;
        row.DismissedAt = time.GetUtcNow().UtcDateTime;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Someone else dismissed it at the same moment: it is dismissed either way.
            db.ChangeTracker.Clear();
        }
        return Desk.Ok(advice with { Dismissed = true });
    }

    /// <summary>
    /// Shows a dismissed advice again now rather than when its facts change: its dismissal is deleted (audited as the
    /// dismissal was). An advice the caller does not see is a 404; one that is not dismissed is returned as it is.
    /// </summary>
    public async Task<DeskResult<Advice>> UndismissAsync(UndismissInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!PlaybookAdvisor.MayAct(me))
            return Desk.Refused<Advice>("Only owners, sub-owners and admins show dismissed advice again.");
        var v = new Validation();
        var rule = v.ParseEnum<AdviceRule>("rule", input?.Rule);
        if (string.IsNullOrWhiteSpace(input?.Rule))
            v.Add("rule", "Required", "'rule' is required.");
        v.Required("subjectId", input?.SubjectId, AdviceDismissal.SubjectIdMaxLength);
        if (!v.IsValid)
            return Desk.Bad<Advice>(v);
        // Through the list, so that a sub-owner reaches only the advice about what they see.
        var advice = (await ListAsync(includeDismissed: true, ct)).FirstOrDefault(a => a.Rule == rule && a.SubjectId == input!.SubjectId);
        if (advice is null)
            return Desk.Missing<Advice>();
        var row = await db.Set<AdviceDismissal>().SingleOrDefaultAsync(d => d.Rule == advice.Rule && d.SubjectId == advice.SubjectId, ct);
        if (row is not null)
        {
            db.Remove(row);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                // Someone else showed it again at the same moment: it is shown either way.
                db.ChangeTracker.Clear();
            }
        }
        return Desk.Ok(advice with { Dismissed = false });
    }

    /// <summary>
    /// The one-click action for a silent community: freeze it through the community editor, so the change is checked and
    /// audited as any edit of the community is.
    /// </summary>
    public async Task<DeskResult<bool>> FreezeAsync(FreezeInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!PlaybookAdvisor.MayAct(me))
            return Desk.Refused<bool>("Only owners, sub-owners and admins act on advice.");
        if (input?.CommunityId is not { } id)
            return Desk.Bad<bool>(new Validation().Add("communityId", "Required", "'communityId' is required."));
        var c = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        if (c is null)
            return Desk.Missing<bool>();
        if (c.State == CommunityState.Frozen)
            return Desk.Ok(true);
        if (c.State != CommunityState.Active)
            return Desk.Clash<bool>($"{c.Name} is {c.State}; only an active community can be frozen.");
        var saved = await new CommunityEditor(db).SaveAsync(id, new CommunityInput(c.Name, c.Platform, c.Type, c.SubType, c.Tier, c.Capacity, c.Purpose, c.Intro, c.Rules,
            CommunityState.Frozen, null), ct);
        return saved.Outcome switch
        {
            EditOutcome.Saved => Desk.Ok(true),
            EditOutcome.NotFound => Desk.Missing<bool>(),
            EditOutcome.Invalid => Desk.Bad<bool>(saved.Validation),
            _ => Desk.Refused<bool>(saved.Refusal?.Message ?? "Your role does not allow this."),
        };
    }

    /// <summary>
    /// The one-click action for an oversized community that live codes still send newcomers to: take it off every live code
    /// (not archived) that has another route, each through the live code editor (<see cref="AcquisitionDesk.RemoveRouteAsync"/>),
    /// so positions, validation, ways in and the audit are the editor's. A code routing only to it is left and named (staff
    /// add another community first), as is one the editor refuses; one the caller may not edit is left unnamed.
    /// </summary>
    public async Task<DeskResult<StopRoutingResult>> StopRoutingAsync(StopRoutingInput? input, AcquisitionDesk liveCodes, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!PlaybookAdvisor.MayAct(me) || !AcquisitionDesk.MayRead(me))
            return Desk.Refused<StopRoutingResult>("Only owners, sub-owners and admins act on advice.");
        if (input?.CommunityId is not { } id)
            return Desk.Bad<StopRoutingResult>(new Validation().Add("communityId", "Required", "'communityId' is required."));
        var c = await db.Visible(me).AsNoTracking().Where(x => x.Id == id).Select(x => new { x.Id, x.Name }).SingleOrDefaultAsync(ct);
        if (c is null)
            return Desk.Missing<StopRoutingResult>();
        var codes = await db.Set<LiveCode>().AsNoTracking()
            .Where(l => l.State != LiveCodeState.Archived && l.Routes.Any(r => r.CommunityId == id))
            .OrderBy(l => l.Name).ThenBy(l => l.Id).Select(l => new { l.Id, l.Name }).ToListAsync(ct);
        var changed = new List<ChangedLiveCode>();
        var left = new List<LeftLiveCode>();
        foreach (var code in codes)
        {
            var saved = await liveCodes.RemoveRouteAsync(code.Id, id, ct);
            switch (saved.Outcome)
            {
                case DeskOutcome.Saved:
                    changed.Add(new ChangedLiveCode(code.Id, code.Name));
                    break;
                case DeskOutcome.Conflict:
                    left.Add(new LeftLiveCode(code.Id, code.Name, RouteLeftReason.OnlyRoute, saved.Detail));
                    break;
                case DeskOutcome.Invalid:
                    left.Add(new LeftLiveCode(code.Id, code.Name, RouteLeftReason.Refused, string.Join(" ", saved.Validation.Items.Select(e => e.Message))));
                    break;
                default:
                    // Readable only to those who see every community it routes to: the name stays with them.
                    left.Add(new LeftLiveCode(code.Id, null, RouteLeftReason.NotEditable, null));
                    break;
            }
            // An edit the editor refused may leave tracked rows behind: the next code starts clean.
            db.ChangeTracker.Clear();
        }
        return Desk.Ok(new StopRoutingResult(c.Id, c.Name, changed, left));
    }
}
