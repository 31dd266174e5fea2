using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Outbox;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Acquisition;

public enum DeskOutcome
{
    Saved,
    Invalid,
    NotFound,
    Forbidden,
    Conflict,
}

public sealed record DeskResult<T>(DeskOutcome Outcome, T? Value, Validation Validation, string? Detail = null);

internal static class Desk
{
    public static DeskResult<T> Ok<T>(T value) => new(DeskOutcome.Saved, value, new Validation());
    public static DeskResult<T> Bad<T>(Validation v) => new(DeskOutcome.Invalid, default, v);
    public static DeskResult<T> Missing<T>() => new(DeskOutcome.NotFound, default, new Validation());
    public static DeskResult<T> Refused<T>(string detail) => new(DeskOutcome.Forbidden, default, new Validation(), detail);
    public static DeskResult<T> Clash<T>(string detail) => new(DeskOutcome.Conflict, default, new Validation(), detail);
}

public sealed record ChannelInput(string? Name, string? Kind, Guid? OwnerStaffId, decimal? Cost, string? CostUnit, string? Note);

public sealed record ChannelDto(Guid Id, string Name, ChannelKind Kind, Guid? OwnerStaffId, string? OwnerName, decimal? Cost, CostUnit CostUnit, string? Note,
    bool Archived, int LiveCodes, DateTime CreatedAt);

public sealed record RouteInput(Guid CommunityId, string? Choice);

public sealed record LiveCodeInput(
    string? Name, Guid? ChannelId, Guid? CampaignId = null, Guid? StaffId = null, string? Policy = null, int? Target = null, int? Limit = null,
    bool? Landing = null, string? Title = null, string? Intro = null, string? ChoiceQuestion = null, string? NeedQuestion = null, bool? CollectPhone = null,
    bool? JoinRequests = null, Guid? LogoImageId = null, IReadOnlyList<RouteInput>? Routes = null, string? ChoiceField = null, string? NeedField = null);

public sealed record RouteDto(Guid Id, int Position, Guid CommunityId, string CommunityName, ChatPlatform Platform, string? Choice, int Filled, int Cap, int Routed,
    bool Open, string? JoinUrl, DateTime? QrExpiresAt, string? QrText);

public sealed record LiveCodeDto(Guid Id, string Name, string Code, string Key, string ShortLink, string QrPng, string QrSvg, Guid ChannelId, string ChannelName,
    Guid? CampaignId, Guid? StaffId, RoutingPolicy Policy, int Target, int Limit, LiveCodeState State, bool Landing, string? Title, string? Intro,
    string? ChoiceQuestion, string? NeedQuestion, bool CollectPhone, bool JoinRequests, Guid? LogoImageId, DateTime? FullSince, string? WeComQrUrl,
    IReadOnlyList<RouteDto> Routes, DateTime CreatedAt, DateTime UpdatedAt, string? ChoiceField, string? NeedField, string? WeComError = null,
    DateTime? WeComErrorAt = null);

/// <summary>
/// The channel registry and live codes, as the API and the console edit them. Channels: everyone but KOCs reads; owners,
/// sub-owners and admins change. Live codes: everyone but KOCs reads those routing only to communities they see and
/// makes codes for those communities. Saving a route sets up its way in on its platform (a Telegram invite link through
/// the outbox, the Sandbox's join page); WeCom and personal WeChat groups get theirs from the join_way and QR uploads.
/// </summary>
public sealed class AcquisitionDesk(AppDbContext db, LiveCodeImages images, LiveCodeDirectory directory, TimeProvider time, Calendar.PostImages library)
{
    public static bool MayRead(StaffProfile? me) => me is not null && me.Role != StaffRole.Koc;

    public static bool MayManageChannels(StaffProfile? me) => me?.CanManageTags == true;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private Task<StaffProfile?> MeAsync(CancellationToken ct) => db.Current.GetProfileAsync(db, ct);

    public async Task<IReadOnlyList<ChannelDto>> ChannelsAsync(bool includeArchived, CancellationToken ct)
    {
        if (!MayRead(await MeAsync(ct)))
            return [];
        var rows = await db.Set<AcquisitionChannel>().AsNoTracking().Where(c => includeArchived || c.ArchivedAt == null).OrderBy(c => c.Name).ToListAsync(ct);
        var counts = await db.Set<LiveCode>().Where(c => c.State != LiveCodeState.Archived).GroupBy(c => c.ChannelId)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var owners = await OwnerNamesAsync(rows.Where(r => r.OwnerStaffId is not null).Select(r => r.OwnerStaffId!.Value), ct);
        return [.. rows.Select(r => Dto(r, owners, counts.GetValueOrDefault(r.Id)))];
    }

