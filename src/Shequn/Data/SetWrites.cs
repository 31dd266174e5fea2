using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Shequn.Data;

/// <summary>
/// Many rows through one statement shape, <c>head VALUES (…) tail</c> (an <c>INSERT … ON CONFLICT …</c>, or an
/// <c>UPDATE … IN (VALUES …)</c>), in the context's current transaction. For the processor's counters, where loading
/// and tracking each row costs more than the write. Values are bound with EF's own type mappings, so Guids, dates and
/// times are stored exactly as EF stores them.
/// On PostgreSQL the rows go as multi-row <c>VALUES</c> (one round trip per few thousand values). On SQLite, which
/// runs in-process and binds parameters by a linear search of their names (a statement with thousands of parameters
/// costs quadratic time), one prepared statement is run once a row, bound by position where every column's type is one
/// <see cref="SqliteBinder"/> knows.
/// </summary>
public static class SetWrites
{
    /// <summary>Parameters per PostgreSQL statement, well under its 65,535.</summary>
    private const int MaxParameters = 8_000;

    /// <summary>Runs the statement for every row; returns the rows the database reports as changed.</summary>
    public static async Task<int> ExecuteAsync(AppDbContext db, string head, IReadOnlyList<object[]> rows, string tail, CancellationToken ct)
    {
        if (rows.Count == 0)
            return 0;
        var width = rows[0].Length;
        if (rows.FirstOrDefault(r => r.Length != width) is { } odd)
            throw new ArgumentException($"Every row needs {width} values; one has {odd.Length}.", nameof(rows));
        return db.Database.IsNpgsql()
            ? await ExecuteChunkedAsync(db, head, rows, tail, width, ct)
            : await ExecuteRowByRowAsync(db, head, rows, tail, width, ct);
    }

    /// <summary>The smaller of two values in SQL: <c>LEAST</c> on PostgreSQL, two-argument <c>min</c> on SQLite.</summary>
    public static string Least(AppDbContext db, string a, string b) => db.Database.IsNpgsql() ? $"LEAST({a}, {b})" : $"min({a}, {b})";

    /// <summary>The larger of two values in SQL.</summary>
    public static string Greatest(AppDbContext db, string a, string b) => db.Database.IsNpgsql() ? $"GREATEST({a}, {b})" : $"max({a}, {b})";

    [SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "Head and tail are built from the EF model's table and column names; every value goes in as a parameter.")]
    private static async Task<int> ExecuteRowByRowAsync(AppDbContext db, string head, IReadOnlyList<object[]> rows, string tail, int width, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var mappings = db.GetService<IRelationalTypeMappingSource>();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            // One parameter a column, made with the first row's type mapping; later rows only change the values.
            var columns = rows[0].Select((value, i) =>
            {
                var mapping = (RelationalTypeMapping?)mappings.GetMappingForValue(value) ?? throw new NotSupportedException($"No database type for {value.GetType().Name}.");
                var parameter = mapping.CreateParameter(command, "@v" + i, value);
                command.Parameters.Add(parameter);
                return (Parameter: parameter, mapping.Converter, Kind: SqliteBinder.KindOf(mapping.Converter?.ProviderClrType ?? mapping.ClrType, mapping.StoreType));
            }).ToArray();
            command.CommandText = $"{head} VALUES ({string.Join(", ", columns.Select(c => c.Parameter.ParameterName))}) {tail}";
            if (columns.All(c => c.Kind is not null) && command.Connection is SqliteConnection { Handle: { } handle })
            {
                return SqliteBinder.ExecuteEach(handle, command.CommandText, rows, [.. columns.Select(c => c.Kind!.Value)],
                    (row, c) => columns[c].Converter is { } converter ? converter.ConvertToProvider(row[c]) : row[c]);
            }
            var changed = 0;
            foreach (var row in rows)
            {
                for (var c = 0; c < width; c++)
                    columns[c].Parameter.Value = columns[c].Converter is { } converter ? converter.ConvertToProvider(row[c]) : row[c];
                changed += await command.ExecuteNonQueryAsync(ct);
            }
            return changed;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<int> ExecuteChunkedAsync(AppDbContext db, string head, IReadOnlyList<object[]> rows, string tail, int width, CancellationToken ct)
    {
        var perStatement = Math.Max(1, MaxParameters / width);
        var changed = 0;
        for (var start = 0; start < rows.Count; start += perStatement)
        {
            var count = Math.Min(perStatement, rows.Count - start);
            var sql = new StringBuilder(head.Length + tail.Length + count * width * 6).Append(head).Append(" VALUES ");
            var values = new object[count * width];
            for (var r = 0; r < count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < width; c++)
                {
                    var i = r * width + c;
                    values[i] = rows[start + r][c];
                    sql.Append(c == 0 ? "{" : ", {").Append(i).Append('}');
                }
                sql.Append(')');
            }
            changed += await db.Database.ExecuteSqlRawAsync(sql.Append(' ').Append(tail).ToString(), values, ct);
        }
        return changed;
    }
}
