using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;
using Shequn.Features.Communities;
using Shequn.Features.Events;
using Shequn.Features.Members;
using Shequn.Features.Workspaces;
using Shequn.Tests.Infrastructure;

namespace Shequn.Tests.Data;

/// <summary>
/// The processor's set-wise save writes exactly the rows EF would, defers what EF must write first, and leaves the
/// entities tracked as saved so later changes become updates.
/// </summary>
public abstract class SetInsertsTests(ShequnFactory factory)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> InScopeAsync<T>(Func<AppDbContext, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<AppDbContext>());
    }

    private static (Member Member, Membership Stint) People(Guid ws, Guid community, string name) =>
        (new Member { WorkspaceId = ws, DisplayName = name, City = null, Phone = "13800001111", Layer = MemberLayer.Core, Stage = MemberStage.Active, StageChangedAt = new DateTime(2026, 5, 1, 8, 30, 15, 123, DateTimeKind.Utc), CreatedAt = new DateTime(2026, 4, 1, 1, 2, 3, DateTimeKind.Utc) },
         new Membership { WorkspaceId = ws, CommunityId = community, JoinedAt = new DateTime(2026, 4, 2, 23, 59, 59, 999, DateTimeKind.Utc), Nickname = "小" + name, LeftAt = null });

    /// <summary>Every column of a row as the database holds it, in column order, except the id.</summary>
    private static async Task<List<object?>> RowAsync(AppDbContext db, string table, Guid id)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(Ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table}\" WHERE \"Id\" = @id";
            var p = command.CreateParameter();
            p.ParameterName = "@id";
            p.Value = db.Database.IsNpgsql() ? id : id.ToString().ToUpperInvariant();
            command.Parameters.Add(p);
            await using var reader = await command.ExecuteReaderAsync(Ct);
            Assert.True(await reader.ReadAsync(Ct), $"no {table} row {id}");
            return [.. Enumerable.Range(0, reader.FieldCount).Where(i => reader.GetName(i) != "Id").Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i))];
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [Fact]
    public async Task SetWiseRows_AreTheRowsEfWrites()
    {
        var ws = await factory.NewWorkspaceAsync();
        var community = await InScopeAsync(async db =>
        {
            var c = new Community { WorkspaceId = ws.Id, Name = "set-wise " + Guid.NewGuid().ToString("N")[..6], Platform = ChatPlatform.Sandbox };
            db.Communities.Add(c);
            await db.SaveChangesWithoutAuditAsync(Ct);
            return c.Id;
        });
        var (byEf, byEfStint) = People(ws.Id, community, "Ann");
        var (setWise, setWiseStint) = People(ws.Id, community, "Ann");
        byEfStint.MemberId = byEf.Id;
        setWiseStint.MemberId = setWise.Id;
        await InScopeAsync(async db =>
        {
            db.AddRange(byEf, byEfStint);
            return await db.SaveChangesWithoutAuditAsync(Ct);
        });
        var written = await InScopeAsync(async db =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            db.AddRange(setWise, setWiseStint);
            var inserted = await SetInserts.InsertAddedAsync(db, Ct);
            // Nothing is left for EF: both entities are now tracked as saved.
            Assert.All(db.ChangeTracker.Entries(), e => Assert.Equal(EntityState.Unchanged, e.State));
            await tx.CommitAsync(Ct);
            return inserted;
        });
        Assert.Equal(2, written);

        await InScopeAsync(async db =>
        {
            Assert.Equal(await RowAsync(db, "Members", byEf.Id), await RowAsync(db, "Members", setWise.Id));
            var efStint = await RowAsync(db, "Memberships", byEfStint.Id);
            var ourStint = await RowAsync(db, "Memberships", setWiseStint.Id);
            // The member ids differ; every other column is the same.
            Assert.Equal(efStint.Where(v => !Equals(v, db.Database.IsNpgsql() ? byEf.Id : byEf.Id.ToString().ToUpperInvariant())),
                ourStint.Where(v => !Equals(v, db.Database.IsNpgsql() ? setWise.Id : setWise.Id.ToString().ToUpperInvariant())));
            // And EF reads it back as it was made.
            var read = await db.Members.IgnoreQueryFilters().AsNoTracking().SingleAsync(m => m.Id == setWise.Id, Ct);
            Assert.Equal((setWise.DisplayName, setWise.Phone, setWise.Layer, setWise.Stage, setWise.StageChangedAt, setWise.CreatedAt, DateTimeKind.Utc),
                (read.DisplayName, read.Phone, read.Layer, read.Stage, read.StageChangedAt, read.CreatedAt, read.CreatedAt.Kind));
            return 0;
        });
    }

    /// <summary>
    /// Every entity type the set-wise save writes, with every column filled (then with every nullable column null and
    /// every other text empty), is written exactly as EF writes it: same stored values and types, column for column.
    /// On SQLite this covers the statement bound by position (<see cref="SqliteBinder"/>): a guid in another case or a
    /// time in another format would read back fine and never match a query.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryTypeWrittenSetWise_IsStoredAsEfStoresIt(bool emptyValues)
    {
        await factory.NewWorkspaceAsync(); // skips when the provider is unavailable
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var types = db.Model.GetEntityTypes().Where(t => !t.HasSharedClrType && SetInserts.IsSetWise(db, t.ClrType)).ToList();
        Assert.True(types.Count >= 20, $"only {types.Count} types are written set-wise");
        await using var tx = await db.Database.BeginTransactionAsync(Ct);
        // The rows point at nothing: foreign keys are not checked in this transaction, which is rolled back.
        await db.Database.ExecuteSqlRawAsync(db.Database.IsNpgsql() ? "SET LOCAL session_replication_role = replica" : "PRAGMA defer_foreign_keys = ON", Ct);
        var differences = new List<string>();
        foreach (var type in types)
        {
            var values = type.GetProperties().ToDictionary(p => p.Name, p => SampleOf(p, emptyValues));
            // Every save of the context sets a membership's nickname flag from its community's recorded format (none
            // here, so null); the writers compared below take the value as given, so give them the one the save sets.
            if (type.ClrType == typeof(Membership))
                values[nameof(Membership.NicknameBreaksFormat)] = null;
            var table = type.GetTableName()!;
            var id = values[type.FindPrimaryKey()!.Properties[0].Name]!;

            await DeleteAllAsync(db, table); // (the transaction is rolled back)
            Fill(db, type, values);
            await db.SaveChangesWithoutAuditAsync(Ct);
            var byEf = await StoredAsync(db, table, id);
            await DeleteAllAsync(db, table);
            db.ChangeTracker.Clear();

            Fill(db, type, values);
            Assert.Equal(1, await SetInserts.InsertAddedAsync(db, Ct));
            var setWise = await StoredAsync(db, table, id);
            db.ChangeTracker.Clear();
            if (!byEf.SequenceEqual(setWise))
                differences.Add($"{type.ClrType.Name}: EF {string.Join(", ", byEf)} / set-wise {string.Join(", ", setWise)}");

            // And as an entity the context never tracked (how the group rules write their cases and actions).
            if (type.GetProperties().Any(p => p.IsShadowProperty()))
                continue;
            await DeleteAllAsync(db, table);
            var entity = Fill(db, type, values);
            db.ChangeTracker.Clear();
            var list = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(type.ClrType))!;
            list.Add(entity);
            var insert = typeof(SetInserts).GetMethod(nameof(SetInserts.InsertAsync))!.MakeGenericMethod(type.ClrType);
            Assert.Equal(1, await (Task<int>)insert.Invoke(null, [db, list, Ct])!);
            var untracked = await StoredAsync(db, table, id);
            if (!byEf.SequenceEqual(untracked))
                differences.Add($"{type.ClrType.Name}: EF {string.Join(", ", byEf)} / untracked {string.Join(", ", untracked)}");
        }
        await tx.RollbackAsync(Ct);
        Assert.Empty(differences);
    }

    /// <summary>The processor's counters (<see cref="SetWrites"/>, bound by position on SQLite) are stored as EF stores the same row.</summary>
    [Fact]
    public async Task CounterRowsWrittenSetWise_AreStoredAsEfStoresThem()
    {
        await factory.NewWorkspaceAsync();
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(Ct);
        await db.Database.ExecuteSqlRawAsync(db.Database.IsNpgsql() ? "SET LOCAL session_replication_role = replica" : "PRAGMA defer_foreign_keys = ON", Ct);
        var row = new MemberActivity
        {
            WorkspaceId = Guid.NewGuid(), CommunityId = Guid.NewGuid(), MemberId = Guid.NewGuid(), Messages = 3,
            FirstSpokeAt = new DateTime(2026, 12, 3, 1, 2, 3, DateTimeKind.Utc).AddTicks(1_234_567), LastSpokeAt = new DateTime(2026, 12, 3, 23, 0, 0, DateTimeKind.Utc),
        };
        await DeleteAllAsync(db, "MemberActivities");
        db.Add(row);
        await db.SaveChangesWithoutAuditAsync(Ct);
        var byEf = await StoredAsync(db, "MemberActivities", row.MemberId);
        await DeleteAllAsync(db, "MemberActivities");
        db.ChangeTracker.Clear();

        Assert.Equal(1, await SetWrites.ExecuteAsync(db,
            """INSERT INTO "MemberActivities" ("CommunityId", "MemberId", "WorkspaceId", "Messages", "FirstSpokeAt", "LastSpokeAt")""",
            [[row.CommunityId, row.MemberId, row.WorkspaceId, row.Messages, row.FirstSpokeAt, row.LastSpokeAt]], "", Ct));
        Assert.Equal(byEf, await StoredAsync(db, "MemberActivities", row.MemberId));
        // And EF finds it by its keys, as the counters' readers do.
        Assert.Equal(3, (await db.Set<MemberActivity>().IgnoreQueryFilters().AsNoTracking().SingleAsync(a => a.CommunityId == row.CommunityId && a.MemberId == row.MemberId, Ct)).Messages);
        await tx.RollbackAsync(Ct);
    }

    private static object Fill(AppDbContext db, Microsoft.EntityFrameworkCore.Metadata.IEntityType type, Dictionary<string, object?> values)
    {
        var entity = Activator.CreateInstance(type.ClrType, nonPublic: true)!;
        var entry = db.Entry(entity);
        foreach (var (name, value) in values)
            entry.Property(name).CurrentValue = value;
        entry.State = EntityState.Added;
        return entity;
    }

    /// <summary>A value of the property's type; with <paramref name="empty"/>, null where allowed and empty text.</summary>
    private static object? SampleOf(Microsoft.EntityFrameworkCore.Metadata.IProperty p, bool empty)
    {
        if (empty && p.IsNullable && !p.IsPrimaryKey())
            return null;
        var type = Nullable.GetUnderlyingType(p.ClrType) ?? p.ClrType;
        var seed = p.Name.Length;
        return type switch
        {
            _ when type == typeof(string) => empty ? "" : ("样本 " + p.Name + " ✓")[..Math.Min(p.GetMaxLength() ?? 100, ("样本 " + p.Name + " ✓").Length)],
            _ when type == typeof(Guid) => Guid.NewGuid(),
            _ when type == typeof(DateTime) => new DateTime(2026, 12, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1_234_567 + seed),
            _ when type == typeof(DateTimeOffset) => new DateTimeOffset(2026, 12, 3, 4, 5, 6, TimeSpan.Zero).AddTicks(1_234_567 + seed),
            _ when type == typeof(DateOnly) => new DateOnly(2026, 12, 3).AddDays(seed),
            _ when type == typeof(int) => 7 + seed,
            _ when type == typeof(long) => 1_234_567_890_123L + seed,
            _ when type == typeof(short) => (short)(3 + seed),
            _ when type == typeof(byte) => (byte)(2 + seed),
            _ when type == typeof(bool) => !empty,
            _ when type == typeof(double) => 0.25 + seed,
            _ when type == typeof(float) => 0.5f + seed,
            _ when type == typeof(decimal) => 12.5m + seed,
            _ when type == typeof(TimeSpan) => TimeSpan.FromMinutes(90 + seed),
            _ when type == typeof(byte[]) => empty ? Array.Empty<byte>() : new byte[] { 1, 2, (byte)seed },
            _ when type.IsEnum => Enum.GetValues(type).Cast<object>().Last(),
            _ => throw new InvalidOperationException($"no sample for {p.DeclaringType.ClrType.Name}.{p.Name} ({type.Name})"),
        };
    }

    /// <summary>The row's columns as the database stores them: each value's storage type and text.</summary>
    private static async Task<List<string>> StoredAsync(AppDbContext db, string table, object id)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        command.CommandText = $"SELECT * FROM \"{table}\"";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct), $"no {table} row {id}");
        var row = Enumerable.Range(0, reader.FieldCount)
            .Select(i => $"{reader.GetName(i)}={(reader.IsDBNull(i) ? "NULL" : reader.GetFieldType(i).Name + ":" + Text(reader.GetValue(i)))}").ToList();
        Assert.False(await reader.ReadAsync(Ct), $"more than one {table} row");
        return row;
    }

    private static async Task DeleteAllAsync(AppDbContext db, string table)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        command.CommandText = $"DELETE FROM \"{table}\"";
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static string Text(object value) => value switch
    {
        byte[] bytes => Convert.ToHexString(bytes),
        DateTime t => t.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [Fact]
    public async Task RowsWhosePrincipalEfMustWriteFirst_AreLeftToEf_AndTheSaveStillWritesEverything()
    {
        await factory.NewWorkspaceAsync(); // skips when the provider is unavailable
        var newWs = new Workspace { Name = "set-wise-" + Guid.NewGuid().ToString("N")[..8] };
        var community = new Community { WorkspaceId = newWs.Id, Name = "新群", Platform = ChatPlatform.Sandbox };
        var (member, stint) = People(newWs.Id, community.Id, "Bob");
        stint.MemberId = member.Id;
        await InScopeAsync(async db =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            db.AddRange(newWs, community, member, stint);
            // The workspace has database defaults, so EF writes it; the member, community and stint wait for it.
            Assert.Equal(0, await SetInserts.InsertAddedAsync(db, Ct));
            Assert.All(db.ChangeTracker.Entries(), e => Assert.Equal(EntityState.Added, e.State));
            Assert.Equal(4, await db.SaveChangesSetWiseAsync(Ct));
            await tx.CommitAsync(Ct);
            return 0;
        });
        await InScopeAsync(async db =>
        {
            Assert.Equal(member.Id, (await db.Memberships.IgnoreQueryFilters().SingleAsync(m => m.Id == stint.Id, Ct)).MemberId);
            return 0;
        });
    }

    [Fact]
    public async Task WhatABatchMakesMost_IsWrittenSetWise()
    {
        await factory.NewWorkspaceAsync();
        await InScopeAsync(async db =>
        {
            Type[] hot = [typeof(Member), typeof(MemberIdentity), typeof(Membership), typeof(Shequn.Features.Ritual.RitualNewcomer),
                typeof(Shequn.Features.Outbox.OutboundAction), typeof(Shequn.Features.Tasks.StaffTask), typeof(Shequn.Features.Responses.MemberQuestion),
                typeof(Shequn.Features.Events.SkippedEvent)];
            Assert.Empty(hot.Where(t => !SetInserts.IsSetWise(db, t)).Select(t => t.Name));
            // A type with database defaults is EF's to write.
            Assert.False(SetInserts.IsSetWise(db, typeof(Workspace)));
            return await Task.FromResult(0);
        });
    }

    [Fact]
    public async Task AnUpdateInTheSameSave_LeavesNewRowsOfItsTypeSetWise_UnlessItChangesAUniqueValue()
    {
        var ws = await factory.NewWorkspaceAsync();
        await InScopeAsync(async db =>
        {
            var (old, _) = People(ws.Id, Guid.Empty, "Dai");
            var identity = new MemberIdentity { WorkspaceId = ws.Id, Platform = ChatPlatform.Sandbox, UserId = "u-" + Guid.NewGuid().ToString("N")[..8], MemberId = old.Id };
            db.AddRange(old, identity);
            await db.SaveChangesWithoutAuditAsync(Ct);
            await using var tx = await db.Database.BeginTransactionAsync(Ct);

            // A renamed member (no unique column) does not hold back a new member.
            old.DisplayName = "Dai 改名";
            var (added, _) = People(ws.Id, Guid.Empty, "Eve");
            db.Members.Add(added);
            db.ChangeTracker.DetectChanges();
            Assert.Equal(1, await SetInserts.InsertAddedAsync(db, Ct));

            // A platform user id moving to another identity (a unique index) does: EF must free it first.
            var freed = identity.UserId;
            identity.UserId = freed + "-old";
            db.Set<MemberIdentity>().Add(new MemberIdentity { WorkspaceId = ws.Id, Platform = ChatPlatform.Sandbox, UserId = freed, MemberId = added.Id });
            db.ChangeTracker.DetectChanges();
            Assert.Equal(0, await SetInserts.InsertAddedAsync(db, Ct));
            Assert.Equal(3, await db.SaveChangesSetWiseAsync(Ct));
            await tx.CommitAsync(Ct);
            db.ChangeTracker.Clear();
            Assert.Equal(added.Id, (await db.Set<MemberIdentity>().IgnoreQueryFilters().SingleAsync(i => i.WorkspaceId == ws.Id && i.UserId == freed, Ct)).MemberId);
            return 0;
        });
    }

    [Fact]
    public async Task SetWiseRows_ChangedLater_AreUpdated()
    {
        var ws = await factory.NewWorkspaceAsync();
        await InScopeAsync(async db =>
        {
            var (member, _) = People(ws.Id, Guid.Empty, "Cai");
            db.Members.Add(member);
            Assert.Equal(1, await db.SaveChangesSetWiseAsync(Ct));
            member.DisplayName = "Cai 改名";
            Assert.Equal(1, await db.SaveChangesSetWiseAsync(Ct));
            db.ChangeTracker.Clear();
            Assert.Equal("Cai 改名", (await db.Members.IgnoreQueryFilters().SingleAsync(m => m.Id == member.Id, Ct)).DisplayName);
            return 0;
        });
    }
}

public sealed class SetInsertsTests_Sqlite(SqliteFactory factory) : SetInsertsTests(factory), IClassFixture<SqliteFactory>;

public sealed class SetInsertsTests_Postgres(PostgresFactory factory) : SetInsertsTests(factory), IClassFixture<PostgresFactory>;
