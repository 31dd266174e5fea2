using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Shequn.Data;

/// <summary>
/// Binds values to a prepared SQLite statement by position, in the forms EF Core's SQLite provider writes them (so that
/// LINQ queries, which compare with parameters in those forms, match): guids as upper-case text, times as
/// <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>, days as <c>yyyy-MM-dd</c>, booleans and whole numbers as integers. Strings are encoded into one reused
/// buffer. For hot inserts, where <see cref="SqliteCommand"/> looks every parameter up by name on every execution.
/// </summary>
internal sealed class SqliteBinder
{
    /// <summary>What a column's provider value is bound as.</summary>
    public enum Kind
    {
        Text,
        Guid,
        Integer,
        Boolean,
        Real,
        DateTime,
        DateOnly,
        Blob,
    }

    private const int Done = 101;
    private byte[] _text = new byte[4096];

    /// <summary>How a provider value of <paramref name="type"/> stored as <paramref name="storeType"/> is bound, or null if this binder does not know it.</summary>
    public static Kind? KindOf(Type type, string storeType)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return (type, storeType.ToUpperInvariant()) switch
        {
            var (t, s) when t == typeof(string) && s == "TEXT" => Kind.Text,
            var (t, s) when t == typeof(Guid) && s == "TEXT" => Kind.Guid,
            var (t, s) when (t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(byte)) && s == "INTEGER" => Kind.Integer,
            var (t, s) when t == typeof(bool) && s == "INTEGER" => Kind.Boolean,
            var (t, s) when t == typeof(double) && s == "REAL" => Kind.Real,
            var (t, s) when t == typeof(DateTime) && s == "TEXT" => Kind.DateTime,
            var (t, s) when t == typeof(DateOnly) && s == "TEXT" => Kind.DateOnly,
            var (t, s) when t == typeof(byte[]) && s == "BLOB" => Kind.Blob,
            _ => null,
        };
    }

    /// <summary>Binds a provider value (converted already; null for NULL) at a 1-based position.</summary>
    public void Bind(sqlite3_stmt s, int index, Kind kind, object? value)
    {
        if (value is null or DBNull)
        {
            raw.sqlite3_bind_null(s, index);
            return;
        }
        switch (kind)
        {
            case Kind.Text:
                BindText(s, index, (string)value);
                break;
            case Kind.Guid:
                BindGuid(s, index, (Guid)value);
                break;
            case Kind.Integer:
                raw.sqlite3_bind_int64(s, index, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case Kind.Boolean:
                raw.sqlite3_bind_int64(s, index, (bool)value ? 1 : 0);
                break;
            case Kind.Real:
                var d = (double)value;
                if (double.IsNaN(d))
                    throw new InvalidOperationException("NaN cannot be stored in SQLite.");
                raw.sqlite3_bind_double(s, index, d);
                break;
            case Kind.DateTime:
                Span<byte> time = stackalloc byte[32];
                ((DateTime)value).TryFormat(time, out var written, @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF", CultureInfo.InvariantCulture);
                raw.sqlite3_bind_text(s, index, time[..written]);
                break;
            case Kind.DateOnly:
                Span<byte> day = stackalloc byte[16];
                ((DateOnly)value).TryFormat(day, out var length, @"yyyy\-MM\-dd", CultureInfo.InvariantCulture);
                raw.sqlite3_bind_text(s, index, day[..length]);
                break;
            case Kind.Blob:
                var bytes = (byte[])value;
                if (bytes.Length == 0)
                    raw.sqlite3_bind_zeroblob(s, index, 0);
                else
                    raw.sqlite3_bind_blob(s, index, bytes);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    public static void BindGuid(sqlite3_stmt s, int index, Guid? value)
    {
        if (value is not { } guid)
        {
            raw.sqlite3_bind_null(s, index);
            return;
        }
        Span<byte> utf8 = stackalloc byte[36];
        guid.TryFormat(utf8, out _, "D");
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] is >= (byte)'a' and <= (byte)'f')
                utf8[i] -= 'a' - 'A';
        }
        raw.sqlite3_bind_text(s, index, utf8);
    }

    public void BindText(sqlite3_stmt s, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(s, index);
            return;
        }
        if (value.Length == 0)
        {
            // An empty span has no address, which SQLite would bind as NULL.
            raw.sqlite3_bind_text(s, index, string.Empty);
            return;
        }
        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (most > _text.Length)
            _text = new byte[Math.Max(most, _text.Length * 2)];
        var length = Encoding.UTF8.GetBytes(value, _text);
        raw.sqlite3_bind_text(s, index, _text.AsSpan(0, length));
    }

    /// <summary>
    /// Prepares <paramref name="sql"/> (parameters in order of appearance, one a column) and runs it once a row, binding
    /// column <c>c</c> of each row from <paramref name="valueOf"/> (a provider value) as <paramref name="kinds"/> says; in the
    /// connection's transaction, if it has one. Returns the rows the statements changed.
    /// </summary>
    public static int ExecuteEach<TRow>(sqlite3 db, string sql, IReadOnlyList<TRow> rows, Kind[] kinds, Func<TRow, int, object?> valueOf)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        using (statement)
        {
            var binder = new SqliteBinder();
            var changed = 0;
            foreach (var row in rows)
            {
                for (var c = 0; c < kinds.Length; c++)
                    binder.Bind(statement, c + 1, kinds[c], valueOf(row, c));
                Execute(db, statement);
                changed += raw.sqlite3_changes(db);
            }
            return changed;
        }
    }

    /// <summary>Runs a bound statement that returns no rows and resets it; a failure is thrown as <see cref="SqliteException"/>.</summary>
    public static void Execute(sqlite3 db, sqlite3_stmt s)
    {
        try
        {
            var rc = raw.sqlite3_step(s);
            if (rc != Done)
                SqliteException.ThrowExceptionForRC(rc, db);
        }
        finally
        {
            raw.sqlite3_reset(s);
        }
    }
}
