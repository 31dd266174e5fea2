using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Communities;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;

namespace Shequn.Features.Profiles;

/// <summary>The built-in fields of seed 002's info template; the first six are <see cref="Member"/> columns.</summary>
public static class ProfileBuiltins
{
    public const string City = "city";
    public const string Industry = "industry";
    public const string Needs = "needs";
    public const string Organisations = "organisations";
    public const string Channel = "channel";
    public const string Phone = "phone";
    /// <summary>Where the member gets information (公众号, 视频号, 小红书 …): a value row.</summary>
    public const string InfoChannels = "infoChannels";
    /// <summary>Which communities the member likes best: a value row.</summary>
    public const string FavouriteCommunities = "favouriteCommunities";

    public static readonly IReadOnlyList<string> All = [City, Industry, Needs, Organisations, Channel, Phone, InfoChannels, FavouriteCommunities];

    /// <summary>Built-ins kept on <see cref="Member"/> itself.</summary>
    public static readonly IReadOnlySet<string> Columns = new HashSet<string>(StringComparer.Ordinal) { City, Industry, Needs, Organisations, Channel, Phone };

    public static bool IsBuiltin(string key) => All.Contains(key);

    /// <summary>Needs is a choice of several (business / knowledge / life); the others are text.</summary>
    public static ProfileFieldKind KindOf(string key) => key == Needs ? ProfileFieldKind.Choice : ProfileFieldKind.Text;

    public static readonly IReadOnlyList<string> NeedOptions =
        [.. new[] { MemberNeeds.Business, MemberNeeds.Knowledge, MemberNeeds.Life }.Select(n => JsonName(n.ToString()))];

    /// <summary>What a workspace that never saved a template follows: every built-in, none required, the phone personal.</summary>
    public static IReadOnlyList<TemplateField> DefaultTemplate { get; } =
        [.. All.Select((k, i) => new TemplateField(k, true, null, KindOf(k), k == Needs ? NeedOptions : [], false, k == Phone, i))];

    private static string JsonName(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}

/// <summary>A field of the template as the API and pages see it; <c>order</c> is its place (0 first).</summary>
public sealed record TemplateField(
    string Key, bool Builtin, string? Name, ProfileFieldKind Kind, IReadOnlyList<string> Options, bool Required, bool Personal, int Order);

public sealed record ProfileTemplateDto(IReadOnlyList<TemplateField> Fields, bool IsDefault);

/// <summary>One field in a PUT of the template. A null <c>key</c> is a new custom field (its key is made on save).</summary>
public sealed record TemplateFieldInput(string? Key, string? Name, ProfileFieldKind? Kind, IReadOnlyList<string>? Options, bool Required, bool Personal);

public sealed record ProfileTemplateInput(IReadOnlyList<TemplateFieldInput>? Fields);

/// <summary>
/// The workspace's profile template: all staff read it (they fill profiles), the owner and sub-owners change it. A PUT
/// replaces the whole list (its order is the form's); values of custom fields that were removed are deleted with them.
/// </summary>
public sealed class ProfileTemplates(AppDbContext db)
{
    public static bool MayEdit(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner;

    public static async Task<ProfileTemplateDto> ReadAsync(AppDbContext db, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        var ws = db.CurrentWorkspaceId;
        var rows = await db.Set<ProfileField>().AsNoTracking().Where(f => f.WorkspaceId == ws).OrderBy(f => f.Position).ToListAsync(ct);
        if (rows.Count == 0)
            return new(ProfileBuiltins.DefaultTemplate, true);
        return new([.. rows.Select((f, i) => new TemplateField(f.Key, ProfileBuiltins.IsBuiltin(f.Key), f.Name, f.Kind,
            f.Key == ProfileBuiltins.Needs ? ProfileBuiltins.NeedOptions : f.OptionList, f.Required, f.Personal, i))], false);
    }

    public async Task<(EditOutcome Outcome, ProfileTemplateDto? Template, Validation Validation)> SaveAsync(ProfileTemplateInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var validation = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayEdit(me))
            return (EditOutcome.Forbidden, null, validation);
        var ws = db.CurrentWorkspaceId;
        var existing = await db.Set<ProfileField>().Where(f => f.WorkspaceId == ws).ToListAsync(ct);
        var fields = input.Fields ?? [];
        if (fields.Count == 0)
            validation.Add("fields", "Required", "'fields' is required: a template has at least one field.");
        if (fields.Count > ProfileField.MaxFields)
            validation.Add("fields", "TooManyItems", $"'fields' may hold at most {ProfileField.MaxFields} fields.", ProfileField.MaxFields);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var wanted = new List<ProfileField>();
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            var at = $"fields[{i}]";
            var key = f.Key?.Trim();
            var builtin = key is not null && ProfileBuiltins.IsBuiltin(key);
            if (key is not null && !builtin && existing.All(e => e.Key != key))
            {
                validation.Add($"{at}.key", "UnknownField", $"Unknown field '{key}': leave 'key' out for a new field.", key);
                continue;
            }
            if (key is not null && !keys.Add(key))
                validation.Add($"{at}.key", "Duplicate", $"The field '{key}' is listed twice.", key);
            var kind = builtin ? ProfileBuiltins.KindOf(key!) : f.Kind ?? ProfileFieldKind.Text;
            if (!builtin && f.Kind is { } k && !Enum.IsDefined(k))
                validation.Add($"{at}.kind", "UnknownValue", $"'{at}.kind' has an unknown value '{k}'.", k);
            string? name = null;
            if (!builtin)
            {
                name = f.Name?.Trim();
                validation.Required($"{at}.name", name, ProfileField.NameMaxLength);
                if (!string.IsNullOrEmpty(name) && !names.Add(name))
                    validation.Add($"{at}.name", "DuplicateName", $"Two fields are named '{name}'.", name);
            }
            List<string> options = [];
            if (kind == ProfileFieldKind.Choice && !builtin)
            {
                options = [.. (f.Options ?? []).Select(o => o?.Trim() ?? "")];
                if (options.Count == 0)
                    validation.Add($"{at}.options", "Required", $"'{at}.options' is required for a choice.");
                if (options.Count > ProfileField.MaxOptions)
                    validation.Add($"{at}.options", "TooManyItems", $"'{at}.options' may hold at most {ProfileField.MaxOptions} options.", ProfileField.MaxOptions);
                for (var j = 0; j < options.Count; j++)
                {
                    validation.Required($"{at}.options[{j}]", options[j], ProfileField.OptionMaxLength);
                    if (options[j].Contains('\n', StringComparison.Ordinal))
                        validation.Add($"{at}.options[{j}]", "UnknownValue", $"'{at}.options[{j}]' may not hold a line break.", options[j]);
                }
                if (options.Distinct(StringComparer.Ordinal).Count() != options.Count)
                    validation.Add($"{at}.options", "DuplicateOption", $"'{at}.options' lists an option twice.");
            }
            wanted.Add(new ProfileField
            {
                WorkspaceId = ws,
                Key = key ?? NewKey(),
                Name = name,
                Kind = kind,
                Options = options.Count == 0 ? null : string.Join('\n', options),
                Required = f.Required,
                Personal = f.Personal,
                Position = i,
            });
        }
        if (!validation.IsValid)
            return (EditOutcome.Invalid, null, validation);

