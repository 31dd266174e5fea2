using Microsoft.EntityFrameworkCore;

namespace Shequn.Platform.Api;

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int PageNumber, int PageSize);

public static class Paging
{
    public const int MaxPageSize = 200;

    public static (int Page, int Size) Clamp(int? page, int? pageSize) =>
        (Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 50, 1, MaxPageSize));

    public static async Task<Page<T>> ToPageAsync<T>(this IQueryable<T> query, int? page, int? pageSize, CancellationToken ct)
    {
        var (p, size) = Clamp(page, pageSize);
        var total = await query.CountAsync(ct);
        var items = await query.Skip((p - 1) * size).Take(size).ToListAsync(ct);
        return new Page<T>(items, total, p, size);
    }
}
