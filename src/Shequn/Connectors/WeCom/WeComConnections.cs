using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Staff;
using Shequn.Platform.Api;
using Shequn.Platform.Auth;
using Shequn.Platform.Outbound;

namespace Shequn.Connectors.WeCom;

/// <summary>A connection as the console and the API show it: secrets masked, never in clear.</summary>
public sealed record WeComConnectionDto(
    Guid Id, string CorpId, string Secret, string Token, string EncodingAesKey, WeComConnectionStatus Status, string? StatusDetail,
    DateTime StatusAt, DateTime? LastSyncAt, string CallbackPath, int Groups, DateTime CreatedAt);

/// <summary>What staff type in. On a change, a blank secret, token or key keeps the stored one.</summary>
public sealed record WeComConnectionInput(string? CorpId, string? Secret, string? Token, string? EncodingAesKey);

/// <summary>A mass-send task and where it stands in one group.</summary>
public sealed record WeComGroupMessageDto(
    Guid ActionId, Guid CommunityId, string MsgId, string ChatId, string Sender, WeComGroupMessageState State, int? SendStatus,
    DateTime? SentAt, DateTime CreatedAt, DateTime? CheckedAt);

public sealed record WeComSaveResult(EditOutcome Outcome, Validation Validation, WeComConnectionDto? Connection = null);

/// <summary>
/// Connecting WeCom corps, for the console page and the API: the owner, sub-owners and admins configure; the corp id
/// and secret are checked with <c>gettoken</c> at once, so a wrong secret shows as "auth failed" with WeCom's words.
/// </summary>
public sealed partial class WeComConnections(AppDbContext db, WeComSecrets secrets, WeComApi api, WeComSyncSignal signal)
{
    public static string CallbackPath(Guid id) => $"/wecom/callback/{id}";

    public static bool MayConfigure(StaffProfile? me) => me?.Role is StaffRole.Owner or StaffRole.SubOwner or StaffRole.Admin;

    public async Task<IReadOnlyList<WeComConnectionDto>?> ListAsync(CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayConfigure(me))
            return null;
        var rows = await db.Set<WeComConnection>().AsNoTracking().OrderBy(c => c.CreatedAt).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var groups = await db.Set<WeComChat>().Where(c => ids.Contains(c.ConnectionId) && !c.Dismissed)
            .GroupBy(c => c.ConnectionId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return [.. rows.Select(r => Dto(r, groups.GetValueOrDefault(r.Id)))];
    }