        var removed = existing.Where(e => wanted.All(w => w.Key != e.Key)).ToList();
        db.Set<ProfileField>().RemoveRange(removed);
        foreach (var w in wanted)
        {
            if (existing.FirstOrDefault(e => e.Key == w.Key) is { } row)
            {
                (row.Name, row.Kind, row.Options, row.Required, row.Personal, row.Position) = (w.Name, w.Kind, w.Options, w.Required, w.Personal, w.Position);
            }
            else
            {
                db.Set<ProfileField>().Add(w);
            }
        }
        var gone = removed.Where(r => !ProfileBuiltins.Columns.Contains(r.Key)).Select(r => r.Key).ToList();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (gone.Count > 0)
            await db.Set<MemberFieldValue>().Where(v => v.WorkspaceId == ws && gone.Contains(v.Key)).ExecuteDeleteAsync(ct);
        // A kind that changed leaves values that may not parse any more: they are dropped too.
        var retyped = existing.Where(e => wanted.FirstOrDefault(w => w.Key == e.Key) is { } w0 && w0.Kind != e.Kind).Select(e => e.Key).ToList();
        if (retyped.Count > 0)
            await db.Set<MemberFieldValue>().Where(v => v.WorkspaceId == ws && retyped.Contains(v.Key)).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (EditOutcome.Saved, await ReadAsync(db, ct), validation);
    }

    private static string NewKey() => "c" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// Checks submitted values against the template and normalises them (numbers invariant, dates <c>yyyy-MM-dd</c>).
    /// Field errors are named <paramref name="prefix"/> + key. A blank value clears. <paramref name="requireAll"/>: the
    /// member's form, where required fields must be filled.
    /// </summary>
    public static Dictionary<string, string?> Check(
        ProfileTemplateDto template, IReadOnlyDictionary<string, string?> values, Validation validation, string prefix, bool requireAll)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(validation);
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, raw) in values)
        {
            // The phone can always be filled by staff, in the template or not.
            var field = template.Fields.FirstOrDefault(f => f.Key == key)
                ?? (key == ProfileBuiltins.Phone ? ProfileBuiltins.DefaultTemplate.First(f => f.Key == key) : null);
            if (field is null || key == ProfileBuiltins.Needs)
            {
                validation.Add(prefix + key, "UnknownField", $"Unknown profile field '{key}'.", key);
                continue;
            }
            var value = string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
            if (value is null)
            {
                result[key] = null;
                continue;
            }
            var name = prefix + key;
            switch (field.Kind)
            {
                case ProfileFieldKind.Number:
                    if (decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var number))
                        value = number.ToString(CultureInfo.InvariantCulture);
                    else
                        validation.Add(name, "NotANumber", $"'{name}' must be a number (got '{value}').", value);
                    break;
                case ProfileFieldKind.Date:
                    if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                        value = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    else
                        validation.Add(name, "NotADate", $"'{name}' must be a date written yyyy-MM-dd (got '{value}').", value);
                    break;
                case ProfileFieldKind.Choice:
                    if (!field.Options.Contains(value, StringComparer.Ordinal))
                        validation.Add(name, "UnknownChoice", $"'{name}' must be one of: {string.Join(", ", field.Options)} (got '{value}').", value);
                    break;
            }
            var max = key == ProfileBuiltins.Phone ? Member.PhoneMaxLength : MemberFieldValue.ValueMaxLength;
            validation.MaxLength(name, value, max);
            if (key == ProfileBuiltins.Phone && value.Any(c => !(char.IsAsciiDigit(c) || c is '+' or '-' or ' ' or '(' or ')')))
                validation.Add(name, "NotAPhone", $"'{name}' must be a phone number: digits, spaces, + - ( ) (got '{value}').", value);
            result[key] = value;
        }
        if (requireAll)
        {
            foreach (var f in template.Fields.Where(f => f.Required && f.Key != ProfileBuiltins.Needs))
            {
                if (!result.TryGetValue(f.Key, out var v) || v is null)
                    validation.Add(prefix + f.Key, "Required", $"'{prefix + f.Key}' is required.");
            }
        }
        return result;
    }
}
