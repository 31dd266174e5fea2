using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Scripts;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Features.Ritual;

/// <summary>
/// A community's ritual as the API and the page show it. Texts are the effective ones (the community's own, else the
/// built-in text); <see cref="NicknameFormat"/> is the format of the community's rule set (the nickname check does
/// nothing without one). Quiet hours are "HH:mm" in the workspace's zone (<see cref="TimeZone"/>).
/// </summary>
public sealed record RitualSettingsDto(
    Guid CommunityId,
    string CommunityName,
    bool Saved,
    string? NicknameFormat,
    string TimeZone,
    bool Enabled,
    bool WelcomeEnabled,
    string WelcomeText,
    int BurstSeconds,
    bool NicknameCheckEnabled,
    int NicknameReminderMinutes,
    string NicknameReminderText,
    string NicknameThanksText,
    bool SelfIntroEnabled,
    string SelfIntroText,
    bool IntroduceTaskEnabled,
    string IntroduceTaskText,
    bool QuietHoursEnabled,
    string QuietStart,
    string QuietEnd);

/// <summary>A change to a community's ritual: a field left out (null) stays as it is; an empty text goes back to the built-in one.</summary>
public sealed record RitualSettingsInput(
    bool? Enabled = null,
    bool? WelcomeEnabled = null,
    string? WelcomeText = null,
    int? BurstSeconds = null,
    bool? NicknameCheckEnabled = null,
    int? NicknameReminderMinutes = null,
    string? NicknameReminderText = null,
    string? NicknameThanksText = null,
    bool? SelfIntroEnabled = null,
    string? SelfIntroText = null,
    bool? IntroduceTaskEnabled = null,
    string? IntroduceTaskText = null,
    bool? QuietHoursEnabled = null,
    string? QuietStart = null,
    string? QuietEnd = null);

/// <summary>Preview of unsaved settings (or the saved ones) for the given newcomers (or a sample name).</summary>
public sealed record RitualPreviewInput(RitualSettingsInput? Settings = null, IReadOnlyList<string>? Nicknames = null);

/// <summary>The texts as they would read: the greeting message (welcome and self-introduction prompt), the nickname reminder and thanks, the staff task.</summary>
public sealed record RitualPreviewDto(string? Greeting, string? Reminder, string? Thanks, string? IntroduceTask);

public sealed record RitualResult<T>(EditOutcome Outcome, T? Value, Validation Validation);

/// <summary>
/// Reads, validates and saves a community's ritual for the page and the API alike: staff who see the community read
/// it; those who may edit communities (not KOCs) change it. Texts are checked with <see cref="ScriptText.Unknown"/>
/// (the error names the variable). Every change is audited.
/// </summary>
public sealed class RitualEditor(AppDbContext db, RuleSetDirectory ruleSets, WorkspaceZones zones, JsonStringLocalizerFactory strings)
{
    public const int MaxPreviewNames = 20;

    /// <summary>The built-in texts in the workspace's language (<see cref="Workspace.Language"/>): what its members would read.</summary>
    private async Task<RitualWords> WordsAsync(Guid workspaceId, CancellationToken ct) =>
        RitualWords.For(strings, await WorkspaceSettings.LanguageAsync(db, workspaceId, ct));

