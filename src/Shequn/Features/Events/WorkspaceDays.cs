using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;

namespace Shequn.Features.Events;

/// <summary>
/// A whole workspace's complete day, stored so that the owner's overview reads one row a day instead of counting
/// every stint of the workspace on each view (issue 15's speed: 200,000 members, 1,000 communities). Written by
/// <see cref="WorkspaceDaySettle"/> for days that have ended in <see cref="TimeZone"/>.
/// <para>
/// A row holds only while what it was counted from is unchanged. Database triggers (migration <c>WorkspaceDays</c>,
/// SQL in <see cref="WorkspaceDayTriggers"/>) delete the rows a change reaches: a stint that begins, ends, moves or is
/// deleted before a row's <see cref="EndsAt"/>, a member created or deleted before it, a daily-figures row of its day or
/// an earlier one. Joins and leaves as they happen reach no stored day, so the rows stay; a late event, an erasure or a
/// merge drops the days it changes, and the reader computes those from the stints again until the job stores them anew.
/// </para>
/// </summary>
public sealed class WorkspaceDay : IWorkspaceOwned
{
    public Guid WorkspaceId { get; set; }
    public DateOnly Day { get; set; }

    /// <summary>The zone the day was counted in; rows of another zone are not read (and are dropped by the job).</summary>
    public string TimeZone { get; set; } = "";

    /// <summary>The day's end (UTC): the moment <see cref="Members"/>, <see cref="DistinctMembers"/> and
    /// <see cref="MembersListed"/> are counted at.</summary>
    public DateTime EndsAt { get; set; }

    public int Joins { get; set; }
    public int Leaves { get; set; }
    public int Messages { get; set; }
    public int StaffMessages { get; set; }
    public int Speakers { get; set; }
    public int DeletedMessages { get; set; }

    /// <summary>Stints in at the day's end, summed over communities (a member in two groups counts twice), as
    /// <see cref="DailyFigures"/> counts them.</summary>
    public int Members { get; set; }

    /// <summary>Members in at least one community at the day's end (the dashboard's "members").</summary>
    public int DistinctMembers { get; set; }

    /// <summary>Member records created before the day's end (the dashboard's "members listed").</summary>
    public int MembersListed { get; set; }

    public DateTime ComputedAt { get; set; }
}

internal sealed class WorkspaceDayConfiguration : IEntityTypeConfiguration<WorkspaceDay>
{
    public void Configure(EntityTypeBuilder<WorkspaceDay> b)
    {
        b.ToTable("WorkspaceDays");
        b.HasKey(e => new { e.WorkspaceId, e.Day });
        b.Property(e => e.TimeZone).HasMaxLength(Workspace.TimeZoneMaxLength);
        b.HasOne<Workspace>().WithMany().HasForeignKey(e => e.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
        // The triggers' deletes: the rows of a workspace ending after a moment.
        b.HasIndex(e => new { e.WorkspaceId, e.EndsAt });
    }
}

/// <summary>
/// The triggers that keep <see cref="WorkspaceDay"/> rows true: each deletes the stored days a change reaches. A change
/// that reaches only today (a join or a leave as it happens) finds no stored day and deletes nothing. A leave's update
/// reaches the days ending after the earlier of its old and new end (a stint that ends at a day's end is still in at
/// that moment); a change of a stint's start, member or community reaches every day ending after its start.
/// </summary>
public static class WorkspaceDayTriggers
{
    /// <summary>SQLite's, idempotent: also run after every migration (<c>DatabaseSetup.MigrateAsync</c>), because EF
    /// rebuilds a SQLite table to alter it and a rebuild drops the table's triggers.</summary>
    public const string SqliteUp = """
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Memberships_Insert" AFTER INSERT ON "Memberships" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId" AND "EndsAt" > NEW."JoinedAt";
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Memberships_Delete" AFTER DELETE ON "Memberships" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = OLD."WorkspaceId" AND "EndsAt" > OLD."JoinedAt";
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Memberships_Update"
        AFTER UPDATE OF "JoinedAt", "LeftAt", "MemberId", "CommunityId", "WorkspaceId" ON "Memberships" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" IN (OLD."WorkspaceId", NEW."WorkspaceId") AND (
                ((NEW."JoinedAt" IS NOT OLD."JoinedAt" OR NEW."MemberId" IS NOT OLD."MemberId"
                    OR NEW."CommunityId" IS NOT OLD."CommunityId" OR NEW."WorkspaceId" IS NOT OLD."WorkspaceId")
                    AND "EndsAt" > min(OLD."JoinedAt", NEW."JoinedAt"))
                OR (NEW."LeftAt" IS NOT OLD."LeftAt"
                    AND "EndsAt" > min(coalesce(OLD."LeftAt", NEW."LeftAt"), coalesce(NEW."LeftAt", OLD."LeftAt"))));
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Members_Insert" AFTER INSERT ON "Members" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId" AND "EndsAt" > NEW."CreatedAt";
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Members_Delete" AFTER DELETE ON "Members" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = OLD."WorkspaceId" AND "EndsAt" > OLD."CreatedAt";
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Members_Update" AFTER UPDATE OF "CreatedAt", "WorkspaceId" ON "Members" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" IN (OLD."WorkspaceId", NEW."WorkspaceId")
                AND "EndsAt" > min(OLD."CreatedAt", NEW."CreatedAt");
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Figures_Insert" AFTER INSERT ON "CommunityDailyFigures" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId" AND "Day" >= NEW."Day";
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Figures_Update" AFTER UPDATE ON "CommunityDailyFigures" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" IN (OLD."WorkspaceId", NEW."WorkspaceId") AND "Day" >= min(OLD."Day", NEW."Day");
        END;
        CREATE TRIGGER IF NOT EXISTS "WorkspaceDays_Figures_Delete" AFTER DELETE ON "CommunityDailyFigures" BEGIN
            DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = OLD."WorkspaceId" AND "Day" >= OLD."Day";
        END;
        """;

