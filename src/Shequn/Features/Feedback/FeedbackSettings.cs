using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Feedback;

/// <summary>
/// A workspace's feedback rules (<see cref="FeedbackRules"/> as JSON): one row per workspace, written with the defaults
/// the first time staff open them (<see cref="FeedbackDesk.RulesAsync"/>); until then the processor uses the defaults.
/// </summary>
public sealed class FeedbackSettings : IWorkspaceOwned, IAudited
{
    public const int RulesMaxLength = 32000;

    public Guid Id => WorkspaceId;
    public Guid WorkspaceId { get; set; }
    public required string Rules { get; set; }
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public FeedbackRules Read() => JsonSerializer.Deserialize<FeedbackRules>(Rules, Json) ?? FeedbackRules.Defaults();

    public static string Write(FeedbackRules rules) => JsonSerializer.Serialize(rules, Json);

    /// <summary>The workspace's rules read without an acting workspace (the processor), or the defaults when it has none yet.</summary>
    public static async Task<(FeedbackRules Rules, DateTime Stamp)> ReadAsync(AppDbContext db, Guid workspaceId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var row = await db.Set<FeedbackSettings>().IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(s => s.WorkspaceId == workspaceId, ct);
        return row is null ? (FeedbackRules.Defaults(), DateTime.MinValue) : (row.Read(), row.UpdatedAt);
    }
}

internal sealed class FeedbackSettingsConfiguration : IEntityTypeConfiguration<FeedbackSettings>
{
    public void Configure(EntityTypeBuilder<FeedbackSettings> b)
    {
        b.ToTable("FeedbackSettings");
        b.HasKey(s => s.WorkspaceId);
        b.Ignore(s => s.Id);
        b.Property(s => s.Rules).HasMaxLength(FeedbackSettings.RulesMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(s => s.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}
