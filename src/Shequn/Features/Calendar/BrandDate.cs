using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Shequn.Data;
using Shequn.Features.Workspaces;
using Shequn.Platform.Api;

namespace Shequn.Features.Calendar;

/// <summary>
/// A date of the brand's own (its anniversary, a member day, a product launch) on the marketing calendar beside the
/// holidays: every year on its month and day, or once on <see cref="Year"/>; with the theme staff see near it.
/// </summary>
public sealed class BrandDate : IWorkspaceOwned, IAudited
{
    public const int NameMaxLength = 50;
    public const int ThemeMaxLength = 300;

    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid WorkspaceId { get; set; }
    public required string Name { get; set; }
    public int Month { get; set; }
    public int Day { get; set; }
    /// <summary>Once in this year; null: every year.</summary>
    public int? Year { get; set; }
    public string? Theme { get; set; }
    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
    public DateTime UpdatedAt { get; set; } = DateTime.UtcNow;

    /// <summary>Its day in <paramref name="year"/>, or null (another year's one-off; 29 February outside leap years falls on the 28th).</summary>
    public DateOnly? In(int year)
    {
        if (Year is { } only && only != year)
            return null;
        return new DateOnly(year, Month, Math.Min(Day, DateTime.DaysInMonth(year, Month)));
    }
}

internal sealed class BrandDateConfiguration : IEntityTypeConfiguration<BrandDate>
{
    public void Configure(EntityTypeBuilder<BrandDate> b)
    {
        b.ToTable("BrandDates");
        b.HasKey(d => d.Id);
        b.Property(d => d.Name).HasMaxLength(BrandDate.NameMaxLength);
        b.Property(d => d.Theme).HasMaxLength(BrandDate.ThemeMaxLength);
        b.HasIndex(d => d.WorkspaceId);
        b.HasOne<Workspace>().WithMany().HasForeignKey(d => d.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed record BrandDateInput(string? Name = null, int? Month = null, int? Day = null, int? Year = null, string? Theme = null, bool EveryYear = false);

public sealed record BrandDateDto(Guid Id, string Name, int Month, int Day, int? Year, string? Theme);

/// <summary>The brand's own dates: all staff read them; owners and sub-owners change them (audited).</summary>
public sealed class BrandDates(AppDbContext db)
{
    public async Task<IReadOnlyList<BrandDateDto>> ListAsync(CancellationToken ct = default) =>
        await db.Current.GetProfileAsync(db, ct) is null ? [] :
        [.. (await db.Set<BrandDate>().AsNoTracking().ToListAsync(ct)).OrderBy(d => d.Month).ThenBy(d => d.Day).ThenBy(d => d.Name, StringComparer.Ordinal).Select(Dto)];

    public async Task<(PostOutcome Outcome, BrandDateDto? Date, Validation Validation)> SaveAsync(Guid? id, BrandDateInput input, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var v = new Validation();
        if (!PostPlanner.MayApprove(await db.Current.GetProfileAsync(db, ct)))
            return (PostOutcome.Forbidden, null, v);
        BrandDate? row = null;
        if (id is { } existing && (row = await db.Set<BrandDate>().SingleOrDefaultAsync(d => d.Id == existing, ct)) is null)
            return (PostOutcome.NotFound, null, v);
        var name = input.Name?.Trim() ?? row?.Name;
        v.Required("name", name, BrandDate.NameMaxLength);
        var month = input.Month ?? row?.Month;
        var day = input.Day ?? row?.Day;
        var year = input.EveryYear ? null : input.Year ?? row?.Year;
        if (month is not (>= 1 and <= 12))
            v.Add("month", "OutOfRange", "'month' must be between 1 and 12.", 1, 12);
        else if (day is not { } d || d < 1 || d > DateTime.DaysInMonth(year ?? 2024, month.Value))
            v.Add("day", "OutOfRange", $"'day' must be a day of month {month}.", 1, DateTime.DaysInMonth(year ?? 2024, month.Value));
        if (year is { } y && (y < MarketingDates.MinYear || y > MarketingDates.MaxYear))
            v.Add("year", "OutOfRange", $"'year' must be from {MarketingDates.MinYear} to {MarketingDates.MaxYear}.", MarketingDates.MinYear, MarketingDates.MaxYear);
        var theme = input.Theme is null ? row?.Theme : (string.IsNullOrWhiteSpace(input.Theme) ? null : input.Theme.Trim());
        v.MaxLength("theme", theme, BrandDate.ThemeMaxLength);
        if (!v.IsValid)
            return (PostOutcome.Invalid, null, v);
        row ??= db.Add(new BrandDate { WorkspaceId = db.CurrentWorkspaceId, Name = "" }).Entity;
        row.Name = name!;
        row.Month = month!.Value;
        row.Day = day!.Value;
        row.Year = year;
        row.Theme = theme;
        row.UpdatedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
        return (PostOutcome.Saved, Dto(row), v);
    }

    public async Task<PostOutcome> DeleteAsync(Guid id, CancellationToken ct = default)
    {
        if (!PostPlanner.MayApprove(await db.Current.GetProfileAsync(db, ct)))
            return PostOutcome.Forbidden;
        var row = await db.Set<BrandDate>().SingleOrDefaultAsync(d => d.Id == id, ct);
        if (row is null)
            return PostOutcome.NotFound;
        db.Remove(row);
        await db.SaveChangesAsync(ct);
        return PostOutcome.Saved;
    }

    private static BrandDateDto Dto(BrandDate d) => new(d.Id, d.Name, d.Month, d.Day, d.Year, d.Theme);
}
