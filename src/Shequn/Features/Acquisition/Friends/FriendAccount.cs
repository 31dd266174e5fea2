using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Staff;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Acquisition;

/// <summary>
/// A staff member's WeChat / WeCom account that adds customers as friends (加好友). WeChat bans accounts that add too
/// fast or repeat one greeting (seed 000 E), so each account gets at most <see cref="DailyLimit"/> planned adds a day,
/// spread over its working window (<see cref="FriendSchedule"/>).
/// </summary>
public sealed class FriendAccount : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 60;
    /// <summary>Seed 000 E: "each account adds at most 20 friends a day".</summary>
    public const int DefaultDailyLimit = 20;
    public const int MaxDailyLimit = 50;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    /// <summary>Who holds the phone: she sees the plan and records outcomes.</summary>
    public Guid StaffUserId { get; set; }
    public required string Name { get; set; }
    public int DailyLimit { get; set; } = DefaultDailyLimit;
    /// <summary>Hour of the day (workspace time zone) the first add may happen, 0..23.</summary>
    public int WindowStartHour { get; set; } = 9;
    /// <summary>Hour of the day (workspace time zone) adds stop, 1..24, after the start.</summary>
    public int WindowEndHour { get; set; } = 21;
    public bool Active { get; set; } = true;
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>Field errors for the limit and the window: the window must hold the limit's adds 10 minutes apart.</summary>
    public static void Check(Validation validation, int dailyLimit, int startHour, int endHour)
    {
        ArgumentNullException.ThrowIfNull(validation);
        if (dailyLimit is < 1 or > MaxDailyLimit)
            validation.Add("dailyLimit", "OutOfRange", $"'dailyLimit' must be between 1 and {MaxDailyLimit} (got {dailyLimit}).", 1, MaxDailyLimit);
        if (startHour is < 0 or > 23)
            validation.Add("windowStartHour", "OutOfRange", $"'windowStartHour' must be between 0 and 23 (got {startHour}).", 0, 23);
        if (endHour is < 1 or > 24)
            validation.Add("windowEndHour", "OutOfRange", $"'windowEndHour' must be between 1 and 24 (got {endHour}).", 1, 24);
        else if (endHour <= startHour)
            validation.Add("windowEndHour", "FriendWindowEndBeforeStart", $"'windowEndHour' ({endHour}) must be after 'windowStartHour' ({startHour}).", endHour, startHour);
        else if (dailyLimit is >= 1 and <= MaxDailyLimit && (endHour - startHour) * 60 < dailyLimit * FriendSchedule.MinGapMinutes)
            validation.Add("dailyLimit", "FriendWindowTooShort",
                $"'dailyLimit' {dailyLimit} does not fit a {endHour - startHour}-hour window with adds {FriendSchedule.MinGapMinutes} minutes apart "
                + $"(at most {(endHour - startHour) * 60 / FriendSchedule.MinGapMinutes}).", dailyLimit, endHour - startHour, (endHour - startHour) * 60 / FriendSchedule.MinGapMinutes);
    }
}

internal sealed class FriendAccountConfiguration : IEntityTypeConfiguration<FriendAccount>
{
    public void Configure(EntityTypeBuilder<FriendAccount> b)
    {
        b.ToTable("FriendAccounts");
        b.HasKey(a => a.Id);
        b.Property(a => a.Name).HasMaxLength(FriendAccount.NameMaxLength);
        b.HasIndex(a => new { a.WorkspaceId, a.Name }).IsUnique();
        b.HasIndex(a => a.StaffUserId);
        b.HasOne<Workspace>().WithMany().HasForeignKey(a => a.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<StaffUser>().WithMany().HasForeignKey(a => a.StaffUserId).OnDelete(DeleteBehavior.Restrict);
    }
}
