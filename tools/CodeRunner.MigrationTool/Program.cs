using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Sqlite.Design.Internal;
using Microsoft.Extensions.DependencyInjection;

// Scaffolds an EF Core migration for CodeRunnerDbContext into CodeRunner.Core/Data/Migrations.
if (args.Length != 2 || args[0] != "add")
{
    Console.Error.WriteLine("usage: dotnet run --project tools/CodeRunner.MigrationTool -- add <MigrationName>");
    return 2;
}

var root = FindRepositoryRoot();
var options = new DbContextOptionsBuilder<CodeRunnerDbContext>().UseSqlite("Data Source=:memory:").Options;
using var context = new CodeRunnerDbContext(options);

var services = new ServiceCollection();
services.AddEntityFrameworkDesignTimeServices();
services.AddDbContextDesignTimeServices(context);
#pragma warning disable EF1001 // the Sqlite provider's design-time services are public but marked internal
new SqliteDesignTimeServices().ConfigureDesignTimeServices(services);
#pragma warning restore EF1001
using var provider = services.BuildServiceProvider();

var scaffolder = provider.GetRequiredService<IMigrationsScaffolder>();
var migration = scaffolder.ScaffoldMigration(args[1], "CodeRunner.Core", "Data.Migrations", "C#");
var files = scaffolder.Save(Path.Combine(root, "CodeRunner.Core"), migration, Path.Combine(root, "CodeRunner.Core", "Data", "Migrations"));
Console.WriteLine($"wrote {files.MigrationFile}\nwrote {files.MetadataFile}\nwrote {files.SnapshotFile}");
return 0;

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CodeRunner.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("CodeRunner.sln not found above " + AppContext.BaseDirectory);
}
