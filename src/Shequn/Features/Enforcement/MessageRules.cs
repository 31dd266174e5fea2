using Shequn.Features.Moderation;
using EventMessageKind = Shequn.Features.Events.MessageKind;

namespace Shequn.Features.Enforcement;

/// <summary>The names of the rules as <see cref="ModerationCase.Rule"/> stores them.</summary>
public static class Rules
{
    public const string Ads = "ads";
    public const string Solicitation = "solicitation";
    public const string VoteLink = "vote-link";
    public const string UnlistedLink = "unlisted-link";
    public const string QrCode = "qr-code";
    public const string MiniProgram = "mini-program";
    public const string RedPacket = "red-packet";
    public const string Flood = "flood";
    public const string CrossCommunity = "cross-community";
    public const string Blacklist = "blacklist";
    public const string Nickname = "nickname";
    public const string MembershipLimit = "membership-limit";

    /// <summary>
    /// Whether a staff verdict on a case of this rule teaches the spam model: the case's text must be a message
    /// whose words made the decision. A flood of "哈哈", a nickname, a join, a decoded QR link or a red packet are not
    /// examples of spam text, so marking them changes the case but adds no label.
    /// </summary>
    public static bool TeachesTheModel(string rule) =>
        rule is not (Flood or Blacklist or Nickname or MembershipLimit or QrCode or MiniProgram or RedPacket);

    /// <summary>Rules about what someone posts: their violations climb the ladder (joins and nicknames do not).</summary>
    public static bool IsAboutMessages(string rule) => rule is not (Blacklist or Nickname or MembershipLimit);
}

/// <summary>What the rules found in one message: review it or act on it, under which rule, with what evidence.</summary>
public sealed record Finding(CaseDecision Decision, string Rule, double Score, double? ModelScore, IReadOnlyList<CaseEvidence> Evidence);

/// <summary>
/// One message with what the processor knows around it. <see cref="QrCodes"/> is set for an inspected image (the
/// decoded contents, one per code); the counts come from <see cref="ActivityWindows"/> and include the message.
/// </summary>
public sealed record MessageFacts(
    string Text,
    EventMessageKind? Kind,
    IReadOnlyList<string>? QrCodes = null,
    bool AdsTier = false,
    bool NewMember = false,
    bool Outsider = false,
    int FloodPosts = 0,
    int SenderCommunities = 0,
    int AnyoneCommunities = 0);

/// <summary>
/// Decides what a message breaks under a rule set: the engine's score against the thresholds (stricter in a
/// member's first hours) for ads and friend solicitation, and the rules beyond words: QR codes, mini-program cards,
/// red packets from outsiders, vote/bargain/assist links, unlisted links, flooding and cross-community repeats. Each
/// rule in <see cref="RuleMode.Enforce"/> acts when it fires, in <see cref="RuleMode.Flag"/> sends the message to
/// review; the strongest finding wins (act over review, then the order of <see cref="Priority"/>). Pure and
/// deterministic: the same message, rule set, engine and windows give the same finding on any node.
/// </summary>
public static class MessageRules
{
    /// <summary>In a member's first hours the thresholds are multiplied by this.</summary>
    public const double NewMemberFactor = 0.8;

    /// <summary>Weight a text repeated in several communities (by anyone) adds to the score.</summary>
    public const double RepeatedElsewhereWeight = 0.3;

    public const double QrContactWeight = 0.9;
    public const double QrLinkWeight = 0.7;

    private static readonly string[] Priority =
        [Rules.CrossCommunity, Rules.Flood, Rules.RedPacket, Rules.QrCode, Rules.Solicitation, Rules.Ads, Rules.VoteLink, Rules.MiniProgram, Rules.UnlistedLink];

    private static readonly string[] VoteWords = ["投票", "拉票", "砍价", "砍一刀", "帮砍", "帮我砍", "助力", "点赞", "帮忙点"];

