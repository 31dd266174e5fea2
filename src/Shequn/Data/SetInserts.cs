using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Shequn.Data;

/// <summary>
/// Writes the tracked entities a SaveChanges would insert, type by type, through one prepared <c>INSERT</c> a type,
/// and marks them unchanged, so that the SaveChanges after it only updates and deletes. For the event processor's
/// batches (a thousand events make hundreds of members, memberships, newcomers and actions at once), where EF's
/// command batching (a dependency sort over every entry, a statement parsed per row) costs more than the writes.
/// <para>What it leaves to EF, so the result is the same as EF's own save: entity types with database-made values
/// (defaults, computed columns, keys still to be made), owned or complex parts, inheritance or shared tables, composite keys;
/// types with entries being deleted, or updated in a key or uniquely indexed column, in the same save (a freed unique
/// value must be freed first; an update of other columns cannot collide with a new row); and any
/// entry whose foreign key points at an entry that EF still has to insert (a new community's first memberships).
/// Principals are written before their dependents.</para>
/// On SQLite (in-process) one prepared statement runs once a row; on PostgreSQL rows go as multi-row <c>VALUES</c>.
/// </summary>
public static class SetInserts
{
    private const int MaxParameters = 8_000;

    private static readonly ConcurrentDictionary<IEntityType, Shape?> Shapes = new();

