using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Features.Campaigns;

/// <summary>The campaign editor's quiz questions: a question added with its options and right answer is saved into the rules and shown again.</summary>
public sealed class QuizEditorTests(ConsoleApp app)
{
    // MudBlazor puts the test id on the checkbox's input or around it, depending on the component.
    private const string Correct = "input[data-testid=quiz-option-correct], [data-testid=quiz-option-correct] input";

    [Fact]
    public async Task Quiz_QuestionAddedInTheEditor_SavedWithItsRightAnswer_AndReloaded()
    {
        using var api = app.ApiClient();
        var community = await CampaignKit.CommunityAsync(api, "答题编辑群");
        var quiz = await CampaignKit.CreateAsync(api, new
        {
            name = "健康知识问答", kind = "quiz", startsAt = DateTimeOffset.UtcNow.AddDays(1), endsAt = DateTimeOffset.UtcNow.AddDays(3),
            audience = new { communityIds = new[] { community } }, goalMetric = "completions", goalTarget = 10,
            rules = new { questions = new[] { new { text = "鱼油每天吃几粒？", options = new[] { "1 粒", "10 粒" }, correct = new[] { 0 } } } },
        }, publish: false);

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(app.OwnerEmail, app.OwnerPassword);
        await page.OpenAsync($"/campaigns?id={quiz.Id}");
        var questions = page.GetByTestId("quiz-question");
        await questions.First.WaitForAsync();
        Assert.Equal("鱼油每天吃几粒？", await questions.First.Locator("textarea[data-testid=quiz-question-text]").InputValueAsync());
        Assert.True(await questions.First.Locator(Correct).First.IsCheckedAsync());

        await page.GetByTestId("quiz-add-question").ClickAsync();
        await questions.Nth(1).WaitForAsync();
        var second = questions.Nth(1);
        await second.Locator("textarea[data-testid=quiz-question-text]").FillAsync("哪些是水果？");
        await second.GetByTestId("quiz-add-option").ClickAsync();
        await second.GetByTestId("quiz-option").Nth(2).WaitForAsync();
        var options = second.Locator("input[data-testid=quiz-option-text]");
        await options.Nth(0).FillAsync("苹果");
        await options.Nth(1).FillAsync("白菜");
        await options.Nth(2).FillAsync("香蕉");
        await second.Locator(Correct).Nth(0).CheckAsync();
        await second.Locator(Correct).Nth(2).CheckAsync();
        await page.GetByTestId("campaign-save").ClickAsync();
        await page.Locator(".mud-snackbar").Filter(new() { HasTextString = "已保存" }).WaitForAsync();

        var rules = (await CampaignKit.GetAsync(api, quiz.Id)).GetProperty("rules").GetProperty("questions");
        Assert.Equal(2, rules.GetArrayLength());
        var saved = rules[1];
        Assert.Equal("哪些是水果？", saved.GetProperty("text").GetString());
        Assert.Equal(["苹果", "白菜", "香蕉"], saved.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal([0, 2], saved.GetProperty("correct").EnumerateArray().Select(o => o.GetInt32()));

        await page.OpenAsync($"/campaigns?id={quiz.Id}");
        await questions.Nth(1).WaitForAsync();
        Assert.Equal("香蕉", await questions.Nth(1).Locator("input[data-testid=quiz-option-text]").Nth(2).InputValueAsync());
        Assert.True(await questions.Nth(1).Locator(Correct).Nth(2).IsCheckedAsync());
        Assert.False(await questions.Nth(1).Locator(Correct).Nth(1).IsCheckedAsync());
    }
}
