using System.Text.Json;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Shequn.Features.Advisor;
using Shequn.Features.ApiTokens;
using Shequn.Features.Audit;
using Shequn.Features.Communities;
using Shequn.Features.Members;
using Shequn.Features.Moderation;
using Shequn.Features.Staff;
using Shequn.Features.Tags;
using Shequn.Features.Workspaces;
using Shequn.Platform.Auth;

namespace Shequn.Data;

/// <summary>
/// The one model. Provider subclasses (<see cref="SqliteAppDbContext"/>, <see cref="PostgresAppDbContext"/>)
/// exist only so that each provider has its own migration set.
/// Every <see cref="IWorkspaceOwned"/> entity is filtered to the acting workspace; a context with no
/// workspace sees nothing of them unless a query opts out with IgnoreQueryFilters (setup, seeding, token lookup).
/// </summary>
public abstract class AppDbContext(DbContextOptions options, CurrentStaff current)
    : IdentityDbContext<StaffUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    // Enums by name, so that the audit log reads "Operator → Admin" rather than "3 → 2".
    private static readonly JsonSerializerOptions AuditJson = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
    private static readonly HashSet<string> NeverAudited = new(StringComparer.Ordinal)
    {
        nameof(StaffUser.PasswordHash), nameof(StaffUser.SecurityStamp), nameof(StaffUser.ConcurrencyStamp),
        nameof(ApiToken.Hash), nameof(StaffUser.NormalizedEmail), nameof(StaffUser.NormalizedUserName),
        nameof(StaffUser.AccessFailedCount), nameof(StaffUser.LockoutEnd), nameof(ApiToken.LastUsedAt),
        nameof(Community.NicknameFormatChecked),
        nameof(ModerationPolicy.ListsStamp), nameof(ModerationPolicy.ModelStamp),
        // Personal data (PIPL): the audit log would keep phone numbers and profile answers past an erasure and show them
        // unmasked; that a member's profile changed is still recorded by its other columns.
        nameof(Features.Members.Member.Phone), nameof(Features.Profiles.MemberFieldValue.Value),
        // Secrets stay out of the audit log even encrypted; polling progress and status moves are not staff changes.
        nameof(Connectors.Telegram.TelegramBot.ProtectedToken), nameof(Connectors.Telegram.TelegramBot.ProtectedWebhookSecret),
        nameof(Connectors.Telegram.TelegramBot.PollOffset), nameof(Connectors.Telegram.TelegramBot.StatusAt),
        nameof(Connectors.WeCom.WeComConnection.ProtectedSecret), nameof(Connectors.WeCom.WeComConnection.ProtectedToken),
        nameof(Connectors.WeCom.WeComConnection.ProtectedAesKey), nameof(Connectors.WeCom.WeComConnection.SecretHint),
        nameof(Features.Orders.OrderSettings.ProtectedWebhookSecret),
        // Moves with every save, so it says nothing a reader needs; a save that changes only it is no change.
        nameof(Community.UpdatedAt),
        // Follows the name, which the log already shows.
        nameof(CommunityTag.NormalizedName),
    };

    private readonly List<(object Entity, string Field, object? Before, object? After)> _auditAlso = [];

    public CurrentStaff Current { get; } = current;

    /// <summary>Read by the query filters on every query; Guid.Empty matches nothing.</summary>
    public Guid CurrentWorkspaceId => Current.WorkspaceId ?? Guid.Empty;

    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<Community> Communities => Set<Community>();
    public DbSet<CommunityStaff> CommunityStaff => Set<CommunityStaff>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<Tag> Tags => Set<Tag>();
    public DbSet<MemberTag> MemberTags => Set<MemberTag>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    /// <summary>The Data Protection key ring, each key's secret part encrypted (Platform/KeyRing, ADR-007).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);

        // StaffUser is not filtered: Identity looks users up by name before any workspace is known.
        // Staff queries filter by workspace themselves (see StaffEndpoints).
        builder.Entity<Community>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<CommunityStaff>().HasQueryFilter(e => e.Community!.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<CommunityTag>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<CommunityTagLink>().HasQueryFilter(e => e.Community!.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Member>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Membership>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Tag>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Rejected auto-tags stay as rows (a rule must not give them back) but are no tag for anything else.
        builder.Entity<MemberTag>().HasQueryFilter(e => e.Tag!.WorkspaceId == CurrentWorkspaceId && e.State != MemberTagState.Rejected);
        builder.Entity<ApiToken>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<AuditEntry>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<ModerationWordList>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<ModerationTerm>().HasQueryFilter(e => e.WordList!.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<LabelledMessage>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<ModerationPolicy>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<StoredSpamModel>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Outbox.OutboundAction>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Connectors.Telegram.TelegramBot>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Connectors.WeCom.WeComConnection>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Connectors.WeCom.WeComChat>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Connectors.WeCom.WeComGroupMessage>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Tasks.StaffTask>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Connectors.Telegram.TelegramChat>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Connectors.Telegram.TelegramRawUpdate>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Enforcement.RuleSet>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Enforcement.ModerationCase>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Enforcement.BlacklistEntry>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Points: the ledger's rule and level reads had no workspace condition of their own (another workspace's
        // check-in rule was read, and a save refused as a write to another workspace).
        builder.Entity<Shequn.Features.Points.PointRule>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Points.PointLevel>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Points.MemberPointsEntry>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Chats and identities, questions, VIP rules and invitations, auto-tag rules, the profile template, values and
        // links, scripts and auto-replies: their reads had only their own workspace conditions (a page or a look-up that
        // forgot one saw every workspace's rows). Code with no acting workspace (the processor's reactions, jobs, the public
        // form's token look-up) reads them with IgnoreQueryFilters and an explicit WorkspaceId, or acts as the workspace.
        builder.Entity<Shequn.Features.Events.PlatformChat>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Events.MemberIdentity>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Responses.MemberQuestion>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Vip.VipRules>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Vip.VipInvitation>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<TagRule>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Profiles.ProfileField>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Profiles.MemberFieldValue>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Profiles.ProfileLink>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Scripts.Script>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Scripts.AutoReplyRule>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Topics.Topic>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Topics.TopicSession>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Communities' own script texts, daily figures, Sandbox uploads, member merges (they hold the merged member's
        // profile) and the reveal log: the same rule. The processor's script texts, the image inspector's uploads and the
        // erasure read them with IgnoreQueryFilters and an explicit WorkspaceId.
        builder.Entity<Shequn.Features.Scripts.ScriptOverride>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Events.CommunityDailyFigure>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Events.WorkspaceDay>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Sandbox.SandboxUpload>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Members.MemberMerge>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Profiles.PersonalDataReveal>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Members.ConsentRecord>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Scripts.AutoReplyCooldown>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Scripts.HandoffCooldown>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Who spoke where, the communities' ritual settings and their newcomers: the processor reads them acting as the
        // batch's workspace, or with IgnoreQueryFilters and an explicit WorkspaceId.
        builder.Entity<Shequn.Features.Events.MemberActivity>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Ritual.RitualSettings>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Ritual.RitualNewcomer>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Posts, their copies and the playbook settings: the scheduler reads them with IgnoreQueryFilters.
        builder.Entity<Shequn.Features.Calendar.Post>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Calendar.PostDelivery>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Calendar.PostImage>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Calendar.PlaybookSettings>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Calendar.SopTemplate>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Calendar.SopApplication>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Calendar.BrandDate>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Feedback tickets and rules: the processor's reaction reads them with IgnoreQueryFilters and an explicit WorkspaceId.
        builder.Entity<Shequn.Features.Feedback.FeedbackTicket>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Feedback.FeedbackSettings>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Campaigns, who takes part and what they earned: the public page and the mechanics' reactions read them with
        // IgnoreQueryFilters and an explicit WorkspaceId (or the campaign's).
        builder.Entity<Shequn.Features.Campaigns.Campaign>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignParticipant>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignRewardGrant>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignInvitation>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignCheckIn>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignPhoto>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignClaim>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignLottery>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.LotteryEntry>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignGroup>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignGroupSeat>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignRefund>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignBargain>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignBargainCut>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignAssist>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignAssistHelp>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignCoupon>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.QuizSubmission>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.SwapItem>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.SwapOffer>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignLead>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignRedemption>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignItemStock>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignPointsAccount>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Campaigns.CampaignCardDraw>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Channels, live codes, their routes, scans and landing-page leads: the short link and the scan writer read them
        // with IgnoreQueryFilters and the code's own workspace.
        builder.Entity<Shequn.Features.Acquisition.AcquisitionChannel>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Acquisition.LiveCode>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Acquisition.LiveCodeRoute>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Acquisition.LiveCodeScan>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Acquisition.LiveCodeLead>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Friend adds: the plan job acts as each workspace in turn.
        builder.Entity<Shequn.Features.Acquisition.FriendAccount>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Acquisition.FriendLead>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Costs, caps and budget alerts: the watch job acts as each workspace in turn.
        builder.Entity<Shequn.Features.Budget.CostEntry>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Budget.BudgetCap>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Budget.BudgetAlert>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Advisor.AdviceDismissal>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Orders: the webhook and the match pass read them with IgnoreQueryFilters and the order's own workspace.
        builder.Entity<Shequn.Features.Orders.Order>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Orders.OrderLine>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Orders.OrderSettings>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Orders.CategoryCommunity>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // The interaction graph: the processor's reaction reads and writes it with IgnoreQueryFilters and an explicit WorkspaceId.
        builder.Entity<Shequn.Features.Analytics.InteractionEdge>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Analytics.InteractionMessage>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Ranking weights and competitions: read and written only by staff of the workspace.
        builder.Entity<Shequn.Features.Analytics.CommunityScoreSettings>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        builder.Entity<Shequn.Features.Analytics.CommunityCompetition>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
        // Cohort joins: the settle job acts as each workspace in turn.
        builder.Entity<Shequn.Features.Analytics.CohortJoin>().HasQueryFilter(e => e.WorkspaceId == CurrentWorkspaceId);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // All times are UTC; SQLite hands DateTime back unspecified, so say so on the way out.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<string>().HaveMaxLength(4000);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        SaveChangesAsync(acceptAllChangesOnSuccess).GetAwaiter().GetResult();

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default) =>
        SaveWithFlagsAsync(StampWorkspace(), () =>
        {
            // Ids are made on the client, so audit rows can join the same SaveChanges (and transaction).
            AuditEntries.AddRange(CollectAudit());
            return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Sets the nickname flags of the memberships being saved (<see cref="NicknameFlags"/>) and saves, in one transaction
    /// when there are any (the caller's, else one of its own): the flags are set against the format recorded on their
    /// communities, read under a lock a recheck of those communities also needs, so that a save and a recheck never
    /// interleave (a flag set against a format the recheck has just replaced would stay wrong).
    /// </summary>
    private async Task<int> SaveWithFlagsAsync(List<EntityEntry>? named, Func<Task<int>> save, CancellationToken ct)
    {
        if (named is null || Database.CurrentTransaction is not null)
        {
            await NicknameFlags.SetAsync(this, named, ct);
            return await save();
        }
        await using var tx = await Database.BeginTransactionAsync(ct);
        await NicknameFlags.SetAsync(this, named, ct);
        var saved = await save();
        await tx.CommitAsync(ct);
        return saved;
    }

    /// <summary>
    /// Saves without audit rows, keeping the workspace checks. Only for bulk data that no staff member
    /// changed (the demo's generated members, later imports from a platform): thousands of "system
    /// created" rows would bury the staff changes the audit log exists for. Staff edits never use this.
    /// </summary>
    public Task<int> SaveChangesWithoutAuditAsync(CancellationToken cancellationToken = default) =>
        SaveWithFlagsAsync(StampWorkspace(), () => base.SaveChangesAsync(acceptAllChangesOnSuccess: true, cancellationToken), cancellationToken);

    /// <summary>
    /// <see cref="SaveChangesWithoutAuditAsync"/> for the event processor's batches: new rows are written set-wise
    /// (<see cref="SetInserts"/>) before EF saves the rest. Same result, same transaction; a failure is a
    /// <see cref="DbUpdateException"/> as from EF.
    /// </summary>
    public async Task<int> SaveChangesSetWiseAsync(CancellationToken cancellationToken = default)
    {
        // Changes are detected once, by the stamp (the inserts and EF's save would each scan every tracked entity again).
        var named = StampWorkspace();
        var detect = ChangeTracker.AutoDetectChangesEnabled;
        ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return await SaveWithFlagsAsync(named, async () =>
            {
                var inserted = await SetInserts.InsertAddedAsync(this, cancellationToken);
                return inserted + await base.SaveChangesAsync(acceptAllChangesOnSuccess: true, cancellationToken);
            }, cancellationToken);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }

    /// <summary>Checks every workspace-owned entry's workspace; returns the memberships whose nickname is new or changed
    /// (their format flag is set before the save, <see cref="NicknameFlags"/>).</summary>
    private List<EntityEntry>? StampWorkspace()
    {
        List<EntityEntry>? named = null;
        foreach (var entry in ChangeTracker.Entries<IWorkspaceOwned>())
        {
            if (entry.Entity is Membership && NicknameFlags.NicknameChanged(entry))
                (named ??= []).Add(entry);
            if (entry.State == EntityState.Added && entry.Entity.WorkspaceId == Guid.Empty && Current.WorkspaceId is { } ws)
                entry.Entity.WorkspaceId = ws;
            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
                && Current.WorkspaceId is { } acting && entry.Entity.WorkspaceId != acting)
                throw new InvalidOperationException($"Refusing to write a {entry.Metadata.ClrType.Name} of another workspace.");
        }
        return named;
    }

    private List<AuditEntry> CollectAudit()
    {
        var rows = new List<AuditEntry>();
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.Entity is not IAudited || entry.Entity is not IWorkspaceOwned owned)
                continue;
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
                continue;
            var props = entry.Properties.Where(p => !NeverAudited.Contains(p.Metadata.Name)).ToList();
            if (entry.State == EntityState.Modified)
                props = props.Where(p => p.IsModified && !Equals(p.OriginalValue, p.CurrentValue)).ToList();
            var also = _auditAlso.Where(a => ReferenceEquals(a.Entity, entry.Entity)).ToList();
            if (props.Count == 0 && also.Count == 0)
                continue;
            var before = entry.State == EntityState.Added ? null : Snapshot(props, also, original: true);
            var after = entry.State == EntityState.Deleted ? null : Snapshot(props, also, original: false);
            rows.Add(new AuditEntry
            {
                WorkspaceId = owned.WorkspaceId,
                ActorId = Current.UserId,
                ActorName = Current.Principal?.Identity?.Name ?? "system",
                Action = entry.State switch { EntityState.Added => "created", EntityState.Deleted => "deleted", _ => "updated" },
                EntityType = entry.Metadata.ClrType.Name,
                EntityId = ((IAudited)entry.Entity).Id.ToString(),
                Before = before,
                After = after,
            });
        }
        _auditAlso.Clear();
        return rows;
    }

    /// <summary>
    /// Adds a change the change tracker cannot see on <paramref name="entity"/> itself (staff assignments live in
    /// rows of their own) to that entity's audit row in the next SaveChanges, as the pseudo-property
    /// <paramref name="field"/>. The row is written even when none of the entity's own properties changed, so the
    /// entity must be tracked. Call it only when before and after differ.
    /// </summary>
    public void AuditAlso(IAudited entity, string field, object? before, object? after) =>
        _auditAlso.Add((entity, field, before, after));

    /// <summary>
    /// Adds an audit row for a change the change tracker cannot describe (a bulk import, a set-based delete,
    /// a training run); it is saved with the next SaveChanges.
    /// </summary>
    public void AddAuditNote(string entityType, Guid entityId, string action, IReadOnlyDictionary<string, object?>? before, IReadOnlyDictionary<string, object?>? after) =>
        AddAuditNote(entityType, entityId.ToString(), action, before, after);

    /// <summary>
    /// An audit row naming its entity by text (an erased member by the hash that stands for them). <paramref name="actorName"/>
    /// names an actor who is no staff member (a member on a public page); by default the acting staff member or "system".
    /// </summary>
    public void AddAuditNote(string entityType, string entityId, string action, IReadOnlyDictionary<string, object?>? before, IReadOnlyDictionary<string, object?>? after,
        string? actorName = null)
    {
        AuditEntries.Add(new AuditEntry
        {
            WorkspaceId = Current.WorkspaceId ?? throw new InvalidOperationException("No acting workspace for an audit row."),
            ActorId = Current.UserId,
            ActorName = actorName ?? Current.Principal?.Identity?.Name ?? "system",
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            Before = before is null ? null : JsonSerializer.Serialize(before, AuditJson),
            After = after is null ? null : JsonSerializer.Serialize(after, AuditJson),
        });
    }

    private static string Snapshot(IEnumerable<PropertyEntry> props, IEnumerable<(object Entity, string Field, object? Before, object? After)> also, bool original)
    {
        var values = props.ToDictionary(p => p.Metadata.Name, p => original ? p.OriginalValue : p.CurrentValue);
        foreach (var a in also)
            values[a.Field] = original ? a.Before : a.After;
        return JsonSerializer.Serialize(values, AuditJson);
    }
}

public sealed class SqliteAppDbContext(DbContextOptions options, CurrentStaff current) : AppDbContext(options, current);

public sealed class PostgresAppDbContext(DbContextOptions options, CurrentStaff current) : AppDbContext(options, current);

internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
