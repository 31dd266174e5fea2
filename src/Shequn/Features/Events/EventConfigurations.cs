using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Events;

/// <summary>Event times are stored as Unix milliseconds: compact, and the same on both providers for the raw writer.</summary>
internal sealed class UnixMillisecondsConverter() : ValueConverter<DateTime, long>(
    v => EventTime.ToUnixMs(v),
    v => EventTime.FromUnixMs(v));

public static class EventTime
{
    public static long ToUnixMs(DateTime utc) =>
        (long)((utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : utc) - DateTime.UnixEpoch).TotalMilliseconds;

    public static DateTime FromUnixMs(long ms) => DateTime.UnixEpoch.AddMilliseconds(ms);
}

internal sealed class CommunityEventConfiguration : IEntityTypeConfiguration<CommunityEvent>
{
    public void Configure(EntityTypeBuilder<CommunityEvent> b)
    {
        b.ToTable("CommunityEvents");
        b.HasKey(e => e.Seq);
        // REVIEW: on SQLite this is AUTOINCREMENT (one sqlite_sequence write per insert). Strategy None would be a little
        // faster, but EF 10's snapshot generator drops that setting, so every later migration would try to rebuild the table.
        b.Property(e => e.Seq).ValueGeneratedOnAdd();
        b.Property(e => e.PlatformEventId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.OccurredAt).HasConversion<UnixMillisecondsConverter>();
        b.Property(e => e.ReceivedAt).HasConversion<UnixMillisecondsConverter>();
        b.Property(e => e.ChatId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.ChatTitle).HasMaxLength(CommunityEvent.NameMaxLength);
        b.Property(e => e.UserId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.UserName).HasMaxLength(CommunityEvent.NameMaxLength);
        b.Property(e => e.ActorId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.ActorName).HasMaxLength(CommunityEvent.NameMaxLength);
        b.Property(e => e.Channel).HasMaxLength(CommunityEvent.ChannelMaxLength);
        b.Property(e => e.MessageId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.ReplyToMessageId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.Text).HasMaxLength(CommunityEvent.TextMaxLength);
        b.Property(e => e.InviteLink).HasMaxLength(CommunityEvent.InviteLinkMaxLength);
        b.Property(e => e.TopicId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.Property(e => e.ForwardedFrom).HasMaxLength(CommunityEvent.NameMaxLength);
        b.Property(e => e.MediaId).HasMaxLength(CommunityEvent.MediaIdMaxLength);
        // The dedupe key. No other index: every index is paid for on the hot path.
        b.HasIndex(e => new { e.WorkspaceId, e.Platform, e.PlatformEventId }).IsUnique();
    }
}

internal sealed class EventCheckpointConfiguration : IEntityTypeConfiguration<EventCheckpoint>
{
    public void Configure(EntityTypeBuilder<EventCheckpoint> b)
    {
        b.ToTable("EventCheckpoints");
        b.HasKey(e => e.Name);
        b.Property(e => e.Name).HasMaxLength(60);
        b.Property(e => e.LeaseOwner).HasMaxLength(100);
        b.HasData(
            new EventCheckpoint { Name = EventProcessor.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new EventCheckpoint { Name = Images.ImageInspector.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new EventCheckpoint { Name = Members.MemberLifecycle.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new EventCheckpoint { Name = Tags.AutoTagJob.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new EventCheckpoint { Name = Campaigns.InvitationSettler.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new EventCheckpoint { Name = Campaigns.LotteryDrawer.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
            new EventCheckpoint { Name = Acquisition.LiveCodeUpkeep.CheckpointName, Seq = 0, UpdatedAt = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) });
    }
}

internal sealed class SkippedEventConfiguration : IEntityTypeConfiguration<SkippedEvent>
{
    public void Configure(EntityTypeBuilder<SkippedEvent> b)
    {
        b.ToTable("SkippedEvents");
        b.HasKey(e => e.Seq);
        b.Property(e => e.Seq).ValueGeneratedNever();
        b.Property(e => e.Reason).HasMaxLength(200);
        b.HasIndex(e => e.WorkspaceId);
    }
}

internal sealed class PlatformChatConfiguration : IEntityTypeConfiguration<PlatformChat>
{
    public void Configure(EntityTypeBuilder<PlatformChat> b)
    {
        b.ToTable("PlatformChats");
        b.Property(e => e.ChatId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => new { e.WorkspaceId, e.Platform, e.ChatId }).IsUnique();
        b.HasIndex(e => e.CommunityId);
    }
}

internal sealed class MemberIdentityConfiguration : IEntityTypeConfiguration<MemberIdentity>
{
    public void Configure(EntityTypeBuilder<MemberIdentity> b)
    {
        b.ToTable("MemberIdentities");
        b.Property(e => e.UserId).HasMaxLength(CommunityEvent.IdMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => new { e.WorkspaceId, e.Platform, e.UserId }).IsUnique();
        b.HasIndex(e => e.MemberId);
    }
}

internal sealed class MemberActivityConfiguration : IEntityTypeConfiguration<MemberActivity>
{
    public void Configure(EntityTypeBuilder<MemberActivity> b)
    {
        b.ToTable("MemberActivities");
        b.HasKey(e => new { e.CommunityId, e.MemberId });
        b.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.MemberId);
    }
}

internal sealed class CommunityDailyFigureConfiguration : IEntityTypeConfiguration<CommunityDailyFigure>
{
    public void Configure(EntityTypeBuilder<CommunityDailyFigure> b)
    {
        b.ToTable("CommunityDailyFigures");
        b.HasKey(e => new { e.CommunityId, e.Day });
        b.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => new { e.WorkspaceId, e.Day });
    }
}

internal sealed class DailySpeakerConfiguration : IEntityTypeConfiguration<DailySpeaker>
{
    public void Configure(EntityTypeBuilder<DailySpeaker> b)
    {
        b.ToTable("DailySpeakers");
        b.HasKey(e => new { e.CommunityId, e.Day, e.MemberId });
        b.HasOne<Community>().WithMany().HasForeignKey(e => e.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(e => e.MemberId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(e => e.MemberId);
    }
}