    private async Task<Dictionary<Guid, string>> OwnerNamesAsync(IEnumerable<Guid> ids, CancellationToken ct)
    {
        var list = ids.Distinct().ToList();
        var ws = db.CurrentWorkspaceId;
        return list.Count == 0 ? [] : await db.Set<StaffUser>().Where(s => s.WorkspaceId == ws && list.Contains(s.Id)).ToDictionaryAsync(s => s.Id, s => s.DisplayName, ct);
    }

    private static ChannelDto Dto(AcquisitionChannel c, Dictionary<Guid, string> owners, int codes) =>
        new(c.Id, c.Name, c.Kind, c.OwnerStaffId, c.OwnerStaffId is { } o ? owners.GetValueOrDefault(o) : null, c.Cost, c.CostUnit, c.Note, c.ArchivedAt is not null, codes, c.CreatedAt);

    public async Task<DeskResult<ChannelDto>> SaveChannelAsync(Guid? id, ChannelInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayManageChannels(me))
            return Desk.Refused<ChannelDto>("Only owners, sub-owners and admins change channels.");
        input ??= new ChannelInput(null, null, null, null, null, null);
        var v = new Validation().Required("name", input.Name?.Trim(), AcquisitionChannel.NameMaxLength).MaxLength("note", input.Note, AcquisitionChannel.NoteMaxLength);
        var kind = v.ParseEnum<ChannelKind>("kind", input.Kind) ?? ChannelKind.Other;
        var unit = v.ParseEnum<CostUnit>("costUnit", input.CostUnit) ?? CostUnit.Month;
        if (input.Cost is < 0 or > 100_000_000m)
            v.Add("cost", "ChannelCostRange", "'cost' must be between 0 and 100,000,000 yuan.");
        var ws = db.CurrentWorkspaceId;
        if (input.OwnerStaffId is { } owner && !await db.Set<StaffUser>().AnyAsync(s => s.Id == owner && s.WorkspaceId == ws && s.IsActive, ct))
            v.Add("ownerStaffId", "ChannelOwnerUnknown", "'ownerStaffId' names no active staff member of this workspace.");
        var name = input.Name?.Trim() ?? "";
        if (v.IsValid && await db.Set<AcquisitionChannel>().AnyAsync(c => c.Name == name && c.Id != id, ct))
            v.Add("name", "ChannelNameTaken", $"A channel named '{name}' exists already.", name);
        if (!v.IsValid)
            return Desk.Bad<ChannelDto>(v);
        AcquisitionChannel? row;
        if (id is { } existing)
        {
            row = await db.Set<AcquisitionChannel>().SingleOrDefaultAsync(c => c.Id == existing, ct);
            if (row is null)
                return Desk.Missing<ChannelDto>();
        }
        else
            db.Add(row = new AcquisitionChannel { Name = name, WorkspaceId = ws });
        row.Name = name;
        row.Kind = kind;
        row.OwnerStaffId = input.OwnerStaffId;
        row.Cost = input.Cost;
        row.CostUnit = unit;
        row.Note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        row.UpdatedAt = Now;
        await db.SaveChangesAsync(ct);
        return Desk.Ok<ChannelDto>(Dto(row, await OwnerNamesAsync(row.OwnerStaffId is { } o ? [o] : [], ct), await db.Set<LiveCode>().CountAsync(c => c.ChannelId == row.Id, ct)));
    }

    /// <summary>Archives a channel (its history stays); refused while live codes of it are active.</summary>
    public async Task<DeskResult<ChannelDto>> ArchiveChannelAsync(Guid id, CancellationToken ct)
    {
        if (!MayManageChannels(await MeAsync(ct)))
            return Desk.Refused<ChannelDto>("Only owners, sub-owners and admins change channels.");
        var row = await db.Set<AcquisitionChannel>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (row is null)
            return Desk.Missing<ChannelDto>();
        var active = await db.Set<LiveCode>().Where(c => c.ChannelId == id && c.State == LiveCodeState.Active).Select(c => c.Name).ToListAsync(ct);
        if (active.Count > 0)
            return Desk.Clash<ChannelDto>($"Live codes of this channel are active: {string.Join(", ", active)}. Pause or archive them first.");
        row.ArchivedAt ??= Now;
        row.UpdatedAt = Now;
        await db.SaveChangesAsync(ct);
        return Desk.Ok<ChannelDto>(Dto(row, [], 0));
    }

    /// <summary>The codes the staff member may read: every route's community is one they see.</summary>
    private IQueryable<LiveCode> Readable(StaffProfile me)
    {
        var q = db.Set<LiveCode>().AsQueryable();
        if (me.SeesAllCommunities)
            return q;
        var seen = me.AssignedCommunityIds.ToList();
        return q.Where(c => c.Routes.All(r => seen.Contains(r.CommunityId)));
    }

    public async Task<IReadOnlyList<LiveCodeDto>> CodesAsync(Guid? channelId, bool includeArchived, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return [];
        var q = Readable(me!).AsNoTracking().Include(c => c.Routes).ThenInclude(r => r.Community).AsSplitQuery();
        if (channelId is { } ch)
            q = q.Where(c => c.ChannelId == ch);
        if (!includeArchived)
            q = q.Where(c => c.State != LiveCodeState.Archived);
        var rows = await q.OrderByDescending(c => c.CreatedAt).Take(500).ToListAsync(ct);
        var names = await db.Set<AcquisitionChannel>().ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        return [.. rows.Select(r => Dto(r, names.GetValueOrDefault(r.ChannelId) ?? ""))];
    }

    public async Task<LiveCodeDto?> CodeAsync(Guid id, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return null;
        var row = await Readable(me!).AsNoTracking().Include(c => c.Routes).ThenInclude(r => r.Community).AsSplitQuery().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (row is null)
            return null;
        var channel = await db.Set<AcquisitionChannel>().Where(c => c.Id == row.ChannelId).Select(c => c.Name).SingleAsync(ct);
        return Dto(row, channel);
    }

    private LiveCodeDto Dto(LiveCode c, string channel)
    {
        var link = images.ShortLink(c.Code);
        var now = Now;
        return new LiveCodeDto(c.Id, c.Name, c.Code, c.Key, link, $"/j/{c.Code}/qr.png", $"/j/{c.Code}/qr.svg", c.ChannelId, channel, c.CampaignId, c.StaffId, c.Policy,
            c.Target, c.Limit, c.State, c.Landing, c.Title, c.Intro, c.ChoiceQuestion, c.NeedQuestion, c.CollectPhone, c.JoinRequests, c.LogoImageId, c.FullSince,
            c.WeComQrUrl,
            [.. c.Routes.OrderBy(r => r.Position).Select(r => new RouteDto(r.Id, r.Position, r.CommunityId, r.Community?.Name ?? "", r.Community?.Platform ?? ChatPlatform.Sandbox,
                r.Choice, r.Filled, Math.Min(c.Limit, r.Community?.Capacity ?? c.Limit), r.Routed,
                r.Community is { } cm && cm.State == CommunityState.Active && LiveCodeDirectory.HasWayIn(cm.Platform, r.JoinUrl, r.QrImageId, r.QrExpiresAt, c.WeComQrUrl, now),
                r.JoinUrl, r.QrExpiresAt, r.QrText))],
            c.CreatedAt, c.UpdatedAt, c.ChoiceField, c.NeedField, c.WeComError, c.WeComErrorAt);
    }

    public async Task<DeskResult<LiveCodeDto>> SaveCodeAsync(Guid? id, LiveCodeInput? input, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return Desk.Refused<LiveCodeDto>("KOCs cannot make live codes.");
        input ??= new LiveCodeInput(null, null);
        var v = new Validation()
            .Required("name", input.Name?.Trim(), LiveCode.NameMaxLength)
            .MaxLength("title", input.Title, LiveCode.NameMaxLength)
            .MaxLength("intro", input.Intro, LiveCode.TextMaxLength)
            .MaxLength("choiceQuestion", input.ChoiceQuestion, LiveCode.QuestionMaxLength)
            .MaxLength("needQuestion", input.NeedQuestion, LiveCode.QuestionMaxLength);
        var policy = v.ParseEnum<RoutingPolicy>("policy", input.Policy) ?? RoutingPolicy.FillToTarget;
        var limit = input.Limit ?? LiveCode.DefaultLimit;
        var target = input.Target ?? Math.Min(LiveCode.DefaultTarget, limit);
        if (limit is < 2 or > 200_000)
            v.Add("limit", "LiveCodeLimitRange", "'limit' (the operating limit per community) must be between 2 and 200000.");
        if (target < 1 || target > limit)
            v.Add("target", "LiveCodeTargetRange", $"'target' must be between 1 and the limit ({limit}).", limit);
        if (input.ChannelId is not { } channelId)
            v.Add("channelId", "Required", "'channelId' is required: every live code belongs to a channel.");
        else if (!await db.Set<AcquisitionChannel>().AnyAsync(c => c.Id == channelId && c.ArchivedAt == null, ct))
            v.Add("channelId", "LiveCodeChannelUnknown", "'channelId' names no open channel of this workspace.");
        var ws = db.CurrentWorkspaceId;
        if (input.CampaignId is { } campaign && !await db.Set<Campaigns.Campaign>().AnyAsync(c => c.Id == campaign, ct))
            v.Add("campaignId", "LiveCodeCampaignUnknown", "'campaignId' names no campaign of this workspace.");
        if (input.StaffId is { } staff && !await db.Set<StaffUser>().AnyAsync(s => s.Id == staff && s.WorkspaceId == ws, ct))
            v.Add("staffId", "LiveCodeStaffUnknown", "'staffId' names no staff member of this workspace.");
        if (input.LogoImageId is { } logo && !await db.Set<Calendar.PostImage>().AnyAsync(i => i.Id == logo, ct))
            v.Add("logoImageId", "LiveCodeLogoUnknown", "'logoImageId' names no image in the library (upload it with POST /api/media).");
        var routes = input.Routes ?? [];
        if (routes.Count > 100)
            v.Add("routes", "LiveCodeRoutesMax", "A live code routes to at most 100 communities.");
        var dupes = routes.GroupBy(r => r.CommunityId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (dupes.Count > 0)
            v.Add("routes", "LiveCodeRouteTwice", $"A community is listed twice: {dupes[0]}.", dupes[0]);
        for (var i = 0; i < routes.Count; i++)
            v.MaxLength($"routes[{i}].choice", routes[i].Choice, LiveCodeRoute.ChoiceMaxLength);
        if (policy == RoutingPolicy.ByChoice && routes.All(r => string.IsNullOrWhiteSpace(r.Choice)))
            v.Add("policy", "LiveCodeChoiceWithoutLabels", "'byChoice' needs at least one route with a 'choice' label (a city, a region, a tier).");
        var ids = routes.Select(r => r.CommunityId).Distinct().ToList();
        var communities = await db.Visible(me).Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        for (var i = 0; i < routes.Count; i++)
        {
            if (!communities.TryGetValue(routes[i].CommunityId, out var cm))
                v.Add($"routes[{i}].communityId", "LiveCodeCommunityUnknown", $"'routes[{i}].communityId' names no community you see.", i);
            else if (cm.State == CommunityState.Dissolved)
                v.Add($"routes[{i}].communityId", "LiveCodeCommunityDissolved", $"'{cm.Name}' is dissolved: it takes nobody.", cm.Name);
        }
        // The questions' answers feed template fields (see LandingAnswers): only fields that can hold them.
        var (choiceField, needField) = input.ChoiceField is null && input.NeedField is null ? ((string?)null, (string?)null)
            : LandingAnswers.Check(await Profiles.ProfileTemplates.ReadAsync(db, ct), input.ChoiceField, input.NeedField, input.NeedQuestion, routes.Select(r => r.Choice), v);
        if (!v.IsValid)
            return Desk.Bad<LiveCodeDto>(v);

        LiveCode? code;
        if (id is { } existing)
        {
            code = await Readable(me!).Include(c => c.Routes).SingleOrDefaultAsync(c => c.Id == existing, ct);
            if (code is null)
                return Desk.Missing<LiveCodeDto>();
        }
        else
        {
            code = new LiveCode { Name = "", Code = LiveCode.NewCode(), WorkspaceId = ws };
            db.Add(code);
        }
        code.Name = input.Name!.Trim();
        code.ChannelId = input.ChannelId!.Value;
        code.CampaignId = input.CampaignId;
        code.StaffId = input.StaffId;
        code.Policy = policy;
        code.Target = target;
        code.Limit = limit;
        code.Landing = input.Landing ?? code.Landing;
        code.Title = Blank(input.Title);
        code.Intro = Blank(input.Intro);
        code.ChoiceQuestion = Blank(input.ChoiceQuestion);
        code.NeedQuestion = Blank(input.NeedQuestion);
        code.ChoiceField = choiceField;
        code.NeedField = needField;
        code.CollectPhone = input.CollectPhone ?? code.CollectPhone;
        code.JoinRequests = input.JoinRequests ?? code.JoinRequests;
        code.LogoImageId = input.LogoImageId;
        code.FullSince = null;
        code.UpdatedAt = Now;

        // Routes: kept ones keep their counts; new ones start from the members there now.
        var now = Now;
        var keep = routes.Select(r => r.CommunityId).ToHashSet();
        foreach (var gone in code.Routes.Where(r => !keep.Contains(r.CommunityId)).ToList())
        {
            code.Routes.Remove(gone);
            db.Remove(gone);
            // The upkeep adds WeCom's auto-created groups only when newer than this: staff taking one off is final.
            code.RoutesSetAt = now;
        }
        var fresh = new List<LiveCodeRoute>();
        for (var i = 0; i < routes.Count; i++)
        {
            var input1 = routes[i];
            var route = code.Routes.SingleOrDefault(r => r.CommunityId == input1.CommunityId);
            if (route is null)
            {
                route = new LiveCodeRoute { WorkspaceId = ws, LiveCodeId = code.Id, CommunityId = input1.CommunityId, CreatedAt = now, ReconciledAt = now };
                route.Filled = await db.Memberships.CountAsync(m => m.CommunityId == input1.CommunityId && m.LeftAt == null, ct);
                code.Routes.Add(route);
                fresh.Add(route);
            }
            route.Position = i;
            route.Choice = Blank(input1.Choice);
        }
        var links = await LinkActionsAsync(code, communities, fresh, ct);
        foreach (var route in code.Routes)
            PrepareWayIn(code, route, communities[route.CommunityId], fresh.Contains(route), links);
        await db.SaveChangesAsync(ct);
        directory.Forget(code.Code);
        return Desk.Ok<LiveCodeDto>((await CodeAsync(code.Id, ct))!);
    }

    /// <summary>
    /// Takes one community off a code's routes by saving the code as the editor would with that route left out and the
    /// rest as it is, so positions, validation, ways in and the audit are the editor's. NotFound when the caller may not
    /// edit the code or it does not route there; a conflict when it is the code's only route (a code routing nowhere
    /// would turn every visitor away: staff add another community first).
    /// </summary>
    public async Task<DeskResult<LiveCodeDto>> RemoveRouteAsync(Guid codeId, Guid communityId, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return Desk.Refused<LiveCodeDto>("KOCs cannot change live codes.");
        var code = await Readable(me!).AsNoTracking().Include(c => c.Routes).AsSplitQuery().SingleOrDefaultAsync(c => c.Id == codeId, ct);
        if (code is null || code.Routes.All(r => r.CommunityId != communityId))
            return Desk.Missing<LiveCodeDto>();
        if (code.Routes.Count == 1)
            return Desk.Clash<LiveCodeDto>($"{code.Name} routes only to this community; add another community to it first.");
        var routes = code.Routes.Where(r => r.CommunityId != communityId).OrderBy(r => r.Position).Select(r => new RouteInput(r.CommunityId, r.Choice)).ToList();
        return await SaveCodeAsync(codeId, new LiveCodeInput(code.Name, code.ChannelId, code.CampaignId, code.StaffId, code.Policy.ToString(), code.Target, code.Limit,
            code.Landing, code.Title, code.Intro, code.ChoiceQuestion, code.NeedQuestion, code.CollectPhone, code.JoinRequests, code.LogoImageId, routes,
            code.ChoiceField, code.NeedField), ct);
    }

    private sealed record LinkAction(string Key, ActionStatus Status, string? PlatformIds, DateTime CreatedAt);

    /// <summary>The invite-link actions of the kept Telegram routes' current generations.</summary>
    private async Task<List<LinkAction>> LinkActionsAsync(LiveCode code, Dictionary<Guid, Community> communities, List<LiveCodeRoute> fresh, CancellationToken ct)
    {
        var keys = code.Routes.Where(r => !fresh.Contains(r) && communities[r.CommunityId].Platform == ChatPlatform.Telegram)
            .SelectMany(r => new[] { LiveCodeUpkeep.LinkKey(r.Id, true, r.LinkGeneration), LiveCodeUpkeep.LinkKey(r.Id, false, r.LinkGeneration) }).ToList();
        if (keys.Count == 0)
            return [];
        var ws = code.WorkspaceId;
        return await db.Set<OutboundAction>().IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws && keys.Contains(a.IdempotencyKey))
            .Select(a => new LinkAction(a.IdempotencyKey, a.Status, a.PlatformIds, a.CreatedAt)).ToListAsync(ct);
    }

    /// <summary>
    /// A way in for a route on its platform: the Sandbox's join page at once; a Telegram invite link made through the outbox
    /// (named with the code's key, so joins through it are the code's; approval or a member limit as the code says), copied
    /// onto the route when the dispatcher has made it. WeCom's and personal WeChat's come from join_way and QR uploads.
    /// A kept Telegram route whose link is of the other kind than the code now asks for (join requests or a member limit),
    /// or that has no link and none coming (its action failed), moves to the next link generation: the old link is revoked
    /// and a new one made, copied by the upkeep as a new route's is.
    /// </summary>
    private void PrepareWayIn(LiveCode code, LiveCodeRoute route, Community community, bool isNew, List<LinkAction> links)
    {
        switch (community.Platform)
        {
            case ChatPlatform.Sandbox:
                route.JoinUrl = $"/j/{code.Code}/sandbox/{route.Id}";
                break;
            case ChatPlatform.Telegram when isNew:
                MakeLink(code, route, community, 0);
                break;
            case ChatPlatform.Telegram:
                var request = LiveCodeUpkeep.LinkKey(route.Id, true, route.LinkGeneration);
                var limit = LiveCodeUpkeep.LinkKey(route.Id, false, route.LinkGeneration);
                var mine = links.Where(a => a.Key == request || a.Key == limit).ToList();
                // The link the route has (the action that made it), else the one it waits for (the newest).
                var current = route.JoinUrl is { } url ? mine.FirstOrDefault(a => a.PlatformIds == url) : mine.MaxBy(a => a.CreatedAt);
                var coming = route.JoinUrl is not null || current?.Status is ActionStatus.Queued or ActionStatus.Sending or ActionStatus.Done;
                // A link whose action is gone (or older than the outbox) is taken as the right kind, as before generations.
                var rightKind = current is null || current.Key == (code.JoinRequests ? request : limit);
                if (coming && rightKind)
                    break;
                var old = route.JoinUrl ?? current?.PlatformIds; // made but not copied yet: revoked all the same
                var generation = route.LinkGeneration;
                route.JoinUrl = null; // no way in until the new link is copied (see LiveCodeDirectory.HasWayIn)
                if (old is not null)
                    db.Add(OutboundAction.Create(code.WorkspaceId, community.Id, ActionKind.RevokeInviteLink, new ActionPayload(InviteLink: old),
                        LiveCodeUpkeep.RevokeKey(route.Id, generation)));
                MakeLink(code, route, community, generation + 1);
                break;
        }
    }

    private void MakeLink(LiveCode code, LiveCodeRoute route, Community community, int generation)
    {
        var payload = LiveCodeUpkeep.LinkPayload(code, Math.Min(code.Limit, community.Capacity));
        route.LinkGeneration = generation;
        route.LinkLimit = payload.MemberLimit;
        db.Add(OutboundAction.Create(code.WorkspaceId, community.Id, ActionKind.CreateInviteLink, payload, LiveCodeUpkeep.LinkKey(route.Id, payload.JoinRequest == true, generation)));
    }

    public async Task<DeskResult<LiveCodeDto>> SetStateAsync(Guid id, string? state, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return Desk.Refused<LiveCodeDto>("KOCs cannot change live codes.");
        var v = new Validation();
        var s = v.ParseEnum<LiveCodeState>("state", state);
        if (s is null)
            v.Add("state", "Required", "'state' is required: active, paused or archived.");
        if (!v.IsValid)
            return Desk.Bad<LiveCodeDto>(v);
        var code = await Readable(me!).SingleOrDefaultAsync(c => c.Id == id, ct);
        if (code is null)
            return Desk.Missing<LiveCodeDto>();
        code.State = s!.Value;
        code.UpdatedAt = Now;
        await db.SaveChangesAsync(ct);
        directory.Forget(code.Code);
        return Desk.Ok<LiveCodeDto>((await CodeAsync(id, ct))!);
    }

    private static readonly Images.QrDecoder Decoder = new();

    /// <summary>
    /// A personal WeChat group's QR code for a route (staff screenshot it in the group: WeChat makes it, valid 7 days).
    /// Refused, naming <c>file</c>, unless it is an image holding a WeChat group QR (a link starting
    /// <c>https://weixin.qq.com/g/</c>); kept as a post image, it opens the route until <paramref name="expiresAt"/> (if staff
    /// know it: in the future, within <see cref="LiveCodeOptions.QrLifetime"/>) or until QrLifetime from now. The upkeep
    /// asks for the next one a day before.
    /// </summary>
    public async Task<DeskResult<LiveCodeDto>> UploadQrAsync(Guid id, Guid routeId, string? fileName, byte[]? bytes, string? expiresAt, CancellationToken ct)
    {
        var me = await MeAsync(ct);
        if (!MayRead(me))
            return Desk.Refused<LiveCodeDto>("KOCs cannot change live codes.");
        var code = await Readable(me!).Include(c => c.Routes).ThenInclude(r => r.Community).SingleOrDefaultAsync(c => c.Id == id, ct);
        var route = code?.Routes.SingleOrDefault(r => r.Id == routeId);
        if (code is null || route is null)
            return Desk.Missing<LiveCodeDto>();
        var v = new Validation();
        if (route.Community?.Platform != ChatPlatform.Manual)
            return Desk.Bad<LiveCodeDto>(v.Add("routeId", "LiveCodeQrNotManual", "Group QR codes are uploaded only for personal WeChat (manual) communities."));
        var now = Now;
        var lifetime = directory.Options.QrLifetime;
        var until = now + lifetime;
        if (!string.IsNullOrWhiteSpace(expiresAt))
        {
            if (!DateTimeOffset.TryParse(expiresAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                || at.UtcDateTime <= now || at.UtcDateTime > now + lifetime)
                v.Add("expiresAt", "LiveCodeQrExpiry", $"'expiresAt' must be a time in the future and within {lifetime.TotalDays:0.#} days.", lifetime.TotalDays.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture));
            else
                until = at.UtcDateTime;
        }
        if (bytes is null || bytes.Length == 0)
            v.Add("file", "Required", "'file' (the group's QR code image) is required and must not be empty.");
        if (!v.IsValid)
            return Desk.Bad<LiveCodeDto>(v);
        var scan = Decoder.Scan(bytes, ct);
        string? text = null;
        if (scan.Outcome is Images.QrScanOutcome.NotAnImage)
            v.Add("file", "LiveCodeQrNotAnImage", "'file' is not an image.");
        else if (scan.Outcome is Images.QrScanOutcome.TooLarge)
            v.Add("file", "FileTooLarge", $"'file' is too large ({scan.Reason}).", Calendar.PostImage.MaxBytes, bytes!.Length);
        else if (scan.Codes.Count == 0)
            v.Add("file", "LiveCodeQrNoCode", "No QR code was found in 'file'.");
        else if ((text = scan.Codes.FirstOrDefault(c => c.StartsWith(LiveCodeUpkeep.WeChatGroupQrPrefix, StringComparison.Ordinal))) is null
            || text.Length > LiveCodeRoute.UrlMaxLength)
            v.Add("file", "LiveCodeQrNotGroup", $"The QR code in 'file' is not a WeChat group's (it reads '{Clip(scan.Codes[0], 80)}'; a group's starts {LiveCodeUpkeep.WeChatGroupQrPrefix}).");
        if (!v.IsValid)
            return Desk.Bad<LiveCodeDto>(v);
        var image = await library.UploadAsync(v, fileName, bytes!, ct);
        if (image is null)
            return Desk.Bad<LiveCodeDto>(v);
        route.QrImageId = image.Id;
        route.QrText = text;
        route.QrExpiresAt = until;
        route.QrRefreshAskedAt = null;
        code.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        directory.Forget(code.Code);
        return Desk.Ok<LiveCodeDto>((await CodeAsync(id, ct))!);
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
