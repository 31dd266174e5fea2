namespace Shequn.Features.Campaigns;

/// <summary>
/// The editor's fields for a leaderboard's structured scoring (a quiz's questions and pass mark are <see cref="QuizRulesForm"/>).
/// </summary>
public sealed class BoardRulesForm
{
    public int MessagePoints { get; set; }
    public int PhotoPoints { get; set; }
    public int InvitePoints { get; set; }
    public int CheckInPoints { get; set; }
    public string? CheckInKeyword { get; set; }
    public int? DailyCap { get; set; }
    public int? Top { get; set; }
    public bool BetweenCommunities { get; set; }
    public bool PerMember { get; set; }

    public static BoardRulesForm From(CampaignRules r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = r.Scoring ?? new LeaderboardScoring();
        return new()
        {
            MessagePoints = s.MessagePoints, PhotoPoints = s.PhotoPoints, InvitePoints = s.InvitePoints, CheckInPoints = s.CheckInPoints, CheckInKeyword = s.CheckInKeyword,
            DailyCap = s.DailyCap, Top = s.Top, BetweenCommunities = r.BetweenCommunities, PerMember = s.CommunityBasis == CommunityScoreBasis.PerMember,
        };
    }

    /// <summary>The rules with this form's fields for the kind (others left as they are).</summary>
    public CampaignRules Apply(CampaignRules rules, CampaignKind kind)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return kind switch
        {
            CampaignKind.Leaderboard => rules with
            {
                BetweenCommunities = BetweenCommunities,
                Scoring = new LeaderboardScoring
                {
                    MessagePoints = MessagePoints, PhotoPoints = PhotoPoints, InvitePoints = InvitePoints, CheckInPoints = CheckInPoints,
                    CheckInKeyword = string.IsNullOrWhiteSpace(CheckInKeyword) ? null : CheckInKeyword.Trim(), DailyCap = DailyCap, Top = Top,
                    CommunityBasis = PerMember ? CommunityScoreBasis.PerMember : CommunityScoreBasis.Total,
                },
            },
            _ => rules,
        };
    }
}
