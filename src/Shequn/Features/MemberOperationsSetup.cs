using Shequn.Features.Calendar;
using Shequn.Features.Campaigns;
using Shequn.Features.Feedback;
using Shequn.Features.Points;
using Shequn.Features.Profiles;
using Shequn.Features.Responses;
using Shequn.Features.Ritual;
using Shequn.Features.Scripts;
using Shequn.Features.Tags;
using Shequn.Features.Topics;

namespace Shequn.Features;

public static class MemberOperationsSetup
{
    /// <summary>
    /// Member operations (issue 11): the joining ritual, response tracking, feedback tickets (issue 12), scripts and auto-replies, auto-tags and VIP,
    /// points and merges, profiles; the content calendar (posts and their scheduler) and topics (library, sessions, summaries). The order is the order their reactions run in a processor batch: points read the
    /// answers response tracking has just recorded. The app and every host that maps the whole API call this one method,
    /// so none of them misses a feature's services.
    /// </summary>
    public static IHostApplicationBuilder AddShequnMemberOperations(this IHostApplicationBuilder builder)
    {
        builder.AddShequnRitual();
        builder.AddShequnResponses();
        builder.AddShequnFeedback();
        builder.AddShequnScripts();
        builder.AddShequnAutoTags();
        builder.AddShequnPoints();
        builder.AddShequnProfiles();
        builder.AddShequnCalendar();
        builder.AddShequnTopics();
        builder.AddShequnCampaigns();
        Acquisition.AcquisitionSetup.AddShequnAcquisition(builder);
        Acquisition.FriendsSetup.AddShequnFriendAdds(builder);
        Budget.BudgetSetup.AddShequnBudget(builder);
        Orders.OrdersSetup.AddShequnOrders(builder);
        Analytics.AnalyticsSetup.AddShequnAnalytics(builder);
        Analytics.KocRankingSetup.AddShequnKocRanking(builder);
        // The advisor reads what the features above store.
        Advisor.AdvisorSetup.AddShequnAdvisor(builder);
        // The monthly evaluation report reads the features above (figures, responses, tickets, orders, costs).
        builder.Services.AddScoped<Reports.EvaluationReport>();
        return builder;
    }
}
