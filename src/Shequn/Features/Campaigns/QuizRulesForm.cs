namespace Shequn.Features.Campaigns;

/// <summary>
/// The editor's fields for a quiz: its questions, each with its options and which of them are right, and the pass mark.
/// Rows keep what staff typed, blanks included, so the save-time check (<see cref="Quizzes.Check"/>) names the very
/// question and option that is missing; a question's position is its index in <c>rules.questions</c>.
/// </summary>
public sealed class QuizRulesForm
{
    public sealed class OptionRow
    {
        public string? Text { get; set; }
        public bool Correct { get; set; }
    }

    public sealed class QuestionRow
    {
        public string? Text { get; set; }
        public int Points { get; set; } = 1;
        public List<OptionRow> Options { get; set; } = [new(), new()];
    }

    public int? PassMark { get; set; }
    public List<QuestionRow> Questions { get; set; } = [];

    public static QuizRulesForm From(CampaignRules r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new()
        {
            PassMark = r.PassMark,
            Questions = [.. (r.Questions ?? []).Select(q => new QuestionRow
            {
                Text = q.Text,
                Points = q.Points,
                Options = [.. (q.Options ?? []).Select((o, i) => new OptionRow { Text = o, Correct = q.Correct?.Contains(i) == true })],
            })],
        };
    }

    /// <summary>The rules with this form's questions and pass mark when the kind is a quiz (others left as they are).</summary>
    public CampaignRules Apply(CampaignRules rules, CampaignKind kind)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (kind != CampaignKind.Quiz)
            return rules;
        return rules with
        {
            PassMark = PassMark,
            Questions = Questions.Count == 0 ? null : [.. Questions.Select(q => new QuizQuestion(
                q.Text?.Trim() ?? "",
                [.. q.Options.Select(o => o.Text?.Trim() ?? "")],
                [.. q.Options.Select((o, i) => (o, i)).Where(x => x.o.Correct).Select(x => x.i)],
                q.Points))],
        };
    }

    public bool MayAddQuestion => Questions.Count < Quizzes.MaxQuestions;

    public void AddQuestion()
    {
        if (MayAddQuestion)
            Questions.Add(new QuestionRow());
    }

    public static bool MayAddOption(QuestionRow q) => q?.Options.Count < Quizzes.MaxOptions;

    public static void AddOption(QuestionRow q)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (MayAddOption(q))
            q.Options.Add(new OptionRow());
    }
}
