using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Tags;
using Shequn.Platform.Api;

namespace Shequn.Features.Members;

/// <summary>
/// Profile fields of seed 002's info template; PUT replaces all of them except <c>phone</c> and <c>values</c>: a null
/// phone, a phone sent back masked as it was shown (138****5678), and template fields left out of <c>values</c> stay as
/// they are; an empty string clears. <c>values</c> holds the template's other fields by key (see /api/profile-template).
/// </summary>
public sealed record MemberInput(
    string? DisplayName,
    string? City,
    string? Industry,
    IReadOnlyList<MemberNeeds>? Needs,
    string? Channel,
    string? Organisations,
    MemberLayer Layer,
    string? Phone = null,
    IReadOnlyDictionary<string, string?>? Values = null);

/// <summary>A join recorded by hand (or imported): the community, when, under which group nickname, from where, invited by whom.</summary>
public sealed record MembershipInput(
    Guid CommunityId,
    DateTime? JoinedAt,
    string? Nickname,
    string? Channel,
    Guid? InviterMemberId);

public sealed record NewMemberInput(
    string? DisplayName,
    string? City,
    string? Industry,
    IReadOnlyList<MemberNeeds>? Needs,
    string? Channel,
    string? Organisations,
    MemberLayer Layer,
    MembershipInput? Membership,
    IReadOnlyList<Guid>? TagIds,
    string? Phone = null,
    IReadOnlyDictionary<string, string?>? Values = null)
{
    public MemberInput Profile => new(DisplayName, City, Industry, Needs, Channel, Organisations, Layer, Phone, Values);
}

public sealed record MemberSaveResult(EditOutcome Outcome, Member? Member, Validation Validation);

/// <summary>Creates members and edits their profiles for the console and the API with the same rules.</summary>
public sealed class MemberEditor(AppDbContext db)
{
    public async Task<MemberSaveResult> CreateAsync(NewMemberInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanEditMembers)
            return new(EditOutcome.Forbidden, null, validation);

