using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

// dotnet run --project tools/CodeRunner.DbCopy -- --from data/coderunner.db --to "Host=...;Database=coderunner;Username=...;Password=..." [--keys data/keys]
// Stop the app first: the copy reads the SQLite file as it is at that moment.
string? from = null, to = null, keys = null;
for (var i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--from": from = args[i + 1]; break;
        case "--to": to = args[i + 1]; break;
        case "--keys": keys = args[i + 1]; break;
        default: return Usage($"unknown option {args[i]}");
    }
}
if (from is null || to is null || args.Length % 2 != 0) return Usage("--from and --to are required");
if (!File.Exists(from)) return Usage($"{from} does not exist");

var source = new DbContextOptionsBuilder<CodeRunnerDbContext>()
    .UseCodeRunnerDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.GetFullPath(from)};Mode=ReadOnly;Pooling=False").Options;
var target = new DbContextOptionsBuilder<CodeRunnerDbContext>().UseCodeRunnerDatabase(DatabaseProvider.Postgres, to).Options;
await using var sourceDb = new CodeRunnerDbContext(source);
await using var targetDb = new CodeRunnerDbContext(target);
try
{
    var counts = await DatabaseCopy.CopyAsync(sourceDb, targetDb, keys, Console.Out);
    Console.WriteLine();
    Console.WriteLine($"{"table",-28} {"SQLite",10} {"PostgreSQL",10}");
    foreach (var count in counts) Console.WriteLine($"{count.Table,-28} {count.SourceRows,10} {count.TargetRows,10}");
    Console.WriteLine($"all {counts.Count} tables match ({counts.Sum(c => c.TargetRows)} rows). Now set Database:Provider=postgres and ConnectionStrings:Default.");
    return 0;
}
catch (DatabaseCopyException exception)
{
    Console.Error.WriteLine("copy failed: " + exception.Message);
    return 1;
}

static int Usage(string problem)
{
    Console.Error.WriteLine(problem);
    Console.Error.WriteLine("usage: dotnet run --project tools/CodeRunner.DbCopy -- --from <coderunner.db> --to <PostgreSQL connection string> [--keys <data/keys>]");
    return 2;
}
