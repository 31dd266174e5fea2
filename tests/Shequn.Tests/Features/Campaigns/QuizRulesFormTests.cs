using Shequn.Features.Campaigns;
using Shequn.Platform.Api;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// <see cref="QuizRulesForm"/>: the console's quiz editor reads a quiz's questions, options, right answers and pass mark
/// from the rules and writes back the same rules; edits land where staff made them; blanks reach the save-time check,
/// which names the question and option; and other kinds' rules are left alone.
/// </summary>
public sealed class QuizRulesFormTests
{
    private static readonly CampaignRules Quiz = new()
    {
        PassMark = 3,
        CollectPhone = true,
        Questions =
        [
            new QuizQuestion("社群几点开团？", ["早上 8 点", "中午 12 点", "晚上 8 点"], [2], 2),
            new QuizQuestion("哪些是水果？", ["苹果", "白菜", "香蕉", "土豆"], [0, 2]),
        ],
    };

    private static string Json(CampaignRules r) => CampaignJson.Write(r);

    [Fact]
    public void FromThenApply_Quiz_RoundTripsQuestionsOptionsAnswersPointsAndPassMark()
    {
        var form = QuizRulesForm.From(Quiz);
        Assert.Equal(2, form.Questions.Count);
        Assert.Equal([false, false, true], form.Questions[0].Options.Select(o => o.Correct));
        Assert.Equal([true, false, true, false], form.Questions[1].Options.Select(o => o.Correct));
        Assert.Equal(2, form.Questions[0].Points);

        var back = form.Apply(new CampaignRules { CollectPhone = true }, CampaignKind.Quiz);
        Assert.Equal(Json(Quiz), Json(back));
        var v = new Validation();
        Quizzes.Check(v, back);
        Assert.True(v.IsValid, string.Join("; ", v.Errors.Keys));
    }

    [Fact]
    public void Apply_AfterEdits_WritesTheEditedQuestions_AnswersFollowTheirOptions()
    {
        var form = QuizRulesForm.From(Quiz);
        // Remove 白菜 (before the second right answer), add a right option, and a new question with a third option.
        form.Questions[1].Options.RemoveAt(1);
        QuizRulesForm.AddOption(form.Questions[1]);
        form.Questions[1].Options[^1].Text = " 葡萄 ";
        form.Questions[1].Options[^1].Correct = true;
        form.AddQuestion();
        var added = form.Questions[^1];
        added.Text = "一共几个群？";
        added.Points = 3;
        added.Options[0].Text = "1";
        added.Options[1].Text = "2";
        QuizRulesForm.AddOption(added);
        added.Options[2].Text = "3";
        added.Options[1].Correct = true;
        form.Questions.RemoveAt(0);
        form.PassMark = 4;

        var rules = form.Apply(new CampaignRules(), CampaignKind.Quiz);
        var questions = rules.Questions!;
        Assert.Equal(2, questions.Count);
        Assert.Equal(["苹果", "香蕉", "土豆", "葡萄"], questions[0].Options);
        Assert.Equal([0, 1, 3], questions[0].Correct);
        Assert.Equal(("一共几个群？", 3), (questions[1].Text, questions[1].Points));
        Assert.Equal(["1", "2", "3"], questions[1].Options);
        Assert.Equal([1], questions[1].Correct);
        Assert.Equal(4, rules.PassMark);
        var v = new Validation();
        Quizzes.Check(v, rules);
        Assert.True(v.IsValid, string.Join("; ", v.Errors.Keys));
    }

    [Fact]
    public void Apply_BlankOptionAndNoAnswer_KeptInPlace_SoTheCheckNamesThem()
    {
        var form = new QuizRulesForm();
        form.AddQuestion();
        form.Questions[0].Text = "第一题";
        form.Questions[0].Options[0].Text = "对";
        var rules = form.Apply(new CampaignRules(), CampaignKind.Quiz);
        Assert.Equal(["对", ""], rules.Questions![0].Options);
        var v = new Validation();
        Quizzes.Check(v, rules);
        Assert.Contains("rules.questions[0].options[1]", v.Errors.Keys);
        Assert.Contains("rules.questions[0].correct", v.Errors.Keys);

        var none = new QuizRulesForm().Apply(new CampaignRules(), CampaignKind.Quiz);
        Assert.Null(none.Questions);
        var empty = new Validation();
        Quizzes.Check(empty, none);
        Assert.Contains("rules.questions", empty.Errors.Keys);
    }

    [Fact]
    public void AddQuestionAndOption_StopAtTheQuizLimits()
    {
        var form = new QuizRulesForm();
        for (var i = 0; i < Quizzes.MaxQuestions + 5; i++)
            form.AddQuestion();
        Assert.Equal(Quizzes.MaxQuestions, form.Questions.Count);
        Assert.False(form.MayAddQuestion);
        var q = form.Questions[0];
        for (var i = 0; i < Quizzes.MaxOptions + 5; i++)
            QuizRulesForm.AddOption(q);
        Assert.Equal(Quizzes.MaxOptions, q.Options.Count);
        Assert.False(QuizRulesForm.MayAddOption(q));
    }

    [Fact]
    public void Apply_OtherKinds_LeaveTheRulesAlone_AndTheBoardFormNoLongerWritesQuizFields()
    {
        var form = QuizRulesForm.From(Quiz);
        var board = new CampaignRules { BetweenCommunities = true };
        Assert.Same(board, form.Apply(board, CampaignKind.Leaderboard));
        var quiz = BoardRulesForm.From(Quiz).Apply(Quiz, CampaignKind.Quiz);
        Assert.Equal(Json(Quiz), Json(quiz));
    }
}
