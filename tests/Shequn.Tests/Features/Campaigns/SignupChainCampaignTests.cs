using System.Text;
using Microsoft.Extensions.DependencyInjection;
using nietras.SeparatedValues;
using Shequn.Features.Campaigns;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Tests.Features.Calendar;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Campaigns;

/// <summary>
/// A 接龙 campaign read from the log: messages posted through <c>/api/events</c> (a start, copies, two copies of one
/// version at once, a withdrawal, staff chatter, a message outside the period) become the clean list and its CSV.
/// </summary>
public abstract class SignupChainCampaignTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, object?> Say(Guid community, string id, string user, string name, DateTimeOffset at, string text, bool staff = false) => new()
    {
        ["platform"] = "sandbox", ["id"] = id, ["kind"] = "messagePosted", ["occurredAt"] = at, ["communityId"] = community,
        ["user"] = new { id = user, name, staff }, ["message"] = new { id = "m-" + id, kind = "text", text },
    };

    [Fact]
    public async Task ChainMessages_BecomeTheCleanList_AndTheCsv()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity("徒步群", "sandbox"))).ReadAsync<CommunityDto>()).Id;
        var now = DateTimeOffset.UtcNow;
        var campaign = await (await ws.Owner.Api.PostJsonAsync("/api/campaigns", new
        {
            name = "周六徒步报名", kind = "signupChain", startsAt = now.AddHours(-3), endsAt = now.AddDays(1),
            audience = new { communityIds = new[] { community } }, goalMetric = "participants", goalTarget = 20,
        })).ReadAsync<CampaignDto>();
        await (await ws.Owner.Api.PostAsync($"/api/campaigns/{campaign.Id}/publish", null, Ct)).ReadAsync<CampaignDto>();

        const string Head = "#接龙 周六徒步\n";
        var t = now.AddHours(-2);
        var events = new object[]
        {
            Say(community, "old", "z", "张三", now.AddHours(-5), Head + "1. 老王"),                             // before the period
            Say(community, "c1", "z", "张三", t, Head + "1. 张三 2人\n2. 李四"),
            Say(community, "c2", "w", "王五", t.AddMinutes(1), Head + "1. 张三 2人\n2. 李四\n3. 王五"),
            // Two copies of the same version at the same moment: both lines are kept.
            Say(community, "c3", "zl", "赵六", t.AddMinutes(2), Head + "1. 张三 2人\n2. 李四\n3. 王五\n4. 赵六"),
            Say(community, "c4", "qq", "钱七", t.AddMinutes(2), Head + "1. 张三 2人\n2. 李四\n3. 王五\n4. 钱七 带娃"),
            Say(community, "s1", "staff", "小助手", t.AddMinutes(3), "大家快来接龙啊", staff: true),
            Say(community, "c5", "sb", "孙八", t.AddMinutes(4), Head + "1. 张三 2人\n2. 李四\n3. 王五\n4. 赵六\n5. 钱七 带娃\n6. 孙八"),
            Say(community, "c6", "w", "王五", t.AddMinutes(5), "我不去了"),
        };
        Assert.True((await ws.Owner.Api.PostJsonAsync("/api/events", events)).IsSuccessStatusCode);
        await factory.Services.GetRequiredService<EventProcessor>().WaitUntilCaughtUpAsync(Ct);

        var read = await ws.Owner.Api.GetJsonAsync<SignupChainsDto>($"/api/campaigns/{campaign.Id}/chain");
        var chain = Assert.Single(read.Chains);
        Assert.Equal("周六徒步", chain.Title);
        Assert.Equal(["张三", "李四", "赵六", "钱七", "孙八"], chain.Entries.Select(e => e.Name));
        Assert.Equal(["2人", "", "", "带娃", ""], chain.Entries.Select(e => e.Note));
        Assert.Equal(["张三", "张三", "赵六", "钱七", "孙八"], chain.Entries.Select(e => e.AddedByName));
        Assert.All(chain.Entries, e => Assert.NotNull(e.AddedBy)); // senders mapped to members
        var withdrawn = Assert.Single(chain.Withdrawals);
        Assert.Equal(("王五", "王五", ChainWithdrawalForm.Message), (withdrawn.Name, withdrawn.WithdrawnByName, withdrawn.Form));

        var csv = await ws.Owner.Api.GetAsync($"/api/campaigns/{campaign.Id}/chain.csv", Ct);
        Assert.True(csv.IsSuccessStatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Contains("周六徒步.csv", csv.Content.Headers.ContentDisposition!.FileNameStar, StringComparison.Ordinal);
        var bytes = await csv.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true }).FromText(Encoding.UTF8.GetString(bytes[3..]));
        var rows = new List<(string Name, string Status, string AddedBy)>();
        foreach (var row in reader)
            rows.Add((row["name"].ToString(), row["status"].ToString(), row["addedBy"].ToString()));
        Assert.Equal(
            [("张三", "joined", "张三"), ("李四", "joined", "张三"), ("赵六", "joined", "赵六"), ("钱七", "joined", "钱七"), ("孙八", "joined", "孙八"), ("王五", "withdrawn", "王五")],
            rows);
    }
}

public sealed class SignupChainCampaignSqliteTests(PostsSqliteFactory factory) : SignupChainCampaignTests(factory), IClassFixture<PostsSqliteFactory>;

public sealed class SignupChainCampaignPostgresTests(PostsPostgresFactory factory) : SignupChainCampaignTests(factory), IClassFixture<PostsPostgresFactory>;
