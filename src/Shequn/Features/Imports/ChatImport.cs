using Shequn.Features.Events;

namespace Shequn.Features.Imports;

public enum ChatImportFormat
{
    Telegram = 0,
    Csv = 1,
}

/// <summary>What is wrong with a file, and where: a JSON path ("$.messages[12].date_unixtime") or a line ("line 7, column user_id").</summary>
public sealed record ImportError(string Where, string Reason)
{
    public override string ToString() => $"{Where}: {Reason}";
}

/// <summary>A whole file read into events for one community, or the reasons it was refused.</summary>
public sealed record ParsedChat(string? ChatId, string? Title, IReadOnlyList<CommunityEvent> Events, IReadOnlyList<ImportError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

public sealed record ImportResult(int Events, int Accepted, int Duplicates, IReadOnlyList<ImportError> Errors)
{
    public bool Rejected => Errors.Count > 0;
}

/// <summary>Options shared by the readers.</summary>
public sealed record ChatImportOptions(Guid WorkspaceId, Guid CommunityId, TimeZoneInfo LocalZone)
{
    /// <summary>At most this many errors are reported for one file; after that, reading stops.</summary>
    public const int MaxErrors = 50;

    /// <summary>How times without an offset (old Telegram dates, CSV times without one) are read: in the workspace's
    /// zone unless the caller names a fixed offset.</summary>
    public static TimeZoneInfo FixedOffset(TimeSpan offset) =>
        TimeZoneInfo.CreateCustomTimeZone(Workspaces.WorkspaceClock.OffsetLabel(offset), offset, Workspaces.WorkspaceClock.OffsetLabel(offset), Workspaces.WorkspaceClock.OffsetLabel(offset));

    /// <summary>A wall-clock time in the zone as UTC; a time that daylight saving skips is read an hour on.</summary>
    public static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
            local = local.AddHours(1);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
