using System.Net;
using Shequn.Features.Moderation;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Moderation;

public abstract class ModerationApiTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<WordListDto> ListAsync(TestStaff staff, string name, double weight = 0.5) =>
        await (await staff.Api.PostJsonAsync("/api/moderation/lists", new { name, category = "ads", weight })).ReadAsync<WordListDto>();

    private static async Task<CheckResultDto> CheckAsync(TestStaff staff, string text) =>
        await (await staff.Api.PostJsonAsync("/api/moderation/check", new { text })).ReadAsync<CheckResultDto>();

    [Fact]
    public async Task Import_PlainTextList_ReportsLinesAndCheckFindsTerms()
    {
        var ws = await factory.NewWorkspaceAsync();
        var list = await ListAsync(ws.Owner, "广告词", 0.4);

        var report = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/import", new { text = "兼职\n\n刷单\n兼职\n★★\n\u200B😀\n" }))
            .ReadAsync<WordListImportDto>();
        var result = await CheckAsync(ws.Owner, "招 兼-職，日结");

        Assert.Equal(2, report.Added);
        Assert.Equal([2], report.BlankLines);
        Assert.Equal([4], report.Duplicates.Select(d => d.Line));
        Assert.Equal([5, 6], report.Malformed.Select(m => m.Line));
        var evidence = Assert.Single(result.Evidence);
        Assert.Equal((EvidenceSource.WordList, "广告词", "兼职", 2, 3), (evidence.Source, evidence.Rule, evidence.Term, evidence.Start, evidence.Length));
        Assert.Equal(0.4, result.Score, 6);
        Assert.Equal(ModerationDecision.Allow, result.Decision);
        Assert.Equal(2, Assert.Single(await ws.Owner.Api.GetJsonAsync<List<WordListDto>>("/api/moderation/lists")).TermCount);
    }

    [Fact]
    public async Task Lists_OperatorOrKoc_CannotChangeButCanCheck()
    {
        var ws = await factory.NewWorkspaceAsync();
        var list = await ListAsync(ws.Owner, "广告词");
        var op = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Operator);
        var koc = await ws.AddStaffAsync(Shequn.Features.Staff.StaffRole.Koc);

        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/moderation/lists", new { name = "x", category = "ads", weight = 0.5 })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/import", new { text = "兼职" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.Api.PostJsonAsync("/api/moderation/train", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await koc.Api.PostJsonAsync("/api/moderation/labels", new { text = "加微信", isSpam = true })).StatusCode);
        Assert.Equal(0, Assert.Single(await ws.Owner.Api.GetJsonAsync<List<WordListDto>>("/api/moderation/lists")).TermCount);
        Assert.Equal(HttpStatusCode.OK, (await op.Api.PostJsonAsync("/api/moderation/check", new { text = "你好" })).StatusCode);
    }

    [Fact]
    public async Task Check_ContactDetails_ReturnsPatternEvidence()
    {
        var ws = await factory.NewWorkspaceAsync();

        var result = await CheckAsync(ws.Owner, "看片加微 ｓｘ１１１５０５");

        Assert.Contains(result.Evidence, e => e.Source == EvidenceSource.Pattern && e.Rule == "WeChatId" && e.Term == "加微 ｓｘ１１１５０５");
        Assert.Equal(ModerationDecision.Review, result.Decision);
    }

    [Fact]
    public async Task Check_MissingText_Returns400()
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/check", new { kind = "text" })).ReadValidationErrorsAsync();

        Assert.Contains("text", errors.Keys);
    }

    [Fact]
    public async Task AddAndRemoveTerm_ChangesWhatCheckFinds()
    {
        var ws = await factory.NewWorkspaceAsync();
        var list = await ListAsync(ws.Owner, "自定义");

        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/terms", new { term = "代刷" })).StatusCode);
        var duplicate = await (await ws.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/terms", new { term = "代刷" })).ReadValidationErrorsAsync();
        Assert.Single((await CheckAsync(ws.Owner, "专业代刷")).Evidence);

        var removed = await ws.Owner.Api.DeleteAsync($"/api/moderation/lists/{list.Id}/terms?term=代刷", Ct);

        Assert.Contains("already holds", Assert.Single(duplicate["term"]), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Empty((await CheckAsync(ws.Owner, "专业代刷")).Evidence);
        Assert.Empty(await ws.Owner.Api.GetJsonAsync<List<string>>($"/api/moderation/lists/{list.Id}/terms"));
    }

    [Fact]
    public async Task WordLists_OtherWorkspace_AreNotSeen()
    {
        var a = await factory.NewWorkspaceAsync();
        var b = await factory.NewWorkspaceAsync();
        var list = await ListAsync(a.Owner, "A 的词");
        await a.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/import", new { text = "秘密词" });

        Assert.Empty(await b.Owner.Api.GetJsonAsync<List<WordListDto>>("/api/moderation/lists"));
        Assert.Empty((await CheckAsync(b.Owner, "秘密词")).Evidence);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Api.PostJsonAsync($"/api/moderation/lists/{list.Id}/import", new { text = "x" })).StatusCode);
    }

    [Fact]
    public async Task ImportLabels_BadRow_NamesRowAndImportsNothing()
    {
        var ws = await factory.NewWorkspaceAsync();

        var errors = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/labels/import", new { text = "target,input\n1,加微\n7,坏\n" })).ReadValidationErrorsAsync();
        var train = await ws.Owner.Api.PostAsync("/api/moderation/train", null, Ct);

        Assert.StartsWith("row 2 ", Assert.Single(errors["text"]), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, train.StatusCode);
    }

    [Fact]
    public async Task Train_ImportedLabels_SwapsInModelWithMetrics()
    {
        var ws = await factory.NewWorkspaceAsync();
        var csv = LabelledFixture.Csv();
        var imported = await (await ws.Owner.Api.PostJsonAsync("/api/moderation/labels/import", new { text = csv })).ReadAsync<LabelImportDto>();
        Assert.Equal(HttpStatusCode.Created, (await ws.Owner.Api.PostJsonAsync("/api/moderation/labels", new { isSpam = false, text = "周末愉快" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ws.Owner.Api.GetAsync("/api/moderation/model", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await ws.Owner.Api.PostAsync("/api/moderation/train", null, Ct)).StatusCode);
        HttpResponseMessage model;
        var waited = 0;
        while ((model = await ws.Owner.Api.GetAsync("/api/moderation/model", Ct)).StatusCode == HttpStatusCode.NotFound && waited++ < 300)
            await Task.Delay(100, Ct);

        var dto = await model.ReadAsync<ModelDto>();
        Assert.Equal(LabelledFixture.All.Count, imported.Imported);
        Assert.Equal(LabelledFixture.All.Count + 1, dto.TrainingExamples);
        Assert.Equal(LabelledFixture.Spam.Length, dto.SpamExamples);
        Assert.All([dto.Accuracy, dto.PrecisionAtAct, dto.RecallAtAct], v => Assert.True(v is null || Math.Round(v.Value, CheckResultDto.Decimals) == v, $"{v}"));
        Assert.NotNull((await CheckAsync(ws.Owner, "加微sx111505")).ModelScore);
    }
}

public sealed class ModerationApiTests_Sqlite(SqliteFactory factory) : ModerationApiTests(factory), IClassFixture<SqliteFactory>;

public sealed class ModerationApiTests_Postgres(PostgresFactory factory) : ModerationApiTests(factory), IClassFixture<PostgresFactory>;