    private static readonly string[] ContactRules =
        [nameof(PatternKind.Solicitation)];

    public static Finding? Evaluate(RuleSetSpec spec, ModerationEngine engine, MessageFacts facts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(facts);
        var snapshot = engine.Snapshot;
        var review = spec.ReviewThreshold ?? snapshot.Thresholds.Review;
        var act = spec.ActThreshold ?? snapshot.Thresholds.Act;
        var extra = new List<CaseEvidence>();
        if (facts.NewMember && spec.NewMemberHours > 0)
        {
            review *= NewMemberFactor;
            act *= NewMemberFactor;
        }

        var result = engine.Check(new ModerationMessage(facts.Text, KindOf(facts.Kind), FromMember: !facts.Outsider));
        var evidence = result.Evidence.Select(CaseEvidence.From).ToList();
        var keep = 1 - result.Score;
        var found = new List<(string Rule, CaseDecision Decision)>();

        void Fired(string rule, RuleMode mode, bool acts = true)
        {
            if (mode != RuleMode.Off)
                found.Add((rule, mode == RuleMode.Enforce && acts ? CaseDecision.Act : CaseDecision.Review));
        }

        // An image's QR codes: contact cards and group invitations are contact evidence, links to unknown domains link evidence.
        if (facts.QrCodes is { Count: > 0 } codes)
        {
            var at = 0;
            foreach (var code in codes)
            {
                var c = QrContent.Classify(code);
                var weight = c.IsContact ? QrContactWeight
                    : c.Target is QrTarget.Link or QrTarget.WeChatMiniProgram && !Allowed(spec, snapshot, c.Domain) ? QrLinkWeight
                    : 0;
                if (weight > 0)
                {
                    extra.Add(new CaseEvidence("Image", c.IsContact ? "qr-contact" : "qr-link", code, at, code.Length, weight));
                    keep *= 1 - weight;
                }
                at += code.Length + 1;
            }
            var qrScore = 1 - keep;
            if (qrScore >= review)
                Fired(Rules.QrCode, spec.QrCodeImages, qrScore >= act);
        }

        if (facts.AnyoneCommunities >= Math.Max(2, spec.CrossCommunityCount) && spec.CrossCommunityCount > 0)
        {
            extra.Add(new CaseEvidence("Behaviour", "repeated-elsewhere", null, 0, 0, RepeatedElsewhereWeight));
            keep *= 1 - RepeatedElsewhereWeight;
        }
        var score = 1 - keep;

        // Ads and friend solicitation: the score, without what the message kind added (a card or a red packet is
        // judged by its own rule below). The ads tier is where ads belong.
        var textScore = score;
        foreach (var k in result.Evidence.Where(e => e.Source == EvidenceSource.MessageKind && e.Weight < 1))
            textScore = 1 - (1 - textScore) / (1 - k.Weight);
        if (!facts.AdsTier && textScore >= review && facts.QrCodes is null)
        {
            var solicitation = result.Evidence.Any(e => e.Source == EvidenceSource.Pattern && ContactRules.Contains(e.Rule));
            Fired(solicitation ? Rules.Solicitation : Rules.Ads, solicitation ? spec.FriendSolicitation : spec.Ads, textScore >= act);
        }

        var hasLink = facts.Kind is EventMessageKind.Link or EventMessageKind.MiniProgram
            || result.Evidence.Any(e => e.Rule == nameof(PatternKind.Url));
        if (hasLink && spec.VoteLinks != RuleMode.Off)
        {
            foreach (var word in VoteWords)
            {
                var at = facts.Text.IndexOf(word, StringComparison.Ordinal);
                if (at < 0)
                    continue;
                extra.Add(new CaseEvidence(nameof(EvidenceSource.Pattern), Rules.VoteLink, word, at, word.Length, 0));
                Fired(Rules.VoteLink, spec.VoteLinks);
                break;
            }
        }

        if (spec.UnlistedLinks != RuleMode.Off)
        {
            var unlisted = result.Evidence.FirstOrDefault(e => e.Rule == nameof(PatternKind.Url) && !Allowed(spec, snapshot, HostOf(e.Term)));
            if (unlisted is not null)
                Fired(Rules.UnlistedLink, spec.UnlistedLinks);
        }

        // A card from a member of long standing is usually the brand's own shop or something they like: flagged cards
        // are those of newcomers and outsiders (the advertiser's pattern); a rule set that enforces takes every card.
        if (facts.Kind == EventMessageKind.MiniProgram && (spec.MiniProgramCards == RuleMode.Enforce || facts.NewMember || facts.Outsider))
            Fired(Rules.MiniProgram, spec.MiniProgramCards);
        if (facts.Kind == EventMessageKind.RedPacket && facts.Outsider)
            Fired(Rules.RedPacket, spec.RedPacketsFromOutsiders);

        if (spec.FloodMessages > 0 && facts.FloodPosts > spec.FloodMessages)
        {
            extra.Add(new CaseEvidence("Behaviour", Rules.Flood, $"{facts.FloodPosts}/{spec.FloodSeconds}s", 0, 0, 1));
            found.Add((Rules.Flood, CaseDecision.Act));
        }
        if (spec.CrossCommunityCount > 0 && facts.SenderCommunities >= spec.CrossCommunityCount)
        {
            extra.Add(new CaseEvidence("Behaviour", Rules.CrossCommunity, $"{facts.SenderCommunities}/{spec.CrossCommunityMinutes}min", 0, 0, 1));
            found.Add((Rules.CrossCommunity, CaseDecision.Act));
        }

        if (found.Count == 0)
            return null;
        var (rule, decision) = found.OrderByDescending(f => f.Decision == CaseDecision.Act).ThenBy(f => Array.IndexOf(Priority, f.Rule)).First();
        if (facts.NewMember && spec.NewMemberHours > 0)
            extra.Add(new CaseEvidence("Sender", "new-member", null, 0, 0, 0));
        evidence.AddRange(extra);
        return new Finding(decision, rule, score, result.ModelScore, evidence);
    }