        ValidateProfile(validation, input.Profile);
        var values = await CheckValuesAsync(validation, input.Profile, null, ct);
        await CheckRequiredAsync(validation, input.Profile, null, values, ct);
        if (input.Membership is { } join)
            await ValidateMembershipAsync(validation, join, ct);
        else if (!me.SeesAllCommunities)
            // Staff who see only their communities would lose sight of a member who is in none of them.
            validation.Add("membership", "MembershipRequired", "'membership' is required: you see only members of your communities.");
        var tagIds = (input.TagIds ?? []).Distinct().ToList();
        if (tagIds.Count > 0)
        {
            var known = await db.Tags.Where(t => tagIds.Contains(t.Id)).Select(t => t.Id).ToListAsync(ct);
            foreach (var missing in tagIds.Except(known))
                validation.Add("tagIds", "UnknownTag", $"Unknown tag '{missing}'.", missing);
        }
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var member = new Member { DisplayName = input.DisplayName!.Trim() };
        Apply(member, input.Profile);
        db.Members.Add(member);
        await Profiles.ProfileValues.ApplyAsync(db, member, values, ct);
        if (input.Membership is { } m)
        {
            member.Memberships.Add(new Membership
            {
                CommunityId = m.CommunityId,
                MemberId = member.Id,
                JoinedAt = m.JoinedAt?.ToUniversalTime() ?? DateTime.UtcNow,
                Nickname = Blank(m.Nickname),
                Channel = Blank(m.Channel),
                InviterMemberId = m.InviterMemberId,
            });
        }
        foreach (var tagId in tagIds)
            member.Tags.Add(new MemberTag { MemberId = member.Id, TagId = tagId });
        await db.SaveChangesAsync(ct);
        // A phone left on a live code's landing page now has its member: the answers fill what staff left empty.
        if (member.Phone is not null)
        {
            await Acquisition.LandingAnswers.MatchAsync(db, member, ct);
            // Orders bought with this phone before the member was known become theirs.
            await Orders.OrderMatching.MatchPhoneAsync(db, member, ct);
        }
        return new(EditOutcome.Saved, member, validation);
    }

    public async Task<MemberSaveResult> UpdateAsync(Guid id, MemberInput input, CancellationToken ct = default)
    {
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null || !me.CanEditMembers)
            return new(EditOutcome.Forbidden, null, validation);
        var member = await db.VisibleMembers(me).SingleOrDefaultAsync(m => m.Id == id, ct);
        if (member is null)
            return new(EditOutcome.NotFound, null, validation);

        ValidateProfile(validation, input);
        var values = await CheckValuesAsync(validation, input, member, ct);
        await CheckRequiredAsync(validation, input, member, values, ct);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);

        var phoneBefore = member.Phone;
        member.DisplayName = input.DisplayName!.Trim();
        Apply(member, input);
        await Profiles.ProfileValues.ApplyAsync(db, member, values, ct);
        await db.SaveChangesAsync(ct);
        if (member.Phone is not null && member.Phone != phoneBefore)
        {
            await Acquisition.LandingAnswers.MatchAsync(db, member, ct);
            await Orders.OrderMatching.MatchPhoneAsync(db, member, ct);
        }
        return new(EditOutcome.Saved, member, validation);
    }

    private static void ValidateProfile(Validation validation, MemberInput input)
    {
        validation.Required("displayName", input.DisplayName?.Trim(), Member.NameMaxLength)
            .MaxLength("city", input.City?.Trim(), Member.FieldMaxLength)
            .MaxLength("industry", input.Industry?.Trim(), Member.FieldMaxLength)
            .MaxLength("channel", input.Channel?.Trim(), Member.FieldMaxLength)
            .MaxLength("organisations", input.Organisations?.Trim(), Member.FieldMaxLength)
            .Defined("layer", input.Layer);
        foreach (var need in input.Needs ?? [])
        {
            if (need == MemberNeeds.None || !Enum.IsDefined(need))
                validation.Add("needs", "UnknownValue", $"'needs' has an unknown value '{need}'.", need);
        }
    }

    /// <summary>The phone (field <c>phone</c>) and template values (<c>values.{key}</c>), checked against the template.</summary>
    private async Task<Dictionary<string, string?>> CheckValuesAsync(Validation validation, MemberInput input, Member? member, CancellationToken ct)
    {
        if (input.Phone is null && (input.Values is null || input.Values.Count == 0))
            return [];
        var template = await Profiles.ProfileTemplates.ReadAsync(db, ct);
        var given = new Dictionary<string, string?>(input.Values ?? new Dictionary<string, string?>(), StringComparer.Ordinal);
        if (member is not null && given.Count > 0)
        {
            // Values sent back masked, as GET showed them, stay as they are.
            var stored = await db.Set<Profiles.MemberFieldValue>().Where(v => v.MemberId == member.Id && v.WorkspaceId == member.WorkspaceId)
                .ToDictionaryAsync(v => v.Key, v => v.Value, ct);
            foreach (var key in given.Keys.ToList())
            {
                if (Profiles.ProfileValues.IsMaskOf(given[key], stored.GetValueOrDefault(key)))
                    given.Remove(key);
            }
        }
        var values = Profiles.ProfileTemplates.Check(template, given, validation, "values.", requireAll: false);
        if (input.Phone is not null && !(member is not null && Profiles.ProfileValues.IsMaskOf(input.Phone, member.Phone)))
        {
            var phone = Profiles.ProfileTemplates.Check(template, new Dictionary<string, string?> { [Profiles.ProfileBuiltins.Phone] = input.Phone }, validation, "", requireAll: false);
            values[Profiles.ProfileBuiltins.Phone] = phone.GetValueOrDefault(Profiles.ProfileBuiltins.Phone);
        }
        return values;
    }

    /// <summary>
    /// The template's required fields, as the member's form requires them, for what a staff edit changes: a required
    /// field may not be cleared, nor sent blank. A member Shequn met in a chat knows nothing of the template yet, so a
    /// required field that was never filled does not block other edits (layer, name); what staff write must be whole.
    /// Errors name the field as the request does (<c>city</c>, <c>needs</c>, <c>phone</c>, <c>values.{key}</c>).
    /// </summary>
    private async Task CheckRequiredAsync(Validation validation, MemberInput input, Member? member, Dictionary<string, string?> values, CancellationToken ct)
    {
        var template = await Profiles.ProfileTemplates.ReadAsync(db, ct);
        foreach (var f in template.Fields.Where(f => f.Required))
        {
            var (field, cleared) = f.Key switch
            {
                Profiles.ProfileBuiltins.City => ("city", Blank(input.City) is null && member?.City is not null),
                Profiles.ProfileBuiltins.Industry => ("industry", Blank(input.Industry) is null && member?.Industry is not null),
                Profiles.ProfileBuiltins.Organisations => ("organisations", Blank(input.Organisations) is null && member?.Organisations is not null),
                Profiles.ProfileBuiltins.Channel => ("channel", Blank(input.Channel) is null && member?.Channel is not null),
                Profiles.ProfileBuiltins.Needs => ("needs", (input.Needs ?? []).Count == 0 && member is not null && member.Needs != MemberNeeds.None),
                Profiles.ProfileBuiltins.Phone => ("phone", values.TryGetValue(f.Key, out var phone) && phone is null),
                _ => ("values." + f.Key, values.TryGetValue(f.Key, out var value) && value is null),
            };
            if (cleared && !validation.Errors.ContainsKey(field))
                validation.Add(field, "ProfileRequired", $"'{field}' is required by the profile template: it cannot be left blank.");
        }
    }

    private async Task ValidateMembershipAsync(Validation validation, MembershipInput join, CancellationToken ct)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!await db.Visible(me).AnyAsync(c => c.Id == join.CommunityId, ct))
            validation.Add("membership.communityId", "UnknownMembershipCommunity", $"Unknown community '{join.CommunityId}'.", join.CommunityId);
        validation.MaxLength("membership.nickname", join.Nickname?.Trim(), Member.NameMaxLength)
            .MaxLength("membership.channel", join.Channel?.Trim(), Member.FieldMaxLength);
        if (join.InviterMemberId is { } inviter && !await db.VisibleMembers(me).AnyAsync(m => m.Id == inviter, ct))
            validation.Add("membership.inviterMemberId", "UnknownMember", $"Unknown member '{inviter}'.", inviter);
    }

    private static void Apply(Member member, MemberInput input)
    {
        member.City = Blank(input.City);
        member.Industry = Blank(input.Industry);
        member.Needs = (input.Needs ?? []).Aggregate(MemberNeeds.None, (all, n) => all | n);
        member.Channel = Blank(input.Channel);
        member.Organisations = Blank(input.Organisations);
        member.Layer = input.Layer;
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
