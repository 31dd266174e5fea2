using System.Text.Json;
using System.Text.Json.Serialization;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Features.Outbox;

namespace Shequn.Features.Review;

/// <summary>An outbound action a case caused (the decision's) or staff's undo caused (<see cref="Undo"/>), with its outcome.</summary>
/// <param name="Error">The platform's words (English) when the action failed.</param>
/// <param name="ErrorReason">The same failure as a localizable reason (<see cref="ActionError.Text(string?, string?, Microsoft.Extensions.Localization.IStringLocalizer)"/>).</param>
public sealed record CaseActionDto(Guid Id, ActionKind Kind, ActionStatus Status, string? Error, bool Undo, DateTime CreatedAt, DateTime? CompletedAt, string? ErrorReason = null);

/// <summary>A moderation case as the queue, the log and the export show it.</summary>
public sealed record CaseDto(
    Guid Id,
    Guid CommunityId,
    string CommunityName,
    long EventSeq,
    ChatPlatform Platform,
    string? MessageId,
    string? UserId,
    string? UserName,
    Guid? MemberId,
    string? Text,
    CaseDecision Decision,
    string Rule,
    double Score,
    double? ModelScore,
    IReadOnlyList<CaseEvidence> Evidence,
    LadderAction? Action,
    int Violations,
    CaseVerdict Verdict,
    Guid? ReviewedById,
    DateTime? ReviewedAt,
    DateTime? UndoneAt,
    Guid? UndoneById,
    string? UndoNote,
    DateTime OccurredAt,
    IReadOnlyList<CaseActionDto> Actions);

/// <summary>
/// The review queue: Review cases without a verdict, most uncertain first (score closest to <see cref="Middle"/>, the
/// middle between the workspace's review and act thresholds), and how the engine has been doing: acts later undone
/// (false positives) and messages staff reported (false negatives).
/// </summary>
public sealed record ReviewQueueDto(IReadOnlyList<CaseDto> Items, int Total, int PageNumber, int PageSize, double Middle, int FalsePositives, int FalseNegatives);

public sealed record VerdictInput(string? Verdict);

public sealed record BulkVerdictInput(IReadOnlyList<Guid>? Ids, string? Verdict);

/// <summary>What a mark did: cases marked, messages queued for deletion, labels the workspace now has, and whether retraining started.</summary>
public sealed record VerdictResultDto(int Marked, int Deletions, int Labels, bool RetrainingStarted);

public sealed record UndoInput(string? Note);

public sealed record ReportInput(Guid? CommunityId, string? MessageId);

public sealed record BlacklistInput(string? Platform, string? UserId, string? UserName, string? Reason);

public sealed record BlacklistEntryDto(Guid Id, ChatPlatform Platform, string UserId, string? UserName, string? Reason, Guid? CaseId, Guid? AddedById, DateTime CreatedAt);

/// <summary>Filters of the moderation log, shared by the list and the CSV export; all optional.</summary>
public sealed record CaseFilter(
    Guid? CommunityId = null,
    Guid? MemberId = null,
    string? UserId = null,
    string? Rule = null,
    string? Decision = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null);
