using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Features.ApiTokens;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Features.Workspaces;

namespace Shequn.Data.Configurations;

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> b)
    {
        // An encrypted key is about 2 KB; no cap, so that a longer key descriptor from a later framework still fits.
        b.Property(e => e.Xml).Metadata.SetMaxLength(null);
    }
}

internal sealed class WorkspaceConfiguration : IEntityTypeConfiguration<Workspace>
{
    public void Configure(EntityTypeBuilder<Workspace> b)
    {
        b.Property(e => e.Name).HasMaxLength(Workspace.NameMaxLength);
        b.Property(e => e.TimeZone).HasMaxLength(Workspace.TimeZoneMaxLength).HasDefaultValue(Workspace.DefaultTimeZone);
        b.Property(e => e.Language).HasMaxLength(Workspace.LanguageMaxLength).HasDefaultValue(Platform.Localization.Cultures.Default);
        // Workspaces made before the lifecycle existed get the defaults (sentinel 0: the initializers always write theirs).
        b.Property(e => e.LifecycleNewDays).HasDefaultValue(LifecycleThresholds.Default.NewDays).HasSentinel(0);
        b.Property(e => e.LifecycleSilentDays).HasDefaultValue(LifecycleThresholds.Default.SilentDays).HasSentinel(0);
        b.Property(e => e.LifecycleChurnDays).HasDefaultValue(LifecycleThresholds.Default.ChurnDays).HasSentinel(0);
        var advisor = Shequn.Features.Advisor.AdvisorThresholds.Default;
        b.Property(e => e.AdvisorMaxMembers).HasDefaultValue(advisor.MaxMembers).HasSentinel(0);
        b.Property(e => e.AdvisorMaxSubOwnerCommunities).HasDefaultValue(advisor.MaxSubOwnerCommunities).HasSentinel(0);
        b.Property(e => e.AdvisorSilentDays).HasDefaultValue(advisor.SilentDays).HasSentinel(0);
        b.Property(e => e.AdvisorNoContentDays).HasDefaultValue(advisor.NoContentDays).HasSentinel(0);
        b.Property(e => e.AdvisorResponseDropPoints).HasDefaultValue(advisor.ResponseDropPoints).HasSentinel(0);
        b.Property(e => e.AdvisorChannelCostRatio).HasDefaultValue(advisor.ChannelCostRatio).HasSentinel(0.0);
    }
}

internal sealed class StaffUserConfiguration : IEntityTypeConfiguration<StaffUser>
{
    public void Configure(EntityTypeBuilder<StaffUser> b)
    {
        b.Property(e => e.DisplayName).HasMaxLength(StaffUser.DisplayNameMaxLength);
        b.Property(e => e.Culture).HasMaxLength(10);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(e => e.WorkspaceId);
        // An erased member leaves the KOC account without one; one member is one KOC.
        b.HasOne<Features.Members.Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(e => e.MemberId).IsUnique();
    }
}

