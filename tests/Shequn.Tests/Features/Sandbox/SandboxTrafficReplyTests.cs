using Shequn.Features.Events;
using Shequn.Features.Responses;
using Shequn.Features.Sandbox;

namespace Shequn.Tests.Features.Sandbox;

public sealed class SandboxTrafficReplyTests
{
    private static List<CommunityEvent> Play(double replyShare, IReadOnlySet<string>? nonRepliers = null)
    {
        var community = Guid.NewGuid();
        var people = Enumerable.Range(0, 40).Select(i => new SandboxPerson($"u{i}", $"会员{i}"));
        var t = new SandboxTraffic(7, Guid.Empty, community, "t:", people) { ReplyShare = replyShare, NonRepliers = nonRepliers ?? new HashSet<string>() };
        var events = new List<CommunityEvent>();
        var day = new DateOnly(2026, 11, 2);
        for (var i = 0; i < 5; i++)
            events.AddRange(t.Day(day.AddDays(i), 400, DateTime.MaxValue));
        return events;
    }

    [Fact]
    public void ReplyShare_AddsRepliesBetweenMembers_AndChangesNothingElse()
    {
        var plain = Play(0);
        var threaded = Play(0.2);

        Assert.Equal(plain.Select(e => (e.PlatformEventId, e.Kind, e.UserId, e.Text, e.OccurredAt)),
            threaded.Select(e => (e.PlatformEventId, e.Kind, e.UserId, e.Text, e.OccurredAt)));
        Assert.All(plain, e => Assert.Null(e.ReplyToMessageId));
        var replies = threaded.Where(e => e.ReplyToMessageId is not null).ToList();
        var share = (double)replies.Count / threaded.Count(e => e.Kind == EventKind.MessagePosted && !e.FromStaff);
        Assert.InRange(share, 0.08, 0.25);
        var byId = threaded.Where(e => e.MessageId is not null).ToDictionary(e => e.MessageId!);
        Assert.All(replies, r =>
        {
            var target = byId[r.ReplyToMessageId!];
            Assert.NotEqual(r.UserId, target.UserId);
            Assert.False(target.FromStaff);
            Assert.True(target.OccurredAt <= r.OccurredAt);
            Assert.False(QuestionDetector.IsQuestion(r.Text));
            Assert.False(QuestionDetector.IsQuestion(target.Text));
        });
        // Appeal, not volume: the most replied-to member is not simply the one who talks most.
        var received = replies.GroupBy(r => byId[r.ReplyToMessageId!].UserId).ToDictionary(g => g.Key!, g => g.Count());
        var spoken = threaded.Where(e => e.Kind == EventKind.MessagePosted && !e.FromStaff).GroupBy(e => e.UserId!).ToDictionary(g => g.Key, g => g.Count());
        var ratio = received.Select(r => (double)r.Value / spoken[r.Key]).ToList();
        Assert.True(ratio.Max() > 3 * ratio.Min());
    }

    [Fact]
    public void NonRepliers_NeverReply()
    {
        var quiet = new HashSet<string> { "u0", "u1", "u2", "u3" };

        var events = Play(0.3, quiet);

        Assert.DoesNotContain(events, e => e.ReplyToMessageId is not null && quiet.Contains(e.UserId!));
        Assert.Contains(events, e => e.ReplyToMessageId is not null);
    }
}
