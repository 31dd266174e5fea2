using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Platform.Api;

namespace Shequn.Features.Campaigns;

/// <summary>
/// 问答: one question of a quiz campaign, kept in the rules. <see cref="Correct"/> are indexes into
/// <see cref="Options"/>; a question is right when exactly those options are chosen. Never sent to the page before the
/// member answered.
/// </summary>
public sealed record QuizQuestion(string Text, IReadOnlyList<string> Options, IReadOnlyList<int> Correct, int Points = 1);

/// <summary>A member's one submission to a quiz (unique per campaign and member): the first answers are the answers.</summary>
public sealed class QuizSubmission : IWorkspaceOwned
{
    public const int RequestIdMaxLength = 64;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CampaignId { get; set; }
    public Guid MemberId { get; set; }
    public Guid? CommunityId { get; set; }
    public required string RequestId { get; set; }
    /// <summary>The chosen option indexes per question, as JSON.</summary>
    public string Answers { get; set; } = "[]";
    public int Score { get; set; }
    public int Total { get; set; }
    public bool Passed { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class QuizSubmissionConfiguration : IEntityTypeConfiguration<QuizSubmission>
{
    public void Configure(EntityTypeBuilder<QuizSubmission> b)
    {
        b.ToTable("QuizSubmissions");
        b.HasKey(s => s.Id);
        b.Property(s => s.RequestId).HasMaxLength(QuizSubmission.RequestIdMaxLength);
        b.HasIndex(s => new { s.CampaignId, s.MemberId }).IsUnique();
        b.HasOne<Campaign>().WithMany().HasForeignKey(s => s.CampaignId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Member>().WithMany().HasForeignKey(s => s.MemberId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>How one question went: what was chosen, what was right.</summary>
public sealed record QuizQuestionResult(int Index, IReadOnlyList<int> Chosen, IReadOnlyList<int> Correct, bool Right, int Points);

/// <summary>A submission's result as the page and the API show it; <see cref="Replayed"/> when it is the first one again.</summary>
public sealed record QuizResultDto(Guid SubmissionId, Guid MemberId, int Score, int Total, int? PassMark, bool Passed, bool Replayed, DateTime SubmittedAt,
    IReadOnlyList<QuizQuestionResult> Questions);

/// <summary>Staff's view: every submission, and per question how many got it right.</summary>
public sealed record QuizSummaryDto(Guid CampaignId, int Questions, int Total, int? PassMark, int Submissions, int Passed, double AverageScore,
    IReadOnlyList<int> RightPerQuestion, IReadOnlyList<QuizSubmissionRow> Rows);

public sealed record QuizSubmissionRow(Guid MemberId, string Name, int Score, bool Passed, DateTime SubmittedAt);

public enum QuizOutcome
{
    Done,
    Invalid,
    NotRunning,
    NotInAudience,
    /// <summary>The campaign's anti-abuse settings leave the member out (<see cref="QuizAnswer.Excluded"/>).</summary>
    Excluded,
}

public sealed record QuizAnswer(QuizOutcome Outcome, QuizResultDto? Result = null, Validation? Validation = null, ExclusionReason Excluded = ExclusionReason.None);

/// <summary>
/// Quizzes: the save-time check of the questions, scoring, and a member's one submission. The submission row's unique
/// (campaign, member) is the arbiter: whatever arrives second — a replay, a double click, another request id, another
/// node — finds the first and is answered with its result. A pass (score ≥ <see cref="CampaignRules.PassMark"/>; without a
/// pass mark every submission completes) completes the participant and grants the first reward once
/// (key <c>quiz:{member}</c>), in the same transaction as the submission.
/// </summary>
public sealed class Quizzes(AppDbContext db, CampaignSnapshots snapshots, TimeProvider time)
{
    public const int MaxQuestions = 50;
    public const int MaxOptions = 8;
    public const int QuestionMaxLength = 300;
    public const int OptionMaxLength = 100;

    /// <summary>Every question has text, 2–8 options, and at least one correct answer among them; the pass mark fits the total.</summary>
    public static void Check(Validation v, CampaignRules r)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(r);
        var questions = r.Questions ?? [];
        if (questions.Count == 0)
            v.Add("rules.questions", "Required", "'rules.questions' is required: a quiz needs at least one question.");
        else if (questions.Count > MaxQuestions)
            v.Add("rules.questions", "TooMany", $"A quiz has at most {MaxQuestions} questions.", MaxQuestions, questions.Count);
        for (var i = 0; i < Math.Min(questions.Count, MaxQuestions); i++)
        {
            var q = questions[i];
            var at = $"rules.questions[{i}]";
            v.Required($"{at}.text", q.Text?.Trim(), QuestionMaxLength);
            var options = q.Options ?? [];
            if (options.Count is < 2 or > MaxOptions)
                v.Add($"{at}.options", "OutOfRange", $"'{at}.options' must have between 2 and {MaxOptions} options (got {options.Count}).", 2, MaxOptions);
            for (var o = 0; o < options.Count; o++)
                v.Required($"{at}.options[{o}]", options[o]?.Trim(), OptionMaxLength);
            var correct = q.Correct ?? [];
            if (correct.Count == 0)
                v.Add($"{at}.correct", "Campaigns.QuizNoAnswer", $"'{at}.correct' must name at least one correct option.");
            else if (correct.Any(c => c < 0 || c >= options.Count) || correct.Distinct().Count() != correct.Count)
                v.Add($"{at}.correct", "Campaigns.QuizAnswerNotAnOption", $"'{at}.correct' must be distinct indexes of the question's options (0 to {options.Count - 1}).", options.Count - 1);
            if (q.Points is < 1 or > 100)
                v.Add($"{at}.points", "OutOfRange", $"'{at}.points' must be between 1 and 100 (got {q.Points}).", 1, 100);
        }
        var total = questions.Sum(q => Math.Max(q.Points, 0));
        if (r.PassMark is { } mark && (mark < 1 || mark > Math.Max(total, 1)))
            v.Add("rules.passMark", "OutOfRange", $"'rules.passMark' must be between 1 and the quiz's total of {total} (got {mark}).", 1, total);
    }

    /// <summary>Checks the answers' shape against the questions (one list of option indexes per question).</summary>
    public static Validation CheckAnswers(IReadOnlyList<QuizQuestion> questions, IReadOnlyList<IReadOnlyList<int>?>? answers, string? requestId)
    {
        ArgumentNullException.ThrowIfNull(questions);
        var v = new Validation();
        v.Required("requestId", requestId?.Trim(), QuizSubmission.RequestIdMaxLength);
        if (answers is null)
            return v.Add("answers", "Required", "'answers' is required: one list of chosen options per question.");
        if (answers.Count != questions.Count)
            return v.Add("answers", "Campaigns.QuizAnswerCount", $"'answers' must have one entry per question ({questions.Count}, got {answers.Count}).", questions.Count, answers.Count);
        for (var i = 0; i < answers.Count; i++)
        {
            var a = answers[i] ?? [];
            if (a.Count == 0)
                v.Add($"answers[{i}]", "Campaigns.QuizUnanswered", $"'answers[{i}]' is empty: choose an option.");
            else if (a.Any(x => x < 0 || x >= questions[i].Options.Count))
                v.Add($"answers[{i}]", "Campaigns.QuizAnswerNotAnOption", $"'answers[{i}]' names an option the question does not have.", questions[i].Options.Count - 1);
        }
        return v;
    }

    public static IReadOnlyList<QuizQuestionResult> Mark(IReadOnlyList<QuizQuestion> questions, IReadOnlyList<IReadOnlyList<int>> answers)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(answers);
        return [.. questions.Select((q, i) =>
        {
            var chosen = answers[i].Distinct().Order().ToList();
            var right = chosen.SequenceEqual(q.Correct.Distinct().Order());
            return new QuizQuestionResult(i, chosen, [.. q.Correct.Order()], right, right ? q.Points : 0);
        })];
    }

    public static QuizResultDto Result(QuizSubmission s, CampaignRules rules, bool replayed)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(rules);
        var questions = rules.Questions ?? [];
        var answers = JsonSerializer.Deserialize<List<List<int>>>(s.Answers, CampaignJson.Options) ?? [];
        var marked = answers.Count == questions.Count ? Mark(questions, [.. answers]) : [];
        return new QuizResultDto(s.Id, s.MemberId, s.Score, s.Total, rules.PassMark, s.Passed, replayed, s.CreatedAt, marked);
    }

    /// <summary>The member's one submission (the caller verified the token).</summary>
    public async Task<QuizAnswer> SubmitAsync(CampaignSnapshot s, Guid memberId, IReadOnlyList<IReadOnlyList<int>?>? answers, string? requestId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        var campaign = s.Campaign;
        using var acting = db.Current.ActAsSystemWhile(campaign.WorkspaceId);
        if (await FirstAsync(campaign.Id, memberId, s.Rules, ct) is { } first)
            return new(QuizOutcome.Done, first);
        var questions = s.Rules.Questions ?? [];
        var v = CheckAnswers(questions, answers, requestId);
        if (!v.IsValid)
            return new(QuizOutcome.Invalid, Validation: v);
        var now = time.GetUtcNow().UtcDateTime;
        if (campaign.Kind != CampaignKind.Quiz || campaign.PhaseAt(now) != CampaignPhase.Running)
            return new(QuizOutcome.NotRunning);
        var community = await snapshots.AudienceCommunityAsync(s, memberId, ct);
        if (community is null)
            return new(QuizOutcome.NotInAudience);
        if (await snapshots.ExclusionAsync(s, memberId, ct) is not ExclusionReason.None and var excluded)
            return new(QuizOutcome.Excluded, Excluded: excluded);
        var chosen = answers!.Select(a => (IReadOnlyList<int>)[.. a!.Distinct().Order()]).ToList();
        var marked = Mark(questions, chosen);
        var score = marked.Sum(m => m.Points);
        var passed = s.Rules.PassMark is not { } mark || score >= mark;
        var submission = new QuizSubmission
        {
            WorkspaceId = campaign.WorkspaceId, CampaignId = campaign.Id, MemberId = memberId, CommunityId = community, RequestId = requestId!.Trim(),
            Answers = CampaignJson.Write(chosen), Score = score, Total = questions.Sum(q => q.Points), Passed = passed, CreatedAt = now,
        };
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.Add(submission);
            var participant = await Participants.EnsureAsync(db, campaign.WorkspaceId, campaign.Id, memberId, community, now, ct);
            if (passed)
            {
                participant.CompletedAt ??= now;
                if (campaign.RewardsValue().Count > 0)
                    await CampaignGrants.AddOnceAsync(db, campaign, 0, memberId, $"quiz:{memberId:N}", now, ct);
            }
            try
            {
                await db.SaveChangesWithoutAuditAsync(ct);
                await tx.CommitAsync(ct);
                return new(QuizOutcome.Done, Result(submission, s.Rules, replayed: false));
            }
            catch (DbUpdateException)
            {
                // The same member's other request saved first: its result is the result.
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
            }
        }
        return await FirstAsync(campaign.Id, memberId, s.Rules, ct) is { } won ? new(QuizOutcome.Done, won) : throw new InvalidOperationException("The quiz submission was neither saved nor found.");
    }

    private async Task<QuizResultDto?> FirstAsync(Guid campaignId, Guid memberId, CampaignRules rules, CancellationToken ct)
    {
        var first = await db.Set<QuizSubmission>().AsNoTracking().SingleOrDefaultAsync(x => x.CampaignId == campaignId && x.MemberId == memberId, ct);
        return first is null ? null : Result(first, rules, replayed: true);
    }

    /// <summary>The member's result, if they submitted.</summary>
    public async Task<QuizResultDto?> ResultAsync(CampaignSnapshot s, Guid memberId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(s);
        using var acting = db.Current.ActAsSystemWhile(s.Campaign.WorkspaceId);
        return await FirstAsync(s.Campaign.Id, memberId, s.Rules, ct);
    }

    /// <summary>Staff's summary of a quiz they see.</summary>
    public async Task<QuizSummaryDto?> SummaryAsync(Guid id, CancellationToken ct = default)
    {
        if ((await CampaignDesk.VisibleAsync(db, id, CampaignKind.Quiz, ct)).Campaign is not { } campaign)
            return null;
        var rules = campaign.RulesValue();
        var questions = rules.Questions ?? [];
        var rows = await db.Set<QuizSubmission>().AsNoTracking().Where(x => x.CampaignId == id)
            .Join(db.Members, x => x.MemberId, m => m.Id, (x, m) => new { x, m.DisplayName }).ToListAsync(ct);
        var right = new int[questions.Count];
        foreach (var r in rows)
        {
            foreach (var q in Result(r.x, rules, false).Questions.Where(q => q.Right && q.Index < right.Length))
                right[q.Index]++;
        }
        return new QuizSummaryDto(id, questions.Count, questions.Sum(q => q.Points), rules.PassMark, rows.Count, rows.Count(r => r.x.Passed),
            rows.Count == 0 ? 0 : Math.Round(rows.Average(r => r.x.Score), 2), right,
            [.. rows.OrderByDescending(r => r.x.Score).ThenBy(r => r.x.CreatedAt).Select(r => new QuizSubmissionRow(r.x.MemberId, r.DisplayName, r.x.Score, r.x.Passed, r.x.CreatedAt))]);
    }
}
