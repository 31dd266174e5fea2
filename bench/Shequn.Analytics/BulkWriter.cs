using System.Data.Common;
using System.Linq.Expressions;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Shequn.Data;

/// <summary>
/// Multi-row INSERTs of entities into the tables the app's model maps them to, the columns and the values' conversions
/// taken from that model (the same type mappings EF's own inserts use), so that the rows read back as the app wrote
/// them; many rows a statement, many statements a transaction. Store-generated keys (an event's Seq) are left to the store.
/// </summary>
internal sealed class BulkWriter(AppDbContext db)
{
    private const int RowsPerTransaction = 50_000;

    private sealed record Column(string Name, RelationalTypeMapping Mapping, bool Nullable, Func<object, object?> Get);

    public async Task<int> WriteAsync<T>(IEnumerable<T> rows) where T : class
    {
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model");
        var table = StoreObject.Of(entity);
        var columns = entity.GetProperties()
            .Where(p => !(p.IsPrimaryKey() && p.ValueGenerated == ValueGenerated.OnAdd && (p.ClrType == typeof(long) || p.ClrType == typeof(int))))
            .Where(p => p.ValueGenerated != ValueGenerated.OnAddOrUpdate && p.GetColumnName(table) is not null && (p.PropertyInfo ?? (object?)p.FieldInfo) is not null)
            .Select(p => new Column(p.GetColumnName(table)!, (RelationalTypeMapping)p.GetRelationalTypeMapping(), p.IsNullable, Getter(p)))
            .ToArray();
        // SQLite binds at most 32,766 parameters a statement, PostgreSQL 65,535.
        var perStatement = Math.Max(1, Math.Min(500, 30_000 / columns.Length));
        var head = $"INSERT INTO \"{table.Name}\" ({string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) VALUES ";

        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
            await connection.OpenAsync();
        var written = 0;
        DbTransaction? tx = null;
        DbCommand? full = null;
        var batch = new List<T>(perStatement);
        try
        {
            foreach (var row in rows)
            {
                batch.Add(row);
                if (batch.Count < perStatement)
                    continue;
                tx ??= await connection.BeginTransactionAsync();
                full ??= Command(connection, head, columns.Length, perStatement);
                await ExecuteAsync(full, tx, columns, batch);
                written += batch.Count;
                batch.Clear();
                if (written % RowsPerTransaction < perStatement)
                {
                    await tx.CommitAsync();
                    await tx.DisposeAsync();
                    tx = null;
                }
            }
            if (batch.Count > 0)
            {
                tx ??= await connection.BeginTransactionAsync();
                await using var last = Command(connection, head, columns.Length, batch.Count);
                await ExecuteAsync(last, tx, columns, batch);
                written += batch.Count;
            }
            if (tx is not null)
                await tx.CommitAsync();
        }
        finally
        {
            if (tx is not null)
                await tx.DisposeAsync();
            if (full is not null)
                await full.DisposeAsync();
        }
        return written;
    }

    private static DbCommand Command(DbConnection connection, string head, int width, int rows)
    {
        var sql = new StringBuilder(head);
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < width; c++)
                sql.Append(c == 0 ? "" : ", ").Append("@p").Append(r * width + c);
            sql.Append(')');
        }
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql.ToString();
        cmd.CommandTimeout = 600;
        return cmd;
    }

    private static async Task ExecuteAsync<T>(DbCommand cmd, DbTransaction tx, Column[] columns, List<T> batch) where T : class
    {
        cmd.Transaction = tx;
        cmd.Parameters.Clear();
        for (var r = 0; r < batch.Count; r++)
        {
            for (var c = 0; c < columns.Length; c++)
            {
                var column = columns[c];
                cmd.Parameters.Add(column.Mapping.CreateParameter(cmd, "@p" + (r * columns.Length + c), column.Get(batch[r]), column.Nullable));
            }
        }
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A compiled read of the property (reflection per value would dominate a million rows).</summary>
    private static Func<object, object?> Getter(IProperty p)
    {
        var entity = Expression.Parameter(typeof(object));
        var typed = Expression.Convert(entity, p.DeclaringType.ClrType);
        Expression member = p.PropertyInfo is { } info ? Expression.Property(typed, info) : Expression.Field(typed, p.FieldInfo!);
        return Expression.Lambda<Func<object, object?>>(Expression.Convert(member, typeof(object)), entity).Compile();
    }

    private static class StoreObject
    {
        public static StoreObjectIdentifier Of(IEntityType entity) =>
            StoreObjectIdentifier.Table(entity.GetTableName() ?? throw new InvalidOperationException($"{entity.Name} has no table"), entity.GetSchema());
    }
}
