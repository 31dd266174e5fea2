using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Enforcement;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Review;

/// <summary>Moderation cases written straight through the app's DbContext, as the processor would write them.</summary>
internal static class CaseSeed
{
    private static long _seq = Random.Shared.NextInt64(1_000_000, 1_000_000_000);

    public static async Task<Guid> CommunityAsync(TestWorkspace ws, string name, string platform = "sandbox") =>
        (await (await ws.Owner.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name, platform))).ReadAsync<CommunityDto>()).Id;

    public static ModerationCase Case(TestWorkspace ws, Guid community, CaseDecision decision, double score, string text = "加微信领红包", string rule = "contact",
        LadderAction? action = null, string? userId = "u1", ChatPlatform platform = ChatPlatform.Sandbox, DateTime? at = null) => new()
        {
            WorkspaceId = ws.Id,
            CommunityId = community,
            EventSeq = Interlocked.Increment(ref _seq),
            Platform = platform,
            MessageId = "m" + _seq,
            UserId = userId,
            UserName = userId is null ? null : "用户" + userId,
            Text = text,
            Decision = decision,
            Rule = rule,
            Score = score,
            Evidence = """[{"source":"Pattern","rule":"contact","term":"加微信","start":0,"length":3,"weight":0.4}]""",
            Action = action,
            OccurredAt = at ?? DateTime.UtcNow,
        };

    public static async Task<T> AddAsync<T>(ShequnFactory factory, TestWorkspace ws, T row) where T : class
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        db.Add(row);
        await db.SaveChangesWithoutAuditAsync(TestContext.Current.CancellationToken);
        return row;
    }

    public static async Task<T> QueryAsync<T>(ShequnFactory factory, TestWorkspace ws, Func<AppDbContext, Task<T>> query)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        return await query(db);
    }

    public static Task<List<T>> RowsAsync<T>(ShequnFactory factory, TestWorkspace ws) where T : class =>
        QueryAsync(factory, ws, db => db.Set<T>().AsNoTracking().ToListAsync(TestContext.Current.CancellationToken));
}
