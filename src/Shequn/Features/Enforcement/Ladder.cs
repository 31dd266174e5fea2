using Shequn.Features.Outbox;

namespace Shequn.Features.Enforcement;

/// <summary>What a violation of a message leads to in the group, step by step.</summary>
public static class Ladder
{
    /// <summary>The step for the sender's <paramref name="violations"/>-th violation (1-based) within the window: the last step repeats.</summary>
    public static LadderStep StepFor(RuleSetSpec spec, int violations)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Ladder.Count == 0)
            return new LadderStep(LadderAction.Delete);
        return spec.Ladder[Math.Clamp(violations, 1, spec.Ladder.Count) - 1];
    }

    /// <summary>
    /// The actions of a step against one message: a warning replies to it; every later step deletes it, and
    /// warns (delete), mutes (for the step's minutes from <paramref name="now"/>), removes, or bans (blacklist).
    /// Announcements of removals are written separately, once per burst.
    /// </summary>
    public static IReadOnlyList<ReactionAction> Actions(LadderStep step, string? messageId, string userId, string warning, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(step);
        var actions = new List<ReactionAction>(3);
        if (step.Action == LadderAction.Warn)
        {
            actions.Add(messageId is null
                ? new ReactionAction(ActionKind.Send, new ActionPayload(Text: warning))
                : new ReactionAction(ActionKind.Reply, new ActionPayload(Text: warning, MessageId: messageId)));
            return actions;
        }
        if (messageId is not null)
            actions.Add(new ReactionAction(ActionKind.DeleteMessage, new ActionPayload(MessageId: messageId)));
        switch (step.Action)
        {
            case LadderAction.Delete:
                actions.Add(new ReactionAction(ActionKind.Send, new ActionPayload(Text: warning)));
                break;
            case LadderAction.Mute:
                actions.Add(new ReactionAction(ActionKind.Restrict, new ActionPayload(UserId: userId, Until: now.AddMinutes(Math.Max(1, step.MuteMinutes)))));
                break;
            case LadderAction.Remove:
                actions.Add(new ReactionAction(ActionKind.Remove, new ActionPayload(UserId: userId)));
                break;
            case LadderAction.Blacklist:
                actions.Add(new ReactionAction(ActionKind.Ban, new ActionPayload(UserId: userId)));
                break;
        }
        return actions;
    }

    /// <summary>Whether the step takes the sender out of the group (and so is announced).</summary>
    public static bool Removes(LadderAction action) => action is LadderAction.Remove or LadderAction.Blacklist;
}