    public const string SqliteDown = """
        DROP TRIGGER IF EXISTS "WorkspaceDays_Memberships_Insert";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Memberships_Delete";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Memberships_Update";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Members_Insert";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Members_Delete";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Members_Update";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Figures_Insert";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Figures_Update";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Figures_Delete";
        """;

    public const string PostgresUp = """
        CREATE FUNCTION "WorkspaceDays_Memberships"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId" AND "EndsAt" > NEW."JoinedAt";
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = OLD."WorkspaceId" AND "EndsAt" > OLD."JoinedAt";
            ELSIF NEW."JoinedAt" IS DISTINCT FROM OLD."JoinedAt" OR NEW."MemberId" IS DISTINCT FROM OLD."MemberId"
                OR NEW."CommunityId" IS DISTINCT FROM OLD."CommunityId" OR NEW."WorkspaceId" IS DISTINCT FROM OLD."WorkspaceId" THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" IN (OLD."WorkspaceId", NEW."WorkspaceId")
                    AND "EndsAt" > LEAST(OLD."JoinedAt", NEW."JoinedAt");
            ELSIF NEW."LeftAt" IS DISTINCT FROM OLD."LeftAt" THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId"
                    AND "EndsAt" > LEAST(OLD."LeftAt", NEW."LeftAt");
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER "WorkspaceDays_Memberships" AFTER INSERT OR DELETE OR UPDATE OF "JoinedAt", "LeftAt", "MemberId", "CommunityId", "WorkspaceId"
            ON "Memberships" FOR EACH ROW EXECUTE FUNCTION "WorkspaceDays_Memberships"();

        CREATE FUNCTION "WorkspaceDays_Members"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId" AND "EndsAt" > NEW."CreatedAt";
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = OLD."WorkspaceId" AND "EndsAt" > OLD."CreatedAt";
            ELSIF NEW."CreatedAt" IS DISTINCT FROM OLD."CreatedAt" OR NEW."WorkspaceId" IS DISTINCT FROM OLD."WorkspaceId" THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" IN (OLD."WorkspaceId", NEW."WorkspaceId")
                    AND "EndsAt" > LEAST(OLD."CreatedAt", NEW."CreatedAt");
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER "WorkspaceDays_Members" AFTER INSERT OR DELETE OR UPDATE OF "CreatedAt", "WorkspaceId"
            ON "Members" FOR EACH ROW EXECUTE FUNCTION "WorkspaceDays_Members"();

        CREATE FUNCTION "WorkspaceDays_Figures"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = NEW."WorkspaceId" AND "Day" >= NEW."Day";
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" = OLD."WorkspaceId" AND "Day" >= OLD."Day";
            ELSE
                DELETE FROM "WorkspaceDays" WHERE "WorkspaceId" IN (OLD."WorkspaceId", NEW."WorkspaceId")
                    AND "Day" >= LEAST(OLD."Day", NEW."Day");
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER "WorkspaceDays_Figures" AFTER INSERT OR DELETE OR UPDATE
            ON "CommunityDailyFigures" FOR EACH ROW EXECUTE FUNCTION "WorkspaceDays_Figures"();
        """;