    public async Task<IReadOnlyList<WeComGroupMessageDto>?> GroupMessagesAsync(Guid? communityId, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (me is null)
            return null;
        var visible = db.Visible(me).Select(c => c.Id);
        var query = db.Set<WeComGroupMessage>().AsNoTracking().Where(m => visible.Contains(m.CommunityId));
        if (communityId is { } cid)
            query = query.Where(m => m.CommunityId == cid);
        return await query.OrderByDescending(m => m.CreatedAt).Take(100)
            .Select(m => new WeComGroupMessageDto(m.ActionId, m.CommunityId, m.MsgId, m.ChatId, m.Sender, m.State, m.SendStatus, m.SentAt, m.CreatedAt, m.CheckedAt))
            .ToListAsync(ct);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex Word();

    [GeneratedRegex("^[A-Za-z0-9]{43}$")]
    private static partial Regex AesKey();

    /// <summary>Creates (<paramref name="id"/> null) or changes a connection, then checks it with WeCom.</summary>
    public async Task<WeComSaveResult> SaveAsync(Guid? id, WeComConnectionInput input, CancellationToken ct = default)
    {
        var v = new Validation();
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayConfigure(me))
            return new(EditOutcome.Forbidden, v);
        WeComConnection? row = null;
        if (id is { } existing)
        {
            row = await db.Set<WeComConnection>().SingleOrDefaultAsync(c => c.Id == existing, ct);
            if (row is null)
                return new(EditOutcome.NotFound, v);
        }
        var creating = row is null;
        var corpId = input.CorpId?.Trim();
        var secret = input.Secret?.Trim();
        var token = input.Token?.Trim();
        var aesKey = input.EncodingAesKey?.Trim();

        v.Required("corpId", corpId, WeComConnection.CorpIdMaxLength);
        if (!string.IsNullOrEmpty(corpId) && !Word().IsMatch(corpId))
            v.Add("corpId", "WeComCorpId", "'corpId' is the corp id from WeCom's admin (我的企业 → 企业ID): letters and digits.");
        if (creating || !string.IsNullOrEmpty(secret))
            v.Required("secret", secret, 200);
        if (creating || !string.IsNullOrEmpty(token))
        {
            v.Required("token", token, 32);
            if (!string.IsNullOrEmpty(token) && !Word().IsMatch(token))
                v.Add("token", "WeComToken", "'token' (the callback Token) is letters and digits, at most 32.");
        }
        if (creating || !string.IsNullOrEmpty(aesKey))
        {
            if (string.IsNullOrEmpty(aesKey))
                v.Add("encodingAesKey", "Required", "'encodingAesKey' is required.");
            else if (!AesKey().IsMatch(aesKey))
                v.Add("encodingAesKey", "WeComAesKey", "'encodingAesKey' is exactly 43 letters and digits (the EncodingAESKey WeCom generates).");
        }
        if (v.IsValid && await db.Set<WeComConnection>().AnyAsync(c => c.CorpId == corpId && c.Id != id, ct))
            v.Add("corpId", "WeComCorpTaken", "This corp is already connected.");
        if (!v.IsValid)
            return new(EditOutcome.Invalid, v);

        if (row is null)
        {
            row = new WeComConnection
            {
                CorpId = corpId!,
                ProtectedSecret = secrets.Protect(secret!),
                ProtectedToken = secrets.Protect(token!),
                ProtectedAesKey = secrets.Protect(aesKey!),
                SecretHint = WeComConnection.HintOf(secret!),
            };
            db.Add(row);
        }
        else
        {
            api.Forget(secrets.Credentials(row));
            row.CorpId = corpId!;
            if (!string.IsNullOrEmpty(secret))
            {
                row.ProtectedSecret = secrets.Protect(secret);
                row.SecretHint = WeComConnection.HintOf(secret);
            }
            if (!string.IsNullOrEmpty(token))
                row.ProtectedToken = secrets.Protect(token);
            if (!string.IsNullOrEmpty(aesKey))
                row.ProtectedAesKey = secrets.Protect(aesKey);
            row.UpdatedAt = DateTime.UtcNow;
        }
        await db.SaveChangesAsync(ct);
        await CheckAsync(row, ct);
        signal.Notify();
        var saved = await db.Set<WeComConnection>().AsNoTracking().SingleAsync(c => c.Id == row.Id, ct);
        return new(EditOutcome.Saved, v, Dto(saved, 0));
    }

    /// <summary>Asks WeCom for a fresh access token and records what it said.</summary>
    private async Task CheckAsync(WeComConnection row, CancellationToken ct)
    {
        var cred = secrets.Credentials(row);
        try
        {
            await api.TokenAsync(cred, ct, fresh: true);
            await WeComSync.SetStatusAsync(db, row.Id, WeComConnectionStatus.Connected, null, null, ct);
        }
        catch (WeComApiException e)
        {
            await WeComSync.SetStatusAsync(db, row.Id, e.Category == Features.Outbox.ErrorCategory.Auth ? WeComConnectionStatus.AuthFailed : WeComConnectionStatus.Error, e.Message, null, ct);
        }
        catch (HttpRequestException e)
        {
            await WeComSync.SetStatusAsync(db, row.Id, WeComConnectionStatus.Error, "WeCom unreachable: " + e.Message, null, ct);
        }
    }

    public async Task<EditOutcome> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var me = await db.Current.GetProfileAsync(db, ct);
        if (!MayConfigure(me))
            return EditOutcome.Forbidden;
        var row = await db.Set<WeComConnection>().SingleOrDefaultAsync(c => c.Id == id, ct);
        if (row is null)
            return EditOutcome.NotFound;
        db.Remove(row);
        await db.SaveChangesAsync(ct);
        return EditOutcome.Saved;
    }

    private static WeComConnectionDto Dto(WeComConnection r, int groups) => new(
        r.Id, r.CorpId, WeComConnection.Mask(r.SecretHint), WeComConnection.Mask(null), WeComConnection.Mask(null), r.Status, r.StatusDetail,
        r.StatusAt, r.LastSyncAt, CallbackPath(r.Id), groups, r.CreatedAt);
}

