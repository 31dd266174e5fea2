using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;

namespace Shequn.Features.Profiles;

public enum ProfileFieldKind
{
    Text = 0,
    Number = 1,
    Choice = 2,
    Date = 3,
}

/// <summary>
/// One field of the workspace's profile template (seed 002 step 2), in <see cref="Position"/> order. Built-in fields
/// (<see cref="ProfileBuiltins"/>) have a fixed key and kind and a localized label; the member's city, industry, needs,
/// organisations, channel and phone live on <see cref="Member"/>, every other field's value in a
/// <see cref="MemberFieldValue"/>. A workspace without rows follows <see cref="ProfileBuiltins.DefaultTemplate"/>.
/// </summary>
public sealed class ProfileField : IWorkspaceOwned, IAudited
{
    public const int KeyMaxLength = 40;
    public const int NameMaxLength = 50;
    public const int OptionMaxLength = 50;
    public const int MaxOptions = 50;
    public const int MaxFields = 40;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>A built-in key (<c>city</c>) or a custom field's generated key (<c>c1a2b3c4d</c>); unique per workspace.</summary>
    public required string Key { get; set; }
    /// <summary>The label of a custom field; null for built-ins (their label is localized).</summary>
    public string? Name { get; set; }
    public ProfileFieldKind Kind { get; set; }
    /// <summary>A choice field's options, one a line.</summary>
    public string? Options { get; set; }
    public bool Required { get; set; }
    /// <summary>Personal data (PIPL): masked in lists and on the member page, shown through a logged reveal.</summary>
    public bool Personal { get; set; }
    public int Position { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public IReadOnlyList<string> OptionList => Options is null ? [] : Options.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>A member's value of a template field that is not a <see cref="Member"/> column; deleted with the member.</summary>
public sealed class MemberFieldValue : IWorkspaceOwned, IAudited
{
    public const int ValueMaxLength = Member.FieldMaxLength;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid MemberId { get; set; }
    public required string Key { get; set; }
    /// <summary>Normalised: text as given (trimmed), numbers in invariant form, dates <c>yyyy-MM-dd</c>, a choice's option.</summary>
    public required string Value { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;
}

/// <summary>
/// A form link sent to one member: <c>/p/{token}</c>, usable once before <see cref="ExpiresAt"/>. Only the SHA-256 of the
/// token is stored; the token itself appears once, in the staff's answer or the welcome message.
/// </summary>
public sealed class ProfileLink : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid MemberId { get; set; }
    public required string TokenHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>When the member submitted the form; a used link shows a friendly page.</summary>
    public DateTime? UsedAt { get; set; }
    /// <summary>When the member ticked the consent line (PIPL): set with <see cref="UsedAt"/>.</summary>
    public DateTime? ConsentAt { get; set; }
    /// <summary>The staff member who made it; null for the joining ritual's.</summary>
    public Guid? CreatedByStaffId { get; set; }
    /// <summary>The joining ritual's welcome that carries the link, if it came from there.</summary>
    public Guid? WelcomeActionId { get; set; }
}

/// <summary>One reveal of a member's masked personal field by a staff member (PIPL: every reveal is logged).</summary>
public sealed class PersonalDataReveal : IWorkspaceOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>Kept after an erasure (the log holds no personal data), so no foreign key.</summary>
    public Guid MemberId { get; set; }
    public Guid StaffId { get; set; }
    public required string StaffName { get; set; }
    public required string Field { get; set; }
    public DateTime At { get; set; }
}

internal sealed class ProfileFieldConfiguration : IEntityTypeConfiguration<ProfileField>
{
    public void Configure(EntityTypeBuilder<ProfileField> b)
    {
        b.ToTable("ProfileFields");
        b.HasKey(e => e.Id);
        b.Property(e => e.Key).HasMaxLength(ProfileField.KeyMaxLength);
        b.Property(e => e.Name).HasMaxLength(ProfileField.NameMaxLength);
        b.Property(e => e.Options).HasMaxLength(4000);
        b.HasIndex(e => new { e.WorkspaceId, e.Key }).IsUnique();
    }
}

internal sealed class MemberFieldValueConfiguration : IEntityTypeConfiguration<MemberFieldValue>
{
    public void Configure(EntityTypeBuilder<MemberFieldValue> b)
    {
        b.ToTable("MemberFieldValues");
        b.HasKey(e => e.Id);
        b.Property(e => e.Key).HasMaxLength(ProfileField.KeyMaxLength);
        b.Property(e => e.Value).HasMaxLength(MemberFieldValue.ValueMaxLength);
        b.HasIndex(e => new { e.MemberId, e.Key }).IsUnique();
        b.HasIndex(e => new { e.WorkspaceId, e.Key });
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ProfileLinkConfiguration : IEntityTypeConfiguration<ProfileLink>
{
    public void Configure(EntityTypeBuilder<ProfileLink> b)
    {
        b.ToTable("ProfileLinks");
        b.HasKey(e => e.Id);
        b.Property(e => e.TokenHash).HasMaxLength(64);
        b.HasIndex(e => e.TokenHash).IsUnique();
        b.HasIndex(e => e.MemberId);
        b.HasIndex(e => e.WelcomeActionId);
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PersonalDataRevealConfiguration : IEntityTypeConfiguration<PersonalDataReveal>
{
    public void Configure(EntityTypeBuilder<PersonalDataReveal> b)
    {
        b.ToTable("PersonalDataReveals");
        b.HasKey(e => e.Id);
        b.Property(e => e.StaffName).HasMaxLength(100);
        b.Property(e => e.Field).HasMaxLength(ProfileField.KeyMaxLength);
        b.HasIndex(e => new { e.WorkspaceId, e.MemberId, e.At });
    }
}
