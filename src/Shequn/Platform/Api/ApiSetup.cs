using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;
using Shequn.Connectors.WeCom;
using Shequn.Connectors.Telegram;
using Shequn.Features.ApiTokens;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Dashboard;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Moderation;
using Shequn.Features.Outbox;
using Shequn.Features.Review;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Features.Tasks;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;

namespace Shequn.Platform.Api;

public static class ApiSetup
{
    public static WebApplicationBuilder AddShequnApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ModerationEngines>();
        builder.Services.AddScoped<ModerationSettings>();
        builder.Services.TryAddSingleton<Features.Enforcement.RuleSetChanges>();
        builder.Services.AddScoped<Features.Enforcement.RuleSetEditor>();
        builder.Services.AddSingleton<ModerationReviews>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier));
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Throw on unreadable bodies in every environment, so the handler below can say what was wrong.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.Converters.Add(new OffsetDateTimeConverter());
        });
        builder.Services.AddOpenApi("v1", o =>
        {
            // The document describes the API only: the console's own routes (/account, /culture, /setup …) are not part of it.
            o.ShouldInclude = d => d.RelativePath?.StartsWith("api/", StringComparison.OrdinalIgnoreCase) == true;
            o.AddDocumentTransformer(ApiDocument.DescribeAsync);
            o.AddOperationTransformer(ApiDocument.CamelCaseQueryAsync);
        });
        return builder;
    }

    public static WebApplication MapShequnApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/api/docs", ApiDocument.ConfigureReference).AllowAnonymous();
        app.MapHealthChecks("/health").AllowAnonymous();
        app.MapConnectorHealth();

        var api = app.MapGroup("/api").RequireAuthorization(AuthSetup.ApiPolicy).DisableAntiforgery();
        api.MapCommunityEndpoints();
        api.MapDashboardEndpoints();
        api.MapEventEndpoints();
        api.MapStaffEndpoints(); api.MapApiTokenEndpoints(); api.MapAuditEndpoints();
        api.MapMemberEndpoints(); api.MapTagEndpoints();
        Features.Enforcement.RuleSetEndpoints.MapRuleSetEndpoints(api);
        Features.Ritual.RitualEndpoints.MapRitualEndpoints(api);
        api.MapModerationEndpoints(); api.MapReviewEndpoints(); app.MapReviewDownloads();
        api.MapWorkspaceEndpoints();
        api.MapOutboxEndpoints();
        api.MapWeComEndpoints();
        WeComCallbackReceiver.Map(app);
        api.MapTaskEndpoints();
        Features.Responses.ResponseEndpoints.MapResponseEndpoints(api);
        Features.Analytics.KocRankingEndpoints.MapKocRankingEndpoints(api);
        Features.Feedback.FeedbackEndpoints.MapFeedbackEndpoints(api);
        Features.Scripts.ScriptEndpoints.MapScriptEndpoints(api);
        Features.Tags.TagRuleEndpoints.MapTagRuleEndpoints(api); Features.Vip.VipEndpoints.MapVipEndpoints(api);
        Features.Points.PointsEndpoints.MapPointsEndpoints(api);
        Features.Calendar.CalendarEndpoints.MapCalendarEndpoints(api);
        Features.Topics.TopicEndpoints.MapTopicEndpoints(api);
        Features.Campaigns.CampaignEndpoints.MapCampaignEndpoints(api);
        Features.Campaigns.FlashSaleEndpoints.MapFlashSaleEndpoints(api, app);
        Features.Campaigns.LotteryEndpoints.MapLotteryEndpoints(api, app);
        Features.Campaigns.GroupBuyEndpoints.MapGroupBuyEndpoints(api, app);
        Features.Campaigns.CampaignHelpEndpoints.MapCampaignHelpEndpoints(api, app);
        Features.Campaigns.CampaignBoardEndpoints.MapCampaignBoardEndpoints(api, app);
        Features.Campaigns.CampaignSharingEndpoints.MapCampaignSharingEndpoints(api, app);
        Features.Campaigns.CampaignPointsEndpoints.MapCampaignPointsEndpoints(api, app);
        Features.Campaigns.PhotoUploadEndpoints.MapPhotoUploadEndpoints(api, app);
        Features.Profiles.ProfileEndpoints.MapProfileEndpoints(api, app);
        Features.Members.WithdrawalEndpoints.MapWithdrawalEndpoints(app);
        Features.Acquisition.AcquisitionEndpoints.MapAcquisitionEndpoints(api, app);
        Features.Budget.BudgetEndpoints.MapBudgetEndpoints(api);
        Features.Analytics.AnalyticsEndpoints.MapAnalyticsEndpoints(api);
        Features.Advisor.AdvisorEndpoints.MapAdvisorEndpoints(api);
        Features.Acquisition.ShortLinkEndpoints.MapShortLinkEndpoints(app);
        Features.Acquisition.FriendAddEndpoints.MapFriendAddEndpoints(api);
        Features.Orders.OrderEndpoints.MapOrderEndpoints(api, app);
        Features.Reports.ReportEndpoints.MapReportEndpoints(api, app);
        api.MapTelegramEndpoints();
        Features.Sandbox.SandboxEndpoints.MapSandboxEndpoints(api);
        app.MapTelegramWebhook();
        return app;
    }
}

/// <summary>Malformed JSON and unreadable bodies become a 400 ProblemDetails that says what was wrong.</summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
            return false;
        context.Response.StatusCode = bad.StatusCode;
        // The exception handler has cleared the request's endpoint and route values; the feature keeps them.
        var failed = context.Features.Get<IExceptionHandlerFeature>();
        var endpoint = failed?.Endpoint ?? context.GetEndpoint();
        if (bad.InnerException is not JsonException json)
        {
            // A route or query value of a required parameter that does not parse is named from the endpoint's parameters,
            // as the status-code page names an optional one (an enum by its values); the exception's message is the fallback.
            var detail = BindingFailures.Describe(context, endpoint, failed?.RouteValues) ?? JsonErrors.DescribeBinding(bad.Message);
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = bad.StatusCode, Title = "Bad request", Detail = detail },
                Exception = exception,
            });
        }
        // The body's declared type says what was expected at the failing field, in JSON terms rather than .NET type names.
        var bodyType = endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;
        var described = JsonErrors.Describe(json, bodyType);
        var field = JsonErrors.Field(json);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field.Length == 0 ? "body" : field] = [described] })
            {
                Status = bad.StatusCode,
                Title = "Bad request",
                Detail = described,
            },
            Exception = exception,
        });
    }
}