    /// <summary>Inserts what it can of the Added entries; returns how many rows it wrote.</summary>
    public static async Task<int> InsertAddedAsync(AppDbContext db, CancellationToken ct)
    {
        var byType = new Dictionary<IEntityType, List<EntityEntry>>();
        var busy = new HashSet<IEntityType>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State == EntityState.Added)
            {
                if (!byType.TryGetValue(entry.Metadata, out var list))
                    byType[entry.Metadata] = list = [];
                list.Add(entry);
            }
            else if (entry.State == EntityState.Deleted || (entry.State == EntityState.Modified && MayFreeUniqueValue(entry)))
                busy.Add(entry.Metadata);
        }
        if (byType.Count == 0)
            return 0;

        // Keys EF (or this method, later) still has to insert, by entity type: a dependent of one of them must wait.
        var pending = new Dictionary<IEntityType, HashSet<object>>();
        foreach (var (type, entries) in byType)
            if (type.FindPrimaryKey() is { Properties: [var key] })
                pending[type] = [.. entries.Select(e => e.CurrentValues[key]).OfType<object>()];

        var written = 0;
        var remaining = byType.Keys.Where(t => !busy.Contains(t) && ShapeOf(db, t) is not null).ToHashSet();
        while (remaining.Count > 0)
        {
            // Principals first: a type whose principal types (other than itself) are all done.
            var next = remaining.FirstOrDefault(t => t.GetForeignKeys().All(fk => fk.PrincipalEntityType == t || !remaining.Contains(fk.PrincipalEntityType)));
            if (next is null)
                break; // a cycle between types: EF sorts it out
            remaining.Remove(next);
            var shape = ShapeOf(db, next)!;
            var ready = new List<EntityEntry>();
            var keys = pending[next];
            foreach (var entry in byType[next])
            {
                if (entry.Properties.Any(p => p.IsTemporary) || !shape.ForeignKeys.All(fk => Settled(entry, fk, pending)))
                    continue;
                ready.Add(entry);
            }
            if (ready.Count == 0)
                continue;
            try
            {
                written += await InsertAsync(db, shape, ready, (entry, c) => entry.CurrentValues[shape.Columns[c]], ct);
            }
            catch (DbException ex)
            {
                throw new DbUpdateException($"Inserting {next.ClrType.Name} rows failed: {ex.Message}", ex, ready);
            }
            foreach (var entry in ready)
            {
                keys.Remove(entry.CurrentValues[shape.Key]!);
                entry.State = EntityState.Unchanged;
            }
        }
        return written;
    }

    /// <summary>
    /// Inserts entities the context does not track, set-wise, in its current transaction: rows a reaction makes that
    /// nothing in the batch reads back through the context (the group rules' cases and actions), so that they cost no
    /// tracking and no change detection. Their principals must exist already.
    /// </summary>
    /// <exception cref="InvalidOperationException">The type's rows are not written set-wise (<see cref="IsSetWise"/>) or it has shadow properties.</exception>
    public static async Task<int> InsertAsync<T>(AppDbContext db, IReadOnlyList<T> rows, CancellationToken ct)
        where T : class
    {
        if (rows.Count == 0)
            return 0;
        var type = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not an entity type.");
        var shape = ShapeOf(db, type);
        if (shape is null || shape.Columns.Any(c => c.IsShadowProperty()))
            throw new InvalidOperationException($"{typeof(T).Name} rows are not written set-wise.");
        var getters = shape.Columns.Select(c => c.GetGetter()).ToArray();
        try
        {
            return await InsertAsync(db, shape, rows, (row, c) => getters[c].GetClrValue(row), ct);
        }
        catch (DbException ex)
        {
            throw new DbUpdateException($"Inserting {typeof(T).Name} rows failed: {ex.Message}", ex);
        }
    }

    private static Task<int> InsertAsync<TRow>(AppDbContext db, Shape shape, IReadOnlyList<TRow> rows, Func<TRow, int, object?> valueOf, CancellationToken ct) =>
        db.Database.IsNpgsql() ? InsertChunkedAsync(db, shape, rows, valueOf, ct) : InsertRowByRowAsync(db, shape, rows, valueOf, ct);

    /// <summary>Whether an update may free a value a new row of the type takes: a changed key or uniquely indexed column.</summary>
    private static bool MayFreeUniqueValue(EntityEntry entry)
    {
        foreach (var p in entry.Properties)
            if (p.IsModified && (p.Metadata.IsKey() || p.Metadata.GetContainingIndexes().Any(i => i.IsUnique)))
                return true;
        return false;
    }

    /// <summary>Whether the entry's foreign key is null or points at a row that exists (or is not ours to wait for).</summary>
    private static bool Settled(EntityEntry entry, IForeignKey fk, Dictionary<IEntityType, HashSet<object>> pending)
    {
        var value = entry.CurrentValues[fk.Properties[0]];
        if (value is null)
            return true;
        foreach (var (type, keys) in pending)
            if (keys.Count > 0 && (type == fk.PrincipalEntityType || type.IsAssignableFrom(fk.PrincipalEntityType) || fk.PrincipalEntityType.IsAssignableFrom(type)) && keys.Contains(value))
                return false;
        return true;
    }

    /// <param name="Kinds">On SQLite, how each column is bound by position (<see cref="SqliteBinder"/>); null when a column's type is one it does not know.</param>
    private sealed record Shape(string Sql, IProperty Key, IProperty[] Columns, RelationalTypeMapping[] Mappings, string Head, IForeignKey[] ForeignKeys, SqliteBinder.Kind[]? Kinds);

    /// <summary>Whether new rows of the type are written set-wise (else EF writes them).</summary>
    internal static bool IsSetWise(AppDbContext db, Type clrType) =>
        db.Model.FindEntityType(clrType) is { } type && ShapeOf(db, type) is not null;

    /// <summary>How to insert rows of a type, or null when its rows are left to EF.</summary>
    private static Shape? ShapeOf(AppDbContext db, IEntityType type) => Shapes.GetOrAdd(type, t =>
    {
        var table = t.GetTableName();
        if (table is null || t.GetViewName() is not null || t.GetSqlQuery() is not null || t.IsOwned() || t.BaseType is not null
            || t.GetDirectlyDerivedTypes().Any() || t.GetComplexProperties().Any() || t.GetNavigations().Any(n => n.TargetEntityType.IsOwned()))
            return null;
        if (t.FindPrimaryKey() is not { Properties: [var key] })
            return null;
        var schema = t.GetSchema();
        if (t.Model.GetEntityTypes().Count(o => o.GetTableName() == table && o.GetSchema() == schema) != 1)
            return null;
        var store = StoreObjectIdentifier.Table(table, schema);
        var columns = t.GetProperties().ToArray();
        foreach (var p in columns)
        {
            // A key the database would make is temporary until saved: such entries are left to EF (checked per entry).
            var generated = p.ValueGenerated != ValueGenerated.Never && p != key;
            // (A concurrency token is written as is on insert; it only guards updates and deletes, which EF still does.)
            if (generated || p.GetComputedColumnSql(store) is not null || p.GetDefaultValueSql(store) is not null || p.TryGetDefaultValue(store, out _))
                return null;
        }
        var foreignKeys = t.GetForeignKeys().ToArray();
        if (foreignKeys.Any(fk => fk.Properties.Count != 1 || !fk.PrincipalKey.IsPrimaryKey()))
            return null;
        var sql = db.GetService<ISqlGenerationHelper>();
        var head = $"INSERT INTO {sql.DelimitIdentifier(table, schema)} ({string.Join(", ", columns.Select(p => sql.DelimitIdentifier(p.GetColumnName(store)!)))}) VALUES ";
        var one = head + "(" + string.Join(", ", columns.Select((_, i) => "@p" + i)) + ")";
        var mappings = columns.Select(p => (RelationalTypeMapping)p.GetRelationalTypeMapping()).ToArray();
        var kinds = mappings.Select(m => SqliteBinder.KindOf(m.Converter?.ProviderClrType ?? m.ClrType, m.StoreType)).ToArray();
        return new Shape(one, key, columns, mappings, head, foreignKeys, kinds.All(k => k is not null) ? [.. kinds.Select(k => k!.Value)] : null);
    });

    private static async Task<int> InsertRowByRowAsync<TRow>(AppDbContext db, Shape shape, IReadOnlyList<TRow> rows, Func<TRow, int, object?> valueOf, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // Bound by position where it can be: SqliteCommand would look each of a row's parameters up by name on every row.
            if (shape.Kinds is { } kinds && db.Database.GetDbConnection() is SqliteConnection { Handle: { } handle })
                return SqliteBinder.ExecuteEach(handle, shape.Sql, rows, kinds, (row, c) => Provider(shape.Mappings[c], valueOf(row, c)));
            await using var command = Command(db, shape.Sql);
            var parameters = new DbParameter[shape.Columns.Length];
            for (var c = 0; c < parameters.Length; c++)
                command.Parameters.Add(parameters[c] = shape.Mappings[c].CreateParameter(command, "@p" + c, null, shape.Columns[c].IsNullable));
            var written = 0;
            foreach (var row in rows)
            {
                for (var c = 0; c < parameters.Length; c++)
                    parameters[c].Value = Provider(shape.Mappings[c], valueOf(row, c));
                written += await command.ExecuteNonQueryAsync(ct);
            }
            return written;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [SuppressMessage("Security", "SCS0002:Potential SQL injection", Justification = "The statement is built from the EF model's table and column names only; every value goes in as a parameter.")]
    [SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "The statement is built from the EF model's table and column names only; every value goes in as a parameter.")]
    private static async Task<int> InsertChunkedAsync<TRow>(AppDbContext db, Shape shape, IReadOnlyList<TRow> rows, Func<TRow, int, object?> valueOf, CancellationToken ct)
    {
        var width = shape.Columns.Length;
        var perStatement = Math.Max(1, MaxParameters / width);
        var written = 0;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            for (var start = 0; start < rows.Count; start += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - start);
                var sql = new StringBuilder(shape.Head, shape.Head.Length + count * width * 8);
                await using var command = Command(db, "");
                for (var r = 0; r < count; r++)
                {
                    var row = rows[start + r];
                    sql.Append(r == 0 ? "(" : ", (");
                    for (var c = 0; c < width; c++)
                    {
                        var name = "@p" + (r * width + c);
                        sql.Append(c == 0 ? "" : ", ").Append(name);
                        var parameter = shape.Mappings[c].CreateParameter(command, name, null, shape.Columns[c].IsNullable);
                        parameter.Value = Provider(shape.Mappings[c], valueOf(row, c));
                        command.Parameters.Add(parameter);
                    }
                    sql.Append(')');
                }
                command.CommandText = sql.ToString();
                written += await command.ExecuteNonQueryAsync(ct);
            }
            return written;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [SuppressMessage("Security", "SCS0002:Potential SQL injection", Justification = "The statement is built from the EF model's table and column names only; every value goes in as a parameter.")]
    [SuppressMessage("Security", "CA2100:Review SQL queries for security vulnerabilities", Justification = "The statement is built from the EF model's table and column names only; every value goes in as a parameter.")]
    private static DbCommand Command(AppDbContext db, string sql)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        return command;
    }

    /// <summary>The value as the database stores it: through the property's converter (enums, UTC times), null as DBNull.</summary>
    private static object Provider(RelationalTypeMapping mapping, object? value) =>
        value is null ? DBNull.Value : (mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value) ?? DBNull.Value;
}