    public const string PostgresDown = """
        DROP TRIGGER IF EXISTS "WorkspaceDays_Memberships" ON "Memberships";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Members" ON "Members";
        DROP TRIGGER IF EXISTS "WorkspaceDays_Figures" ON "CommunityDailyFigures";
        DROP FUNCTION IF EXISTS "WorkspaceDays_Memberships"();
        DROP FUNCTION IF EXISTS "WorkspaceDays_Members"();
        DROP FUNCTION IF EXISTS "WorkspaceDays_Figures"();
        """;
}

/// <summary>Counting a workspace's day and reading the stored days back.</summary>
public static class WorkspaceDays
{
    /// <summary>Counts <paramref name="day"/> (which must have ended) for the whole workspace, from the same rows and with
    /// the same rules as <see cref="DailyFigures"/>.</summary>
    public static async Task<WorkspaceDay> CountAsync(AppDbContext db, Guid workspaceId, DateOnly day, TimeZoneInfo zone, DateTime now, CancellationToken ct)
    {
        var end = DailyFigures.StartOf(day.AddDays(1), zone);
        var sums = (await DailyFigures.SumsAsync(db.Set<CommunityDailyFigure>().IgnoreQueryFilters().AsNoTracking()
            .Where(f => f.WorkspaceId == workspaceId && f.Day == day), ct)).GetValueOrDefault(day);
        var stints = db.Memberships.IgnoreQueryFilters().AsNoTracking().Where(m => m.WorkspaceId == workspaceId);
        return new WorkspaceDay
        {
            WorkspaceId = workspaceId,
            Day = day,
            TimeZone = zone.Id,
            EndsAt = end,
            Joins = sums?.Joins ?? 0,
            Leaves = sums?.Leaves ?? 0,
            Messages = sums?.Messages ?? 0,
            StaffMessages = sums?.Staff ?? 0,
            Speakers = sums?.Speakers ?? 0,
            DeletedMessages = sums?.Deleted ?? 0,
            Members = await DailyFigures.InAtAsync(stints, end, ct),
            DistinctMembers = await stints.Where(m => m.JoinedAt < end && (m.LeftAt == null || m.LeftAt >= end))
                .Select(m => m.MemberId).Distinct().CountAsync(ct),
            MembersListed = await db.Members.IgnoreQueryFilters().CountAsync(m => m.WorkspaceId == workspaceId && m.CreatedAt < end, ct),
            ComputedAt = now,
        };
    }

    /// <summary>The stored days [<paramref name="first"/>, <paramref name="last"/>] of the workspace in the zone, or null
    /// when any is missing (not stored yet, or dropped by a change).</summary>
    public static async Task<Dictionary<DateOnly, WorkspaceDay>?> StoredAsync(
        AppDbContext db, Guid workspaceId, DateOnly first, DateOnly last, TimeZoneInfo zone, CancellationToken ct)
    {
        if (last < first)
            return [];
        var zoneId = zone.Id;
        var rows = await db.Set<WorkspaceDay>().IgnoreQueryFilters().AsNoTracking()
            .Where(d => d.WorkspaceId == workspaceId && d.Day >= first && d.Day <= last && d.TimeZone == zoneId)
            .ToDictionaryAsync(d => d.Day, ct);
        return rows.Count == last.DayNumber - first.DayNumber + 1 ? rows : null;
    }
}