    /// <summary>Whether links to the host are allowed: on the rule set's list or the workspace's (a parent domain counts).</summary>
    public static bool Allowed(RuleSetSpec spec, ModerationSnapshot snapshot, string? host)
    {
        if (string.IsNullOrEmpty(host))
            return true;
        host = host.ToLowerInvariant();
        if (host.StartsWith("www.", StringComparison.Ordinal))
            host = host[4..];
        foreach (var d in spec.AllowedDomains)
        {
            var domain = d.Trim().TrimStart('.').ToLowerInvariant();
            if (domain.Length > 0 && (host == domain || host.EndsWith("." + domain, StringComparison.Ordinal)))
                return true;
        }
        return snapshot.Patterns.Classify(host) == DomainStatus.Allowed;
    }

    /// <summary>The host of a link as the engine quoted it ("example.com/x", "https://m.example.com").</summary>
    public static string? HostOf(string? link)
    {
        if (string.IsNullOrWhiteSpace(link))
            return null;
        var text = link.Trim();
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        return Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) ? uri.Host : null;
    }

    private static Moderation.MessageKind KindOf(EventMessageKind? kind) => kind switch
    {
        EventMessageKind.Image => Moderation.MessageKind.Image,
        EventMessageKind.MiniProgram => Moderation.MessageKind.MiniProgramCard,
        EventMessageKind.RedPacket => Moderation.MessageKind.RedPacket,
        EventMessageKind.Link => Moderation.MessageKind.Link,
        EventMessageKind.File => Moderation.MessageKind.File,
        EventMessageKind.Voice => Moderation.MessageKind.Voice,
        EventMessageKind.Video => Moderation.MessageKind.Video,
        EventMessageKind.Sticker => Moderation.MessageKind.Sticker,
        _ => Moderation.MessageKind.Text,
    };
}