internal sealed class CommunityConfiguration : IEntityTypeConfiguration<Community>
{
    public void Configure(EntityTypeBuilder<Community> b)
    {
        b.Property(e => e.Name).HasMaxLength(Community.NameMaxLength);
        b.Property(e => e.NicknameFormatChecked).HasMaxLength(Features.Enforcement.NicknameFormat.MaxLength);
        b.Property(e => e.Purpose).HasMaxLength(Community.PurposeMaxLength);
        b.Property(e => e.Intro).HasMaxLength(Community.TextMaxLength);
        b.Property(e => e.Rules).HasMaxLength(Community.TextMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(e => new { e.WorkspaceId, e.Name }).IsUnique();
        b.HasOne<Shequn.Features.Enforcement.RuleSet>().WithMany().HasForeignKey(e => e.RuleSetId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class CommunityStaffConfiguration : IEntityTypeConfiguration<CommunityStaff>
{
    public void Configure(EntityTypeBuilder<CommunityStaff> b)
    {
        b.HasKey(e => new { e.CommunityId, e.StaffUserId });
        b.HasOne(e => e.Community).WithMany(c => c.Staff).HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(e => e.StaffUser).WithMany(s => s.Assignments).HasForeignKey(e => e.StaffUserId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.StaffUserId);
    }
}

internal sealed class MemberConfiguration : IEntityTypeConfiguration<Member>
{
    public void Configure(EntityTypeBuilder<Member> b)
    {
        b.Property(e => e.DisplayName).HasMaxLength(Member.NameMaxLength);
        b.Property(e => e.City).HasMaxLength(Member.FieldMaxLength);
        b.Property(e => e.Industry).HasMaxLength(Member.FieldMaxLength);
        b.Property(e => e.Phone).HasMaxLength(Member.PhoneMaxLength);
        b.Property(e => e.Channel).HasMaxLength(Member.FieldMaxLength);
        b.Property(e => e.Organisations).HasMaxLength(Member.FieldMaxLength);
        b.Property(e => e.LegalHoldReason).HasMaxLength(PersonalData.ReasonMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(e => new { e.WorkspaceId, e.DisplayName });
        b.HasIndex(e => new { e.WorkspaceId, e.City });
        b.HasIndex(e => new { e.WorkspaceId, e.Phone });
        // A workspace's KOCs (the response tracker's answerers), VIPs and core members.
        b.HasIndex(e => new { e.WorkspaceId, e.Layer });
        // The overview's member records created since the last stored day (WorkspaceDay).
        b.HasIndex(e => new { e.WorkspaceId, e.CreatedAt });
    }
}

internal sealed class MembershipConfiguration : IEntityTypeConfiguration<Membership>
{
    public void Configure(EntityTypeBuilder<Membership> b)
    {
        b.Property(e => e.Nickname).HasMaxLength(Member.NameMaxLength);
        b.Property(e => e.Channel).HasMaxLength(Member.FieldMaxLength);
        b.HasOne(e => e.Community).WithMany(c => c.Memberships).HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(e => e.Member).WithMany(m => m.Memberships).HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(e => e.Inviter).WithMany().HasForeignKey(e => e.InviterMemberId).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(e => new { e.CommunityId, e.MemberId });
        b.HasIndex(e => e.MemberId);
        // The owner's overview counts members at each day's end over the workspace's stints (covering, as the two below).
        b.HasIndex(e => new { e.WorkspaceId, e.JoinedAt, e.LeftAt });
        // Daily figures count members at each day's end from the stints begun, and those ended, in the range (covering).
        b.HasIndex(e => new { e.CommunityId, e.JoinedAt, e.LeftAt });
        b.HasIndex(e => new { e.CommunityId, e.LeftAt, e.JoinedAt });
        // The dashboard's members now in a community: distinct over the workspace's open stints, in member order (covering);
        // JoinedAt for the overview's stints ended before, or inside, a range.
        b.HasIndex(e => new { e.WorkspaceId, e.LeftAt, e.MemberId, e.CommunityId, e.JoinedAt });
        // The advisor's nicknames that break their community's format, by community (and those not yet checked).
        b.HasIndex(e => new { e.WorkspaceId, e.NicknameBreaksFormat, e.LeftAt, e.CommunityId });
    }
}

internal sealed class TagConfiguration : IEntityTypeConfiguration<Tag>
{
    public void Configure(EntityTypeBuilder<Tag> b)
    {
        b.Property(e => e.Name).HasMaxLength(Tag.NameMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasIndex(e => new { e.WorkspaceId, e.Name }).IsUnique();
    }
}

internal sealed class MemberTagConfiguration : IEntityTypeConfiguration<MemberTag>
{
    public void Configure(EntityTypeBuilder<MemberTag> b)
    {
        b.HasKey(e => new { e.MemberId, e.TagId });
        b.HasOne(e => e.Member).WithMany(m => m.Tags).HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(e => e.Tag).WithMany(t => t.Members).HasForeignKey(e => e.TagId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.TagId);
    }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.Property(e => e.Name).HasMaxLength(ApiToken.NameMaxLength);
        b.Property(e => e.Hash).HasMaxLength(64);
        b.Property(e => e.Prefix).HasMaxLength(16);
        b.HasIndex(e => e.Hash).IsUnique();
        b.HasOne(e => e.StaffUser).WithMany().HasForeignKey(e => e.StaffUserId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.Property(e => e.ActorName).HasMaxLength(256);
        b.Property(e => e.Action).HasMaxLength(20);
        b.Property(e => e.EntityType).HasMaxLength(60);
        b.Property(e => e.EntityId).HasMaxLength(60);
        b.Property(e => e.Before).HasMaxLength(16000);
        // Room for a bulk change's list of affected ids (TagEditor: up to 10,000 members in one entry).
        b.Property(e => e.After).HasMaxLength(1_048_576);
        b.HasIndex(e => new { e.WorkspaceId, e.At });
    }
}
