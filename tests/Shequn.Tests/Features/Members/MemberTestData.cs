using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Tags;
using Shequn.Tests.Features.Communities;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Features.Members;

/// <summary>Builds members and tags through the API; joins and leaves (which have no endpoint yet) go straight to the database.</summary>
internal static class MemberTestData
{
    public static async Task<CommunityDto> CommunityAsync(TestStaff staff, string name) =>
        await (await staff.Api.PostJsonAsync("/api/communities", CommunityApiTests.NewCommunity(name))).ReadAsync<CommunityDto>();

    public static async Task<MemberDto> MemberAsync(
        TestStaff staff, string name, Guid? communityId = null, string? city = null, string? industry = null,
        string layer = "regular", string? nickname = null, Guid? inviter = null, Guid[]? tagIds = null)
    {
        var body = new
        {
            displayName = name,
            city,
            industry,
            layer,
            needs = new[] { "knowledge" },
            channel = "线下门店",
            organisations = (string?)null,
            membership = communityId is null ? null : new { communityId, nickname, channel = "活码", inviterMemberId = inviter, joinedAt = (DateTime?)null },
            tagIds,
        };
        return await (await staff.Api.PostJsonAsync("/api/members", body)).ReadAsync<MemberDto>();
    }

    public static async Task<TagDto> TagAsync(TestStaff staff, string name) =>
        await (await staff.Api.PostJsonAsync("/api/tags", new { name })).ReadAsync<TagDto>();

    public static async Task<TagMembersResult> AssignAsync(TestStaff staff, Guid tagId, params Guid[] memberIds) =>
        await (await staff.Api.PostJsonAsync($"/api/tags/{tagId}/members", new { memberIds })).ReadAsync<TagMembersResult>();

    public static async Task AddMembershipAsync(ShequnFactory factory, TestWorkspace ws, Guid memberId, Guid communityId, DateTime? leftAt = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        db.Current.ActAsSystem(ws.Id);
        db.Memberships.Add(new Membership
        {
            CommunityId = communityId,
            MemberId = memberId,
            JoinedAt = DateTime.UtcNow.AddDays(-30),
            LeftAt = leftAt,
        });
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }
}
