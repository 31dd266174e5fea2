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
public sealed record ChatImportOptions(Guid WorkspaceId, Guid CommunityId, TimeSpan LocalOffset)
{
    /// <summary>At most this many errors are reported for one file; after that, reading stops.</summary>
    public const int MaxErrors = 50;

    /// <summary>China time: how exports without an offset (old Telegram dates, CSV times without one) are read.</summary>
    public static readonly TimeSpan DefaultOffset = TimeSpan.FromHours(8);
}
