using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Sandbox;

/// <summary>
/// An image posted in a Sandbox chat. The Sandbox is its own platform, so it keeps the bytes itself, as Telegram keeps
/// a photo behind its <c>file_id</c>: the message event names the upload by <see cref="CommunityEvent.MediaId"/> and
/// the image inspector fetches it from here.
/// </summary>
public sealed class SandboxUpload : IWorkspaceOwned
{
    /// <summary>The largest image the Sandbox accepts (what Telegram lets a bot download).</summary>
    public const int MaxBytes = 20 * 1024 * 1024;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public Guid CommunityId { get; set; }
    public required string FileName { get; set; }
    public required string ContentType { get; set; }
    public required byte[] Bytes { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>How an upload is named in <see cref="CommunityEvent.MediaId"/>.</summary>
    public string MediaId => MediaIdOf(Id);

    public static string MediaIdOf(Guid id) => "sbx-upload:" + id.ToString("N");

    public static Guid? IdOf(string? mediaId) =>
        mediaId is not null && mediaId.StartsWith("sbx-upload:", StringComparison.Ordinal) && Guid.TryParseExact(mediaId[11..], "N", out var id) ? id : null;
}

internal sealed class SandboxUploadConfiguration : IEntityTypeConfiguration<SandboxUpload>
{
    public void Configure(EntityTypeBuilder<SandboxUpload> b)
    {
        b.ToTable("SandboxUploads");
        b.Property(x => x.FileName).HasMaxLength(200);
        b.Property(x => x.ContentType).HasMaxLength(100);
        b.HasOne<Workspace>().WithMany().HasForeignKey(x => x.WorkspaceId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Community>().WithMany().HasForeignKey(x => x.CommunityId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => x.CommunityId);
        b.HasIndex(x => x.WorkspaceId);
    }
}