public static class WeComEndpoints
{
    public static RouteGroupBuilder MapWeComEndpoints(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/wecom").WithTags("WeCom");
        g.MapGet("/connections", List).WithName("ListWeComConnections")
            .WithSummary("Connected WeCom corps with their status (owner, sub-owner, admin); secrets are masked");
        g.MapPost("/connections", Create).WithName("CreateWeComConnection")
            .WithSummary("Connect a corp: corpId, secret, callback token and encodingAesKey; checked with gettoken at once");
        g.MapPut("/connections/{id:guid}", Update).WithName("UpdateWeComConnection")
            .WithSummary("Change a connection; a blank secret, token or key keeps the stored one");
        g.MapDelete("/connections/{id:guid}", Delete).WithName("DeleteWeComConnection");
        g.MapGet("/group-messages", Messages).WithName("ListWeComGroupMessages")
            .WithSummary("Mass-send tasks made by send/massSend actions and where each stands: awaitingConfirmation (the owner has not confirmed on the phone), sent, notSent, expired");
        return g;
    }

    public static async Task<Results<Ok<IReadOnlyList<WeComConnectionDto>>, ProblemHttpResult>> List(WeComConnections connections, CancellationToken ct) =>
        await connections.ListAsync(ct) is { } list ? TypedResults.Ok(list) : CommunityEndpoints.Forbidden();

    public static async Task<Results<Created<WeComConnectionDto>, ValidationProblem, NotFound, ProblemHttpResult>> Create(
        WeComConnections connections, WeComConnectionInput input, CancellationToken ct)
    {
        var r = await connections.SaveAsync(null, input, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Created($"/api/wecom/connections/{r.Connection!.Id}", r.Connection),
            EditOutcome.Invalid => r.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<Ok<WeComConnectionDto>, ValidationProblem, NotFound, ProblemHttpResult>> Update(
        WeComConnections connections, Guid id, WeComConnectionInput input, CancellationToken ct)
    {
        var r = await connections.SaveAsync(id, input, ct);
        return r.Outcome switch
        {
            EditOutcome.Saved => TypedResults.Ok(r.Connection!),
            EditOutcome.Invalid => r.Validation.Problem(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Delete(WeComConnections connections, Guid id, CancellationToken ct) =>
        await connections.DeleteAsync(id, ct) switch
        {
            EditOutcome.Saved => TypedResults.NoContent(),
            EditOutcome.NotFound => TypedResults.NotFound(),
            _ => CommunityEndpoints.Forbidden(),
        };

    public static async Task<Results<Ok<IReadOnlyList<WeComGroupMessageDto>>, NotFound>> Messages(WeComConnections connections, Guid? communityId, CancellationToken ct) =>
        await connections.GroupMessagesAsync(communityId, ct) is { } list ? TypedResults.Ok(list) : TypedResults.NotFound();
}

/// <summary>
/// Each corp connection for <c>/health/details</c> (its workspace's owner only) and the anonymous <c>/health</c> summary,
/// which turns Degraded while WeCom refuses a corp's secret. No corp secrets, and nothing reaches another workspace.
/// </summary>
public sealed class WeComConnectorHealth(IServiceScopeFactory scopes) : IConnectorHealth
{
    public async Task<IReadOnlyList<ConnectionHealth>> ConnectionsAsync(Guid? workspaceId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var rows = await db.Set<WeComConnection>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => workspaceId == null || c.WorkspaceId == workspaceId)
            .Select(c => new { c.WorkspaceId, c.CorpId, c.Status, c.StatusDetail, c.LastSyncAt }).ToListAsync(ct);
        return [.. rows.Select(r => new ConnectionHealth(r.WorkspaceId, ChatPlatform.WeCom, r.CorpId, r.Status switch
        {
            WeComConnectionStatus.Connected => ConnectionState.Connected,
            WeComConnectionStatus.AuthFailed => ConnectionState.Down,
            _ => ConnectionState.Degraded,
        }, r.StatusDetail, r.LastSyncAt))];
    }
}

public static class WeComSetup
{
    public static IHostApplicationBuilder AddShequnWeCom(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WeComOptions>().Bind(builder.Configuration.GetSection("WeCom"));
        builder.Services.AddHttpClient("wecom", c => c.Timeout = TimeSpan.FromSeconds(20))
            .UseOutboundGuard(sp => sp.GetRequiredService<IOptions<WeComOptions>>().Value.ApiBaseUrl);
        builder.Services.AddSingleton<WeComSecrets>();
        builder.Services.AddSingleton<WeComApi>();
        builder.Services.AddSingleton<WeComSyncSignal>();
        builder.Services.AddSingleton<WeComCallbackReceiver>();
        builder.Services.AddSingleton<IConnector, WeComConnector>();
        builder.Services.AddScoped<WeComConnections>();
        builder.Services.AddSingleton<WeComSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WeComSync>());
        builder.Services.AddSingleton<IConnectorHealth, WeComConnectorHealth>();
        return builder;
    }
}