    public async Task<RitualSettingsDto?> GetAsync(Guid communityId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        var community = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct);
        if (community is null)
            return null;
        var saved = await LoadAsync(db, community.WorkspaceId, communityId, ct);
        return await ToDtoAsync(community, saved ?? RitualSettings.Defaults(community.WorkspaceId, community.Id), saved is not null, await LibraryAsync(db, community, ct),
            await WordsAsync(community.WorkspaceId, ct), ct);
    }

    public async Task<RitualResult<RitualSettingsDto>> SaveAsync(Guid communityId, RitualSettingsInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        var community = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct);
        if (community is null)
            return new(EditOutcome.NotFound, null, validation);
        if (me is not { CanEditCommunities: true })
            return new(EditOutcome.Forbidden, null, validation);
        var settings = await LoadAsync(db, community.WorkspaceId, communityId, ct, tracked: true);
        var isNew = settings is null;
        settings ??= RitualSettings.Defaults(community.WorkspaceId, community.Id);
        var library = await LibraryAsync(db, community, ct);
        var words = await WordsAsync(community.WorkspaceId, ct);
        Apply(validation, settings, input, words, library);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        if (isNew)
            db.Add(settings);
        if (db.ChangeTracker.HasChanges())
        {
            settings.UpdatedAt = DateTime.UtcNow;
            await db.SaveChangesAsync(ct);
        }
        return new(EditOutcome.Saved, await ToDtoAsync(community, settings, true, library, words, ct), validation);
    }

    public async Task<RitualResult<RitualPreviewDto>> PreviewAsync(Guid communityId, RitualPreviewInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        var community = await db.Visible(me).AsNoTracking().SingleOrDefaultAsync(c => c.Id == communityId, ct);
        if (community is null)
            return new(EditOutcome.NotFound, null, validation);
        var settings = await LoadAsync(db, community.WorkspaceId, communityId, ct) ?? RitualSettings.Defaults(community.WorkspaceId, community.Id);
        var words = await WordsAsync(community.WorkspaceId, ct);
        var library = await LibraryAsync(db, community, ct);
        if (input.Settings is { } changes)
            Apply(validation, settings, changes, words, library);
        if (input.Nicknames is { Count: > MaxPreviewNames })
            validation.Add("nicknames", "TooMany", $"'nicknames' may hold at most {MaxPreviewNames} names.", MaxPreviewNames, input.Nicknames.Count);
        if (!validation.IsValid)
            return new(EditOutcome.Invalid, null, validation);
        var names = input.Nicknames is { Count: > 0 } given ? words.Names(given) : words.Text("Ritual.Preview.SampleName");
        var format = await FormatAsync(db, ruleSets, community, ct);
        var values = await ValuesAsync(db, community, names, format, library, ct);
        return new(EditOutcome.Saved, new RitualPreviewDto(
            words.Greeting(settings, values, library),
            settings.NicknameCheckEnabled && format is not null ? RitualWords.Render(words.Reminder(settings), values) : null,
            settings.NicknameCheckEnabled && format is not null ? RitualWords.Render(words.Thanks(settings), values) : null,
            settings.IntroduceTaskEnabled ? RitualWords.Render(words.Introduce(settings), values) : null), validation);
    }

    /// <summary>A community's saved settings, or null (then the defaults apply).</summary>
    internal static Task<RitualSettings?> LoadAsync(AppDbContext db, Guid workspaceId, Guid communityId, CancellationToken ct, bool tracked = false)
    {
        var query = db.Set<RitualSettings>().Where(s => s.WorkspaceId == workspaceId && s.CommunityId == communityId);
        return (tracked ? query : query.AsNoTracking()).SingleOrDefaultAsync(ct);
    }

    /// <summary>The nickname format of the community's rule set, when it has a usable one.</summary>
    internal static async Task<string?> FormatAsync(AppDbContext db, RuleSetDirectory ruleSets, Community community, CancellationToken ct)
    {
        var spec = (await ruleSets.GetAsync(db, community.WorkspaceId, ct)).For(community);
        return UsableFormat(spec.NicknameFormat);
    }

    internal static string? UsableFormat(string? format) =>
        !string.IsNullOrWhiteSpace(format) && NicknameFormat.TryParse(format, out _, out _) ? format.Trim() : null;

    /// <summary>The values the texts may use for this community, naming <paramref name="names"/>.</summary>
    internal static async Task<RitualValues> ValuesAsync(AppDbContext db, Community community, string names, string? format, RitualLibrary library, CancellationToken ct) =>
        library.Fill(new(names, community.Name, community.Rules, community.Intro, await OwnerNameAsync(db, community, ct), null, format));

    private static async Task<RitualLibrary> LibraryAsync(AppDbContext db, Community community, CancellationToken ct) =>
        (await RitualLibrary.ForCommunitiesAsync(db, community.WorkspaceId, [community.Id], ct))[community.Id];

    /// <summary>The community's owner as members know them: its sub-owner (分群主), else the workspace's owner.</summary>
    internal static async Task<string?> OwnerNameAsync(AppDbContext db, Community community, CancellationToken ct) =>
        (await OwnerNamesAsync(db, community.WorkspaceId, [community.Id], ct))[community.Id];

    /// <summary><see cref="OwnerNameAsync"/> for several communities of a workspace, in two queries.</summary>
    internal static async Task<Dictionary<Guid, string?>> OwnerNamesAsync(AppDbContext db, Guid workspaceId, IReadOnlyCollection<Guid> communityIds, CancellationToken ct)
    {
        var subOwners = await db.CommunityStaff.IgnoreQueryFilters()
            .Where(s => communityIds.Contains(s.CommunityId) && s.Role == CommunityRole.SubOwner && s.StaffUser!.IsActive)
            .Select(s => new { s.CommunityId, s.AssignedAt, s.StaffUser!.DisplayName }).ToListAsync(ct);
        var owner = await db.Users.Where(u => u.WorkspaceId == workspaceId && u.IsActive && u.Role == Staff.StaffRole.Owner)
            .OrderBy(u => u.CreatedAt).Select(u => u.DisplayName).FirstOrDefaultAsync(ct);
        return communityIds.Distinct().ToDictionary(id => id,
            id => subOwners.Where(s => s.CommunityId == id).OrderBy(s => s.AssignedAt).Select(s => s.DisplayName).FirstOrDefault() ?? owner);
    }

    /// <summary>Applies a change to <paramref name="s"/>, adding a field error for each bad value (named by its JSON field).</summary>
    public static void Apply(Validation validation, RitualSettings s, RitualSettingsInput input, RitualWords words, RitualLibrary? library = null)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(words);
        s.Enabled = input.Enabled ?? s.Enabled;
        s.WelcomeEnabled = input.WelcomeEnabled ?? s.WelcomeEnabled;
        s.NicknameCheckEnabled = input.NicknameCheckEnabled ?? s.NicknameCheckEnabled;
        s.SelfIntroEnabled = input.SelfIntroEnabled ?? s.SelfIntroEnabled;
        s.IntroduceTaskEnabled = input.IntroduceTaskEnabled ?? s.IntroduceTaskEnabled;
        s.QuietHoursEnabled = input.QuietHoursEnabled ?? s.QuietHoursEnabled;

        if (input.BurstSeconds is { } burst)
        {
            if (burst is < 0 or > RitualSettings.MaxBurstSeconds)
                validation.Add("burstSeconds", "Ritual.Range", $"'burstSeconds' must be between 0 and {RitualSettings.MaxBurstSeconds}.", 0, RitualSettings.MaxBurstSeconds);
            else
                s.BurstSeconds = burst;
        }
        if (input.NicknameReminderMinutes is { } minutes)
        {
            if (minutes is < 1 or > RitualSettings.MaxReminderMinutes)
                validation.Add("nicknameReminderMinutes", "Ritual.Range", $"'nicknameReminderMinutes' must be between 1 and {RitualSettings.MaxReminderMinutes}.", 1, RitualSettings.MaxReminderMinutes);
            else
                s.NicknameReminderMinutes = minutes;
        }

        s.WelcomeText = Text(validation, "welcomeText", input.WelcomeText, s.WelcomeText, words.BuiltInWelcome(library), ScriptText.Variables);
        s.SelfIntroText = Text(validation, "selfIntroText", input.SelfIntroText, s.SelfIntroText, words.Text("Ritual.Default.SelfIntro"), ScriptText.Variables);
        s.IntroduceTaskText = Text(validation, "introduceTaskText", input.IntroduceTaskText, s.IntroduceTaskText, words.Text("Ritual.Default.IntroduceTask"), ScriptText.Variables);
        s.NicknameReminderText = Text(validation, "nicknameReminderText", input.NicknameReminderText, s.NicknameReminderText, words.Text("Ritual.Default.NicknameReminder"), RitualWords.NicknameVariables);
        s.NicknameThanksText = Text(validation, "nicknameThanksText", input.NicknameThanksText, s.NicknameThanksText, words.Text("Ritual.Default.NicknameThanks"), RitualWords.NicknameVariables);

        if (input.QuietStart is not null && TimeOfDay(validation, "quietStart", input.QuietStart) is { } start)
            s.QuietStartMinute = start;
        if (input.QuietEnd is not null && TimeOfDay(validation, "quietEnd", input.QuietEnd) is { } end)
            s.QuietEndMinute = end;
        if (s.QuietHoursEnabled && s.QuietStartMinute == s.QuietEndMinute && validation.IsValid)
            validation.Add("quietEnd", "Ritual.QuietHoursEmpty", "'quietEnd' must differ from 'quietStart'.");
    }

    /// <summary>The text to store: null for the built-in text (given empty, or the same as the built-in one).</summary>
    private static string? Text(Validation validation, string field, string? given, string? current, string builtIn, IReadOnlyCollection<string> allowed)
    {
        if (given is null)
            return current;
        var text = given.Trim();
        if (text.Length == 0 || text == builtIn)
            return null;
        if (text.Length > ScriptText.MaxLength)
        {
            validation.MaxLength(field, text, ScriptText.MaxLength);
            return current;
        }
        var unknown = ScriptText.Unknown(text, allowed);
        if (unknown.Count > 0)
        {
            var names = string.Join(", ", unknown.Select(v => "{" + v + "}"));
            validation.Add(field, "Ritual.UnknownVariable", $"'{field}' uses unknown variables: {names}; known: {string.Join(", ", allowed.Select(v => "{" + v + "}"))}.", names);
            return current;
        }
        return text;
    }

    private static int? TimeOfDay(Validation validation, string field, string text)
    {
        if (QuietHours.ParseClock(text) is { } minute)
            return minute;
        validation.Add(field, "Ritual.TimeOfDay", $"'{field}' must be a time of day as HH:mm (got '{text}').", text);
        return null;
    }

    internal static string Clock(int minute) => QuietHours.Clock(minute);

    private async Task<RitualSettingsDto> ToDtoAsync(Community community, RitualSettings s, bool saved, RitualLibrary library, RitualWords words, CancellationToken ct)
    {
        var zone = await zones.GetAsync(community.WorkspaceId, ct);
        return new RitualSettingsDto(community.Id, community.Name, saved, await FormatAsync(db, ruleSets, community, ct), zone.Id,
            s.Enabled, s.WelcomeEnabled, words.Welcome(s, library), s.BurstSeconds,
            s.NicknameCheckEnabled, s.NicknameReminderMinutes, words.Reminder(s), words.Thanks(s),
            s.SelfIntroEnabled, words.SelfIntro(s), s.IntroduceTaskEnabled, words.Introduce(s),
            s.QuietHoursEnabled, Clock(s.QuietStartMinute), Clock(s.QuietEndMinute));
    }
}
