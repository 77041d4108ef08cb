using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;
using Npgsql.EntityFrameworkCore.PostgreSQL.Design.Internal;

// Scaffolds an EF Core migration for CodeRunnerDbContext: SQLite's into CodeRunner.Core/Data/Migrations,
// PostgreSQL's (--provider postgres) into CodeRunner.Core.Postgres/Migrations. A model change needs both.
var provider = DatabaseProvider.Sqlite;
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--provider" && i + 1 < args.Length) provider = DatabaseConfiguration.Parse(args[++i]);
    else rest.Add(args[i]);
}
if (rest.Count != 2 || rest[0] != "add")
{
    Console.Error.WriteLine("usage: dotnet run --project tools/CodeRunner.MigrationTool -- add <MigrationName> [--provider sqlite|postgres]");
    return 2;
}

var root = FindRepositoryRoot();
// Scaffolding compares the model with the snapshot; it never connects, so any well-formed connection string does.
var options = new DbContextOptionsBuilder<CodeRunnerDbContext>()
    .UseCodeRunnerDatabase(provider, provider == DatabaseProvider.Postgres ? "Host=localhost;Database=scaffold" : "Data Source=:memory:").Options;
using var context = new CodeRunnerDbContext(options);

var services = new ServiceCollection();
services.AddEntityFrameworkDesignTimeServices();
services.AddDbContextDesignTimeServices(context);
#pragma warning disable EF1001 // the providers' design-time services are public but marked internal
if (provider == DatabaseProvider.Postgres) new NpgsqlDesignTimeServices().ConfigureDesignTimeServices(services);
else new SqliteDesignTimeServices().ConfigureDesignTimeServices(services);
#pragma warning restore EF1001
using var serviceProvider = services.BuildServiceProvider();

var (project, subNamespace, folder) = provider == DatabaseProvider.Postgres
    ? (DatabaseConfiguration.PostgresMigrationsAssembly, "Migrations", Path.Combine(root, DatabaseConfiguration.PostgresMigrationsAssembly, "Migrations"))
    : ("CodeRunner.Core", "Data.Migrations", Path.Combine(root, "CodeRunner.Core", "Data", "Migrations"));
var scaffolder = serviceProvider.GetRequiredService<IMigrationsScaffolder>();
var migration = scaffolder.ScaffoldMigration(rest[1], project, subNamespace, "C#");
var files = scaffolder.Save(Path.Combine(root, project), migration, folder);
Console.WriteLine($"wrote {files.MigrationFile}\nwrote {files.MetadataFile}\nwrote {files.SnapshotFile}");
return 0;

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CodeRunner.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("CodeRunner.sln not found above " + AppContext.BaseDirectory);
}
