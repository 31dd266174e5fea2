using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Microsoft.AspNetCore.Mvc;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Microsoft.Extensions.Localization;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Localization;

namespace Shequn.Features.Members;

public sealed record TagRef(Guid Id, string Name);

/// <summary>A current membership shown in the list, so that members of the same name can be told apart.</summary>
public sealed record MemberGroup(Guid CommunityId, string CommunityName, string? Nickname);

/// <summary>
/// One row of the member directory. <c>joinedAt</c> is the first join into a community the actor sees (when the member
/// was added, for members in none); <c>lastSpokeAt</c> and <c>messages</c> count speaking in those communities only.
/// </summary>
public sealed record MemberListItem(
    Guid Id,
    string DisplayName,
    string? City,
    string? Industry,
    MemberLayer Layer,
    string? Channel,
    IReadOnlyList<TagRef> Tags,
    int CommunityCount,
    DateTime CreatedAt,
    IReadOnlyList<MemberGroup> Groups,
    DateTime JoinedAt,
    DateTime? LastSpokeAt,
    int Messages,
    MemberStage Stage,
    string? Phone = null);

public sealed record MembershipDto(
    Guid Id,
    Guid CommunityId,
    string CommunityName,
    DateTime JoinedAt,
    DateTime? LeftAt,
    string? Nickname,
    string? Channel,
    Guid? InviterMemberId,
    string? InviterName);

public sealed record MemberDto(
    Guid Id,
    string DisplayName,
    string? City,
    string? Industry,
    IReadOnlyList<MemberNeeds> Needs,
    string? Channel,
    string? Organisations,
    MemberLayer Layer,
    IReadOnlyList<TagRef> Tags,
    IReadOnlyList<MembershipDto> Memberships,
    DateTime CreatedAt,
    DateTime? LastSpokeAt = null,
    int Messages = 0,
    MemberStage Stage = MemberStage.New,
    DateTime? StageChangedAt = null,
    bool LegalHold = false,
    string? Phone = null,
    IReadOnlyList<Profiles.ProfileValueDto>? Values = null);

/// <summary>A message the member posted, newest first; <c>deleted</c> when staff, a rule or the sender removed it since.</summary>
public sealed record MemberMessage(DateTime At, Guid? CommunityId, string? CommunityName, MessageKind? Kind, string? Text, bool Deleted);

/// <summary>
/// Filters of the member directory, shared by the list, the export and bulk tagging. <c>communityId</c> matches
/// current members (not those who left); <c>layer</c> takes the JSON spelling (<c>vip</c>) or the enum name, in any case.
/// </summary>
public sealed record MemberFilter(
    string? Q = null,
    Guid? TagId = null,
    Guid? CommunityId = null,
    string? Layer = null,
    string? City = null,
    string? Industry = null,
    string? Stage = null);

/// <summary>
/// The list's query string. <c>sort</c> is one of <c>name</c>, <c>joinedAt</c>, <c>lastSpokeAt</c>, <c>messages</c>;
/// a leading <c>-</c> sorts descending (<c>sort=-lastSpokeAt</c>). Members who never spoke come last either way.
/// </summary>
public sealed record MemberQuery
{
    // Properties, not a positional record: the request delegate generator cannot yet bind a constructor with nullable
    // reference parameters (it writes typeof(string?)).
    [FromQuery(Name = "q")] public string? Q { get; init; }
    [FromQuery(Name = "tagId")] public Guid? TagId { get; init; }
    [FromQuery(Name = "communityId")] public Guid? CommunityId { get; init; }
    [FromQuery(Name = "layer")] public string? Layer { get; init; }
    [FromQuery(Name = "city")] public string? City { get; init; }
    [FromQuery(Name = "industry")] public string? Industry { get; init; }
    [FromQuery(Name = "sort")] public string? Sort { get; init; }
    [FromQuery(Name = "page")] public int? Page { get; init; }
    [FromQuery(Name = "pageSize")] public int? PageSize { get; init; }
    [FromQuery(Name = "stage")] public string? Stage { get; init; }

