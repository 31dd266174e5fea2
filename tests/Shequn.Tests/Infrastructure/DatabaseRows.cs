using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Shequn.Data;

namespace Shequn.Tests.Infrastructure;

/// <summary>Reads tables as raw rows, past the model, to see exactly what is stored.</summary>
public static class DatabaseRows
{
    /// <summary>Every non-null cell of every row in the table, as text.</summary>
    public static async Task<List<string>> CellsOfAsync(this ShequnFactory factory, string table)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\"";
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var cells = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (!reader.IsDBNull(i))
                    cells.Add(Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
        }
        return cells;
    }
}
