using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Shequn.BrowserTests.Features.Campaigns;
using Shequn.BrowserTests.Infrastructure;

namespace Shequn.BrowserTests.Platform;

/// <summary>
/// Authorisation everywhere, through the Blazor connection (docs/security.md): on an open console, a move inside the
/// live circuit (no page load) to the address of a member or a community the operator is not assigned to renders the
/// page's not-found state, and nothing the circuit sends the browser carries the foreign member's or community's name.
/// </summary>
public sealed class ForeignPagesInCircuitTests(ConsoleApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The demo operator of the API matrix (AuthorizationMatrixTests): assigned to some of the demo's communities only.
    private const string Operator = "zhou.ting@demo.shequn.local";

    [Fact]
    public async Task Operator_MovesInTheCircuitToAnotherCommunitysMemberAndCommunity_SeesNotFound_AndNoForeignDataReachesTheBrowser()
    {
        if (app.Unavailable is { } reason)
            Assert.Skip(reason);
        using var api = app.ApiClient();
        var staff = (await api.GetFromJsonAsync<JsonElement>($"/api/staff?q={Uri.EscapeDataString(Operator)}&pageSize=10", Ct)).GetProperty("items").EnumerateArray()
            .Single(s => s.GetProperty("email").GetString() == Operator);
        var assigned = staff.GetProperty("communities").EnumerateArray().Select(c => c.GetProperty("communityId").GetGuid()).ToHashSet();
        var communities = (await api.GetFromJsonAsync<JsonElement>("/api/communities?pageSize=100", Ct)).GetProperty("items").EnumerateArray()
            .Select(c => (Id: c.GetProperty("id").GetGuid(), Name: c.GetProperty("name").GetString()!)).ToList();
        Assert.NotEmpty(assigned);
        var own = communities.First(c => assigned.Contains(c.Id));
        var ownMember = await MemberAsync(api, own.Id, assigned);
        // The other side made here, not picked from the demo (whose short names other tests' members come to share): a
        // community she is not assigned to, and its member, both with names no one else has.
        var run = Guid.NewGuid().ToString("N")[..6];
        var foreignId = await CampaignKit.CommunityAsync(api, "越权演练" + run);
        var foreign = (Id: foreignId, Name: (await api.GetFromJsonAsync<JsonElement>($"/api/communities/{foreignId}", Ct)).GetProperty("name").GetString()!);
        var foreignName = "外群成员" + run;
        var foreignMember = (Id: Guid.Parse((await CampaignKit.JoinAsync(api, foreignId, [foreignName]))[foreignName]), Name: foreignName);
        Assert.DoesNotContain(foreignId, assigned);

        await using var context = await app.NewContextAsync();
        var page = await context.SignInAsync(Operator, app.StaffPassword);
        // Everything the circuit sends (render batches, as blazorpack frames over the WebSocket), kept to search.
        var frames = new List<byte[]>();
        page.WebSocket += (_, socket) => socket.FrameReceived += (_, frame) =>
        {
            lock (frames)
                frames.Add(frame.Binary ?? Encoding.UTF8.GetBytes(frame.Text ?? ""));
        };
        await page.OpenAsync($"/members/{ownMember.Id}");
        await Assertions.Expect(page.GetByTestId("member-title")).ToHaveTextAsync(ownMember.Name);
        // A mark on the window: a page load would lose it, a move inside the circuit keeps it.
        await page.EvaluateAsync("() => window.__sameCircuit = true");

        // Another community's member, by address, inside the circuit: the same page, now not found, with no name above it.
        await NavigateInCircuitAsync(page, $"/members/{foreignMember.Id}");
        await page.GetByTestId("not-found").WaitForAsync();
        Assert.Equal("", (await page.GetByTestId("member-title").InnerTextAsync()).Trim());

        // Another community by address, its activity and then its settings, each reached from a member's page (so the
        // not-found seen is the new page's: the member page is gone first).
        foreach (var path in new[] { $"/communities/{foreign.Id}/activity", $"/communities/{foreign.Id}" })
        {
            await NavigateInCircuitAsync(page, path);
            await page.GetByTestId("member-title").WaitForAsync(new() { State = WaitForSelectorState.Detached });
            await page.GetByTestId("not-found").WaitForAsync();
            // Back to her own member: shown again, so the pages stay live.
            await NavigateInCircuitAsync(page, $"/members/{ownMember.Id}");
            await Assertions.Expect(page.GetByTestId("member-title")).ToHaveTextAsync(ownMember.Name);
            Assert.Equal(0, await page.GetByTestId("not-found").CountAsync());
        }
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameCircuit === true"), "A page load happened: the moves were not inside the circuit.");

        var content = await page.ContentAsync();
        byte[][] received;
        lock (frames)
            received = [.. frames];
        Assert.True(received.Length > 0, "No WebSocket frames were seen: the circuit's traffic was not watched.");
        // The watch sees what the circuit sends: the operator's own member is in it (the interactive render of her page).
        Assert.True(received.Any(f => Contains(f, ownMember.Name)), $"The own member '{ownMember.Name}' is in no frame: the search is blind.");
        foreach (var name in new[] { foreignMember.Name, foreign.Name })
        {
            Assert.DoesNotContain(name, content, StringComparison.Ordinal);
            Assert.False(received.Any(f => Contains(f, name)), $"The circuit sent '{name}', which the operator may not see.");
        }
    }

    /// <summary>A move inside the live circuit, as a link click does (Blazor's own navigation, no page load).</summary>
    private static async Task NavigateInCircuitAsync(IPage page, string path)
    {
        await page.EvaluateAsync("path => Blazor.navigateTo(path)", path);
        await page.WaitForURLAsync(url => new Uri(url).PathAndQuery == path);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    /// <summary>
    /// A member of the community whose every membership, past ones too, is in the operator's communities, and whose name no
    /// member outside them shares (so finding the name proves something).
    /// </summary>
    private static async Task<(Guid Id, string Name)> MemberAsync(HttpClient api, Guid community, HashSet<Guid> assigned)
    {
        var members = (await api.GetFromJsonAsync<JsonElement>($"/api/members?communityId={community}&pageSize=100", Ct)).GetProperty("items").EnumerateArray().ToList();
        foreach (var m in members)
        {
            var name = m.GetProperty("displayName").GetString()!;
            if (name.Length < 2)
                continue;
            // Whoever the search finds by this name (it matches parts of names too), with every community they were ever in:
            // a member who once was in one of hers is hers to see.
            var namesakes = (await api.GetFromJsonAsync<JsonElement>($"/api/members?q={Uri.EscapeDataString(name)}&pageSize=20", Ct)).GetProperty("items").EnumerateArray()
                .Select(n => n.GetProperty("id").GetGuid()).ToList();
            var fits = namesakes.Count < 20;
            foreach (var id in namesakes.TakeWhile(_ => fits))
            {
                var memberships = (await api.GetFromJsonAsync<JsonElement>($"/api/members/{id}", Ct)).GetProperty("memberships").EnumerateArray();
                fits = memberships.All(g => assigned.Contains(g.GetProperty("communityId").GetGuid()));
            }
            if (fits)
                return (m.GetProperty("id").GetGuid(), name);
        }
        throw new InvalidOperationException($"The demo has no suitable member in community {community}.");
    }

    private static bool Contains(byte[] frame, string text) =>
        frame.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}