    public MemberFilter ToFilter() => new(Q, TagId, CommunityId, Layer, City, Industry, Stage);
}

/// <summary>The list's sort orders; the query string spells them in lower camel case.</summary>
public enum MemberSort
{
    Name,
    JoinedAt,
    LastSpokeAt,
    Messages,
}

public static class MemberEndpoints
{
    public static RouteGroupBuilder MapMemberEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/members").WithTags("Members");
        group.MapGet("/", List).WithName("ListMembers")
            .WithDescription("Filters: q (name or group nickname; a phone number, 4 digits or more, matches the end of members' phones: owner and sub-owners only, "
                + "others get a 403 'Phone search not allowed'), tagId, communityId (current members), layer, stage (new, active, silent, churned), city, industry. "
                + "sort: name (default), joinedAt, lastSpokeAt or messages; a leading '-' sorts descending (sort=-lastSpokeAt). "
                + "Members who never spoke come last either way. An unknown value is a 400 naming the parameter.");
        group.MapGet("/export", Export).WithName("ExportMembers")
            .WithDescription("Every member matching the list's filters (all pages), in the list's sort order. "
                + "format=csv (default; UTF-8 with BOM, cells starting with = + - @ prefixed with an apostrophe) or format=xlsx.");
        group.MapGet("/{id:guid}", Get).WithName("GetMember");
        group.MapGet("/{id:guid}/messages", Messages).WithName("ListMemberMessages");
        group.MapPost("/", Create).WithName("CreateMember");
        group.MapPut("/{id:guid}", Update).WithName("UpdateMember");
        group.MapGet("/{id:guid}/personal-data", PersonalDataExport).WithName("ExportMemberPersonalData")
            .WithSummary("Everything held about the member (PIPL access and portability): owner and sub-owners; each export is audited")
            .WithDescription("format=json (default) or format=csv: one row per item (section, at, where, field, value), UTF-8 with BOM, formula-safe.");
        group.MapGet("/{id:guid}/consents", ConsentList).WithName("ListMemberConsents")
            .WithSummary("The consents the member gave on public pages (notice, version, time, page, address, browser) and their withdrawal: owner and sub-owners");
        group.MapPost("/{id:guid}/consent/withdraw", WithdrawConsent).WithName("WithdrawMemberConsent")
            .WithSummary("Record that the member withdrew their consent: owner and sub-owners")
            .WithDescription("Closes every open consent and marks the member: queued private VIP invitations are cancelled, friend adds of their phone "
                + "skipped, and nothing targets them until they consent again on a public page. Group messages to everyone go on. Audited.");
        group.MapPut("/{id:guid}/legal-hold", LegalHold).WithName("SetMemberLegalHold")
            .WithSummary("Put the member under a legal hold (no erasure) or lift it: owner only");
        group.MapPost("/{id:guid}/erase", Erase).WithName("EraseMember")
            .WithSummary("Erase the member's personal data (owner only; 409 under a legal hold)")
            .WithDescription("Deletes the member, their memberships, platform identities, tags and activity; removes their names and texts from the "
                + "event log and rule cases (their platform id there becomes one pseudonym). Daily figures are kept. One transaction.");
        return group;
    }

    public static async Task<Results<Ok<PersonalDataExport>, FileContentHttpResult, ValidationProblem, NotFound, ProblemHttpResult>> PersonalDataExport(
        PersonalData data, Guid id, string? format, CancellationToken ct)
    {
        var csv = string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        if (!csv && format is not null && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
            return new Validation().Add("format", "UnknownFormat", $"'format' must be json or csv, not '{format}'.", format).Problem();
        var (outcome, export) = await data.ExportAsync(id, ct, csv ? "csv" : "json");
        return outcome switch
        {
            PersonalDataOutcome.Done when csv => TypedResults.File(Platform.Exports.ExportFiles.Csv(PersonalDataCsv.Sheet(export!)), Platform.Exports.ExportFiles.CsvType,
                $"member-{id:N}.csv"),
            PersonalDataOutcome.Done => TypedResults.Ok(export!),
            PersonalDataOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<IReadOnlyList<PersonalConsent>>, NotFound, ProblemHttpResult>> ConsentList(PersonalData data, Guid id, CancellationToken ct)
    {
        var (outcome, consents) = await data.ConsentsAsync(id, ct);
        return outcome switch
        {
            PersonalDataOutcome.Done => TypedResults.Ok(consents!),
            PersonalDataOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<WithdrawalResult>, NotFound, ProblemHttpResult>> WithdrawConsent(PersonalData data, Guid id, CancellationToken ct)
    {
        var (outcome, result) = await data.WithdrawConsentAsync(id, ct);
        return outcome switch
        {
            PersonalDataOutcome.Done => TypedResults.Ok(result!),
            PersonalDataOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> LegalHold(PersonalData data, Guid id, LegalHoldInput input, CancellationToken ct) =>
        await data.SetLegalHoldAsync(id, input, ct) switch
        {
            PersonalDataOutcome.Done => TypedResults.NoContent(),
            PersonalDataOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };

    public static async Task<Results<Ok<ErasureResult>, NotFound, ProblemHttpResult>> Erase(PersonalData data, Guid id, CancellationToken ct)
    {
        var (outcome, result) = await data.EraseAsync(id, ct);
        return outcome switch
        {
            PersonalDataOutcome.Done => TypedResults.Ok(result!),
            PersonalDataOutcome.NotFound => TypedResults.NotFound(),
            PersonalDataOutcome.Held => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Under a legal hold",
                detail: "The member is under a legal hold: their data cannot be erased until the owner lifts it (PUT /api/members/{id}/legal-hold)."),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    /// <summary>The console's download of the list as the person sees it (their cookie, their language); not part of the API.</summary>
    public static IEndpointRouteBuilder MapMemberDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/members/export", ConsoleExport).RequireAuthorization().ExcludeFromDescription();
        app.MapGet("/members/{id:guid}/personal-data", ConsolePersonalData).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// Every member matching the list's filters (not one page), in the list's order, as <c>csv</c> (UTF-8 with BOM,
    /// cells that a spreadsheet would run as formulas are prefixed with an apostrophe) or <c>xlsx</c>.
    /// </summary>
    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Export(
        AppDbContext db, Shequn.Features.Workspaces.WorkspaceClock clock, string? format, string? q, Guid? tagId, Guid? communityId, string? layer, string? city, string? industry, string? sort,
        string? stage, CancellationToken ct)
    {
        if (RefusesPhoneSearch(await db.Current.GetProfileAsync(db, ct), q))
            return PhoneSearchRefused();
        var (file, validation) = await MemberExport.BuildAsync(
            db, new MemberFilter(q, tagId, communityId, layer, city, industry, stage), sort, format, MemberExportLabels.Api, clock.Zone, ct);
        return file is null ? validation.Problem() : TypedResults.File(file.Content, file.ContentType, file.FileName);
    }

    private static async Task<IResult> ConsolePersonalData(PersonalData data, Guid id, string? format, CancellationToken ct)
    {
        var csv = string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase);
        var (outcome, export) = await data.ExportAsync(id, ct, csv ? "csv" : "json");
        if (outcome != PersonalDataOutcome.Done)
            return outcome == PersonalDataOutcome.NotFound ? TypedResults.NotFound() : TypedResults.Forbid();
        if (csv)
            return TypedResults.File(Platform.Exports.ExportFiles.Csv(PersonalDataCsv.Sheet(export!)), Platform.Exports.ExportFiles.CsvType, $"member-{id:N}.csv");
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(export, ConsoleJson);
        return TypedResults.File(json, "application/json", $"member-{id:N}.json");
    }

    private static readonly System.Text.Json.JsonSerializerOptions ConsoleJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
    };

    private static async Task<IResult> ConsoleExport(
        AppDbContext db, Shequn.Features.Workspaces.WorkspaceClock clock, IStringLocalizer<Strings> l, string? format, string? q, Guid? tagId, Guid? communityId, string? layer, string? city,
        string? industry, string? sort, string? stage, CancellationToken ct)
    {
        var labels = new MemberExportLabels(h => l[$"Members.Export.{h}"], v => l[$"MemberLayer.{v}"]);
        var (file, validation) = await MemberExport.BuildAsync(db, new MemberFilter(q, tagId, communityId, layer, city, industry, stage), sort, format, labels, clock.Zone, ct);
        return file is null
            ? TypedResults.BadRequest(string.Join(" ", validation.Localized(l).SelectMany(e => e.Value)))
            : TypedResults.File(file.Content, file.ContentType, file.FileName);
    }

    public static async Task<Results<Ok<Page<MemberListItem>>, ValidationProblem, ProblemHttpResult>> List(
        AppDbContext db, [AsParameters] MemberQuery query, CancellationToken ct)
    {
        var validation = new Validation();
        var sort = ParseSort(validation, query.Sort);
        var me = await db.Current.GetProfileAsync(db, ct);
        if (RefusesPhoneSearch(me, query.Q))
            return PhoneSearchRefused();
        var members = db.FilteredMembers(me, query.ToFilter(), validation);
        if (!validation.IsValid)
            return validation.Problem();
        var page = await db.Rows(me, members, sort).ToPageAsync(query.Page, query.PageSize, ct);
        // Personal data (PIPL): phone numbers are masked in lists for everyone; the owner and sub-owners reveal one at a time.
        return TypedResults.Ok(page with { Items = [.. page.Items.Select(i => i with { Phone = Profiles.ProfileValues.Mask(i.Phone) })] });
    }

    /// <summary>
    /// A search that reads as a phone number (digits with spaces, + - ( ), at least 4 digits) matches the end of members'
    /// phones, written with or without separators: the last 4 digits (尾号, what the masked number shows anyway) or a
    /// whole number, with or without its country code (its last 11 digits are compared).
    /// Only roles that may see phone numbers (<see cref="MaySearchPhones"/>) search by phone: for a role that sees them
    /// masked, ever longer endings would read the hidden digits one at a time from what matches.
    /// </summary>
    internal static string? PhoneTail(string q)
    {
        if (q.Any(c => !(char.IsAsciiDigit(c) || c is '+' or '-' or ' ' or '(' or ')')))
            return null;
        var digits = new string([.. q.Where(char.IsAsciiDigit)]);
        return digits.Length < 4 ? null : digits.Length > 11 ? digits[^11..] : digits;
    }

    /// <summary>Searching by phone number is for the roles that may see phone numbers: the owner and sub-owners.</summary>
    public static bool MaySearchPhones(StaffProfile? me) => Profiles.ProfileValues.MayReveal(me);

    /// <summary>Whether <paramref name="q"/> reads as a phone number (see <see cref="PhoneTail"/>).</summary>
    public static bool IsPhoneSearch(string? q) => !string.IsNullOrWhiteSpace(q) && PhoneTail(q.Trim()) is not null;

    /// <summary>Whether <paramref name="q"/> reads as a phone number that <paramref name="me"/> may not search by.</summary>
    public static bool RefusesPhoneSearch(StaffProfile? me, string? q) => IsPhoneSearch(q) && !MaySearchPhones(me);

    internal const string PhoneSearchRefusal =
        "Searching members by phone number is for roles that may see phone numbers (owner and sub-owners); your role sees them masked. "
        + "Search by name or group nickname instead.";

    internal static ProblemHttpResult PhoneSearchRefused() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Phone search not allowed", detail: PhoneSearchRefusal);

    /// <summary>
    /// The visible members matching the filter; field errors go to <paramref name="validation"/>, named with
    /// <paramref name="fieldPrefix"/> when the filter sits inside a request body (<c>filter.layer</c>).
    /// </summary>
    internal static IQueryable<Member> FilteredMembers(this AppDbContext db, StaffProfile? me, MemberFilter filter, Validation validation, string fieldPrefix = "")
    {
        var layer = validation.ParseEnum<MemberLayer>(fieldPrefix + "layer", filter.Layer);
        var stage = validation.ParseEnum<MemberStage>(fieldPrefix + "stage", filter.Stage);
        var members = db.VisibleMembers(me);
        if (!string.IsNullOrWhiteSpace(filter.Q))
        {
            var q = filter.Q.Trim().ToLower();
            var tail = PhoneTail(q);
            if (tail is not null && !MaySearchPhones(me))
                validation.Add(fieldPrefix + "q", "PhoneSearchNotAllowed", PhoneSearchRefusal);
#pragma warning disable CA1862 // The StringComparison overloads do not translate to SQL; ToLower() does on both providers.
            members = tail is null
                ? members.Where(m => m.DisplayName.ToLower().Contains(q)
                    || m.Memberships.Any(ms => ms.Nickname != null && ms.Nickname.ToLower().Contains(q)))
                : members.Where(m => m.DisplayName.ToLower().Contains(q)
                    || m.Memberships.Any(ms => ms.Nickname != null && ms.Nickname.ToLower().Contains(q))
                    || (m.Phone != null && m.Phone.Replace(" ", "").Replace("-", "").Replace("(", "").Replace(")", "").EndsWith(tail)));
#pragma warning restore CA1862
        }
        if (filter.TagId is { } tagId)
            members = members.Where(m => m.Tags.Any(t => t.TagId == tagId));
        if (filter.CommunityId is { } communityId)
        {
            // Filtering by a community the actor may not see would reveal who is in it.
            members = me is not null && me.Sees(communityId)
                ? members.Where(m => m.Memberships.Any(ms => ms.CommunityId == communityId && ms.LeftAt == null))
                : members.Where(_ => false);
        }
        if (layer is not null)
            members = members.Where(m => m.Layer == layer);
        if (stage is not null)
            members = members.Where(m => m.Stage == stage);
        if (!string.IsNullOrWhiteSpace(filter.City))
        {
            var city = filter.City.Trim();
            members = members.Where(m => m.City == city);
        }
        if (!string.IsNullOrWhiteSpace(filter.Industry))
        {
            var industry = filter.Industry.Trim();
            members = members.Where(m => m.Industry == industry);
        }
        return members;
    }

    /// <summary>Reads <c>sort</c> (<c>lastSpokeAt</c>, <c>-lastSpokeAt</c>, any case); blank means by name.</summary>
    internal static (MemberSort By, bool Descending) ParseSort(Validation validation, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (MemberSort.Name, false);
        var trimmed = text.Trim();
        var descending = trimmed.StartsWith('-');
        var name = descending ? trimmed[1..] : trimmed;
        if (Enum.TryParse<MemberSort>(name, ignoreCase: true, out var by) && Enum.IsDefined(by) && !name.Any(char.IsDigit))
            return (by, descending);
        validation.Add("sort", "UnknownSort",
            $"'sort' has an unknown value '{text}'. Use name, joinedAt, lastSpokeAt or messages, with a leading '-' for descending.", text);
        return (MemberSort.Name, false);
    }

    /// <summary>
    /// The list rows in the requested order. Activity and memberships count only communities the actor sees;
    /// members who never spoke sort last in both directions (the providers disagree on where NULLs go).
    /// </summary>
    internal static IQueryable<MemberListItem> Rows(this AppDbContext db, StaffProfile? me, IQueryable<Member> members, (MemberSort By, bool Descending) sort)
    {
        var (all, assigned) = Scope(me);
        var activity = db.Set<MemberActivity>();
        var rows = members.Select(m => new
        {
            Member = m,
            JoinedAt = m.Memberships.Where(ms => all || assigned.Contains(ms.CommunityId)).Min(ms => (DateTime?)ms.JoinedAt) ?? m.CreatedAt,
            LastSpokeAt = activity.Where(a => a.MemberId == m.Id && (all || assigned.Contains(a.CommunityId))).Max(a => (DateTime?)a.LastSpokeAt),
            Messages = activity.Where(a => a.MemberId == m.Id && (all || assigned.Contains(a.CommunityId))).Sum(a => (int?)a.Messages) ?? 0,
        });
        var ordered = (sort.By, sort.Descending) switch
        {
            (MemberSort.JoinedAt, false) => rows.OrderBy(r => r.JoinedAt),
            (MemberSort.JoinedAt, true) => rows.OrderByDescending(r => r.JoinedAt),
            (MemberSort.LastSpokeAt, false) => rows.OrderBy(r => r.LastSpokeAt == null).ThenBy(r => r.LastSpokeAt),
            (MemberSort.LastSpokeAt, true) => rows.OrderBy(r => r.LastSpokeAt == null).ThenByDescending(r => r.LastSpokeAt),
            (MemberSort.Messages, false) => rows.OrderBy(r => r.Messages),
            (MemberSort.Messages, true) => rows.OrderByDescending(r => r.Messages),
            (_, false) => rows.OrderBy(r => r.Member.DisplayName),
            (_, true) => rows.OrderByDescending(r => r.Member.DisplayName),
        };
        return ordered.ThenBy(r => r.Member.DisplayName).ThenBy(r => r.Member.Id)
            .Select(r => new MemberListItem(
                r.Member.Id, r.Member.DisplayName, r.Member.City, r.Member.Industry, r.Member.Layer, r.Member.Channel,
                r.Member.Tags.OrderBy(t => t.Tag!.Name).Select(t => new TagRef(t.TagId, t.Tag!.Name)).ToList(),
                r.Member.Memberships.Count(ms => ms.LeftAt == null && (all || assigned.Contains(ms.CommunityId))),
                r.Member.CreatedAt,
                r.Member.Memberships
                    .Where(ms => ms.LeftAt == null && (all || assigned.Contains(ms.CommunityId)))
                    .OrderBy(ms => ms.JoinedAt)
                    .Select(ms => new MemberGroup(ms.CommunityId, ms.Community!.Name, ms.Nickname))
                    .ToList(),
                r.JoinedAt, r.LastSpokeAt, r.Messages, r.Member.Stage, r.Member.Phone));
    }

    public static async Task<Results<Ok<MemberDto>, NotFound>> Get(AppDbContext db, Guid id, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var dto = await ReadAsync(db, me, id, ct);
        return dto is null ? TypedResults.NotFound() : TypedResults.Ok(dto);
    }

    /// <summary>The member's latest messages (at most <c>limit</c>, default 20, up to 100) in communities the actor sees.</summary>
    public static async Task<Results<Ok<IReadOnlyList<MemberMessage>>, NotFound, ValidationProblem>> Messages(
        AppDbContext db, Guid id, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > MaxRecentMessages)
            return new Validation().Add("limit", "OutOfRange", $"'limit' must be between 1 and {MaxRecentMessages}.", 1, MaxRecentMessages).Problem();
        var me = await db.Current.GetProfileAsync(db, ct);
        var messages = await RecentMessagesAsync(db, me, id, limit ?? 20, ct);
        return messages is null ? TypedResults.NotFound() : TypedResults.Ok(messages);
    }

    public const int MaxRecentMessages = 100;

    /// <summary>
    /// Read from the event log by the member's platform identities, newest first, keeping only communities the actor
    /// sees (by Shequn id, or by the platform chat mapped to one). Null when the member is not visible.
    /// REVIEW: the log has no index on the sender (every index costs on the ingest path), so this walks the log back from
    /// the newest event (about 0.1 s over the demo's 300,000 events for a quiet member); <see cref="MemberActivity"/>
    /// skips members who never spoke. An index on (UserId) would make it instant if member pages ever need that.
    /// </summary>
    internal static async Task<IReadOnlyList<MemberMessage>?> RecentMessagesAsync(AppDbContext db, StaffProfile? me, Guid id, int limit, CancellationToken ct)
    {
        if (!await db.VisibleMembers(me).AnyAsync(m => m.Id == id, ct))
            return null;
        var ws = db.CurrentWorkspaceId;
        var (all, assigned) = Scope(me);
        if (!await db.Set<MemberActivity>().AnyAsync(a => a.MemberId == id && (all || assigned.Contains(a.CommunityId)), ct))
            return [];
        var communities = await db.Visible(me).Select(c => new { c.Id, c.Name }).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var visibleIds = communities.Keys.ToList();
        var identities = await db.Set<MemberIdentity>().Where(i => i.MemberId == id && i.WorkspaceId == ws)
            .Select(i => new { i.Platform, i.UserId }).ToListAsync(ct);
        var chats = await db.Set<PlatformChat>().Where(p => p.WorkspaceId == ws && visibleIds.Contains(p.CommunityId))
            .Select(p => new { p.Platform, p.ChatId, p.CommunityId }).ToListAsync(ct);

        // Workspace scoping comes from the visible community ids (or, for platform chats, a workspace test inside the OR):
        // a top-level WorkspaceId test would send SQLite to the dedupe index and a sort of the whole workspace's log,
        // where this way it walks the log backwards by Seq and stops at the limit.
        var found = new List<(CommunityEvent Event, Guid? CommunityId)>();
        foreach (var identity in identities)
        {
            var chatIds = chats.Where(c => c.Platform == identity.Platform).Select(c => c.ChatId).ToList();
            var rows = await db.Set<CommunityEvent>().AsNoTracking()
                .Where(e => e.UserId == identity.UserId && e.Platform == identity.Platform && e.Kind == EventKind.MessagePosted
                    && ((e.CommunityId != null && visibleIds.Contains(e.CommunityId.Value))
                        || (e.WorkspaceId == ws && e.ChatId != null && chatIds.Contains(e.ChatId))))
                .OrderByDescending(e => e.Seq).Take(limit)
                .ToListAsync(ct);
            found.AddRange(rows.Select(e => (e, e.CommunityId ?? chats.FirstOrDefault(c => c.Platform == e.Platform && c.ChatId == e.ChatId)?.CommunityId)));
        }
        var latest = found.OrderByDescending(f => f.Event.OccurredAt).ThenByDescending(f => f.Event.Seq).Take(limit).ToList();
        var messageIds = latest.Where(f => f.Event.MessageId is not null).Select(f => f.Event.MessageId!).Distinct().ToList();
        var allChatIds = chats.Select(c => c.ChatId).ToList();
        var since = latest.Count == 0 ? 0 : latest.Min(f => f.Event.Seq);
        var deleted = messageIds.Count == 0 ? [] : (await db.Set<CommunityEvent>().AsNoTracking()
                .Where(e => e.Seq > since && e.Kind == EventKind.MessageDeleted && messageIds.Contains(e.MessageId!)
                    && ((e.CommunityId != null && visibleIds.Contains(e.CommunityId.Value))
                        || (e.WorkspaceId == ws && e.ChatId != null && allChatIds.Contains(e.ChatId))))
                .Select(e => new { e.Platform, e.MessageId })
                .ToListAsync(ct))
            .Select(e => (e.Platform, e.MessageId!)).ToHashSet();
        return [.. latest.Select(f => new MemberMessage(
            f.Event.OccurredAt, f.CommunityId, f.CommunityId is { } c && communities.TryGetValue(c, out var name) ? name : null,
            f.Event.MessageKind, f.Event.Text, f.Event.MessageId is { } mid && deleted.Contains((f.Event.Platform, mid))))];
    }

    public static async Task<Results<Created<MemberDto>, ValidationProblem, ProblemHttpResult>> Create(
        MemberEditor editor, AppDbContext db, NewMemberInput input, CancellationToken ct)
    {
        var result = await editor.CreateAsync(input, ct);
        if (result.Outcome == EditOutcome.Saved)
        {
            var dto = await ReadAsync(db, await db.Current.GetProfileAsync(db, ct), result.Member!.Id, ct);
            return TypedResults.Created($"/api/members/{dto!.Id}", dto);
        }
        return result.Outcome == EditOutcome.Invalid ? result.Validation.Problem() : CommunityEndpoints.Forbidden();
    }

    public static async Task<Results<Ok<MemberDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        MemberEditor editor, AppDbContext db, Guid id, MemberInput input, CancellationToken ct)
    {
        var result = await editor.UpdateAsync(id, input, ct);
        return result.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok((await ReadAsync(db, await db.Current.GetProfileAsync(db, ct), id, ct))!),
            EditOutcome.Invalid => result.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    /// <summary>
    /// Members the acting staff member may see: all for the owner, otherwise those with a membership
    /// (current or past) in a community assigned to them.
    /// </summary>
    public static IQueryable<Member> VisibleMembers(this AppDbContext db, StaffProfile? me)
    {
        if (me is null)
            return db.Members.Where(_ => false);
        if (me.SeesAllCommunities)
            return db.Members;
        var assigned = me.AssignedCommunityIds.ToArray();
        return db.Members.Where(m => m.Memberships.Any(ms => assigned.Contains(ms.CommunityId)));
    }

    /// <summary>The member as the actor may see them: memberships only in communities visible to the actor.</summary>
    internal static async Task<MemberDto?> ReadAsync(AppDbContext db, StaffProfile? me, Guid id, CancellationToken ct)
    {
        var (all, assigned) = Scope(me);
        var row = await db.VisibleMembers(me).Where(m => m.Id == id).Select(m => new
        {
            m.Id,
            m.DisplayName,
            m.City,
            m.Industry,
            m.Needs,
            m.Channel,
            m.Organisations,
            m.Layer,
            m.CreatedAt,
            m.Stage,
            m.StageChangedAt,
            m.LegalHold,
            m.Phone,
            LastSpokeAt = db.Set<MemberActivity>().Where(a => a.MemberId == m.Id && (all || assigned.Contains(a.CommunityId))).Max(a => (DateTime?)a.LastSpokeAt),
            Messages = db.Set<MemberActivity>().Where(a => a.MemberId == m.Id && (all || assigned.Contains(a.CommunityId))).Sum(a => (int?)a.Messages) ?? 0,
            Tags = m.Tags.OrderBy(t => t.Tag!.Name).Select(t => new TagRef(t.TagId, t.Tag!.Name)).ToList(),
            Memberships = m.Memberships
                .Where(ms => all || assigned.Contains(ms.CommunityId))
                .OrderByDescending(ms => ms.JoinedAt)
                .Select(ms => new MembershipDto(
                    ms.Id, ms.CommunityId, ms.Community!.Name, ms.JoinedAt, ms.LeftAt, ms.Nickname, ms.Channel,
                    ms.InviterMemberId, ms.Inviter == null ? null : ms.Inviter.DisplayName))
                .ToList(),
        }).AsSplitQuery().SingleOrDefaultAsync(ct);
        return row is null ? null : new MemberDto(
            row.Id, row.DisplayName, row.City, row.Industry, SplitNeeds(row.Needs), row.Channel, row.Organisations, row.Layer,
            row.Tags, row.Memberships, row.CreatedAt, row.LastSpokeAt, row.Messages, row.Stage, row.StageChangedAt, row.LegalHold,
            Profiles.ProfileValues.Mask(row.Phone), await Profiles.ProfileValues.ReadAsync(db, row.Id, plain: false, ct));
    }

    public static IReadOnlyList<MemberNeeds> SplitNeeds(MemberNeeds needs) =>
        Enum.GetValues<MemberNeeds>().Where(n => n != MemberNeeds.None && needs.HasFlag(n)).ToList();

    private static (bool All, Guid[] Assigned) Scope(StaffProfile? me) =>
        (me?.SeesAllCommunities == true, me?.AssignedCommunityIds.ToArray() ?? []);
}
