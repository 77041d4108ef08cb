using System.Reflection;
using System.Xml.Linq;
using CodeRunner.Core.Coordination;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace CodeRunner.Core.Data;

/// <summary>Rows of one table in the source and, after the copy, in the target.</summary>
public sealed record TableCopyCount(string Table, long SourceRows, long TargetRows)
{
    public bool Matches => SourceRows == TargetRows;
}

/// <summary>A copy that cannot start or did not come out whole; the message says why, in a sentence.</summary>
public sealed class DatabaseCopyException(string message) : Exception(message);

/// <summary>
/// Copies every table of one CodeRunner database into another, empty one: the way a team moves from its SQLite file to
/// a PostgreSQL server. The target gets its own provider's schema (its migrations), rows go through the EF model (so
/// each provider's types are written its own way), parents before children, in pages; PostgreSQL's identity sequences
/// are moved past the copied ids; then every table's rows are counted on both sides. Leases are not copied (they
/// belong to running processes). Optionally the Data Protection key ring of data/keys is imported, so cookies and
/// encrypted AI keys made by the old site keep working.
/// </summary>
public static class DatabaseCopy
{
    private const int PageSize = 500;
    private static readonly MethodInfo CopyTableMethod = typeof(DatabaseCopy).GetMethod(nameof(CopyTableAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo CountMethod = typeof(DatabaseCopy).GetMethod(nameof(CountAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static async Task<IReadOnlyList<TableCopyCount>> CopyAsync(CodeRunnerDbContext source, CodeRunnerDbContext target, string? keyRingDirectory,
        TextWriter log, CancellationToken cancellationToken = default)
    {
        var pending = (await source.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
            throw new DatabaseCopyException($"The source database is at an older schema ({pending.Count} migrations behind): start this CodeRunner version on it once (it upgrades itself), stop it, then copy.");
        await target.Database.MigrateAsync(cancellationToken);

        var tables = TablesInCopyOrder(target.Model);
        foreach (var entityType in tables)
        {
            var rows = await CountOn(target, entityType, cancellationToken);
            if (rows > 0) throw new DatabaseCopyException($"The target database is not empty: table {entityType.GetTableName()} has {rows} rows. Copy into a new, empty database.");
        }

        source.ChangeTracker.AutoDetectChangesEnabled = false;
        target.ChangeTracker.AutoDetectChangesEnabled = false;
        foreach (var entityType in tables)
        {
            var copied = await (Task<long>)CopyTableMethod.MakeGenericMethod(entityType.ClrType).Invoke(null, [source, target, entityType, cancellationToken])!;
            log.WriteLine($"copied {entityType.GetTableName()}: {copied} rows");
        }
        if (keyRingDirectory is not null) await ImportKeyRingAsync(target, keyRingDirectory, log, cancellationToken);
        if (target.Database.IsNpgsql()) await AdvanceSequencesAsync(target, tables, cancellationToken);

        var counts = new List<TableCopyCount>();
        foreach (var entityType in tables)
        {
            var sourceRows = await CountOn(source, entityType, cancellationToken);
            var targetRows = await CountOn(target, entityType, cancellationToken);
            // The imported key ring adds rows the source's (unused) key table never had.
            if (entityType.ClrType == typeof(DataProtectionKey) && keyRingDirectory is not null) sourceRows = targetRows;
            counts.Add(new TableCopyCount(entityType.GetTableName()!, sourceRows, targetRows));
        }
        if (counts.FirstOrDefault(c => !c.Matches) is { } wrong)
            throw new DatabaseCopyException($"Row counts differ after the copy: {wrong.Table} has {wrong.SourceRows} rows in the source and {wrong.TargetRows} in the target.");
        return counts;
    }

    /// <summary>Every table but the leases, each after the tables it points to (self-references aside).</summary>
    internal static IReadOnlyList<IEntityType> TablesInCopyOrder(IModel model)
    {
        var remaining = model.GetEntityTypes().Where(e => e.ClrType != typeof(Lease) && e.GetTableName() is not null && !e.IsOwned()).ToList();
        if (remaining.SelectMany(e => e.GetProperties()).FirstOrDefault(p => p.IsShadowProperty()) is { } shadow)
            throw new DatabaseCopyException($"{shadow.DeclaringType.DisplayName()}.{shadow.Name} is a shadow property; the copy reads rows as entities and would lose it.");
        var ordered = new List<IEntityType>();
        while (remaining.Count > 0)
        {
            var ready = remaining.Where(e => e.GetForeignKeys().All(fk => fk.PrincipalEntityType == e || ordered.Contains(fk.PrincipalEntityType)
                || !remaining.Contains(fk.PrincipalEntityType))).OrderBy(e => e.GetTableName(), StringComparer.Ordinal).ToList();
            if (ready.Count == 0) throw new DatabaseCopyException("The tables' foreign keys form a cycle; there is no order to copy them in.");
            ordered.AddRange(ready);
            remaining.RemoveAll(ready.Contains);
        }
        return ordered;
    }

    private static async Task<long> CopyTableAsync<T>(CodeRunnerDbContext source, CodeRunnerDbContext target, IEntityType entityType, CancellationToken cancellationToken)
        where T : class
    {
        // Key order: pages are stable, and a reply (a later, larger id) comes after the comment it answers.
        var keys = entityType.FindPrimaryKey()!.Properties.Select(p => p.Name).ToList();
        IQueryable<T> query = source.Set<T>().AsNoTracking();
        var ordered = query.OrderBy(e => EF.Property<object>(e, keys[0]));
        foreach (var key in keys.Skip(1)) ordered = ordered.ThenBy(e => EF.Property<object>(e, key));
        long copied = 0;
        while (true)
        {
            var page = await ordered.Skip((int)copied).Take(PageSize).ToListAsync(cancellationToken);
            if (page.Count == 0) return copied;
            target.Set<T>().AddRange(page);
            await target.SaveChangesAsync(cancellationToken);
            target.ChangeTracker.Clear();
            copied += page.Count;
        }
    }

    private static Task<long> CountOn(CodeRunnerDbContext db, IEntityType entityType, CancellationToken cancellationToken) =>
        (Task<long>)CountMethod.MakeGenericMethod(entityType.ClrType).Invoke(null, [db, cancellationToken])!;

    private static Task<long> CountAsync<T>(CodeRunnerDbContext db, CancellationToken cancellationToken) where T : class =>
        db.Set<T>().LongCountAsync(cancellationToken);

    /// <summary>Identity columns would hand out ids the copy already used; each sequence moves to its table's largest id.</summary>
    private static async Task AdvanceSequencesAsync(CodeRunnerDbContext target, IReadOnlyList<IEntityType> tables, CancellationToken cancellationToken)
    {
        foreach (var entityType in tables)
        {
            if (entityType.FindPrimaryKey()?.Properties is not [var key] || key.ValueGenerated != ValueGenerated.OnAdd
                || (key.ClrType != typeof(int) && key.ClrType != typeof(long))) continue;
            var table = entityType.GetTableName()!;
            var column = key.GetColumnName();
#pragma warning disable EF1002 // names come from the EF model, not from input
            await target.Database.ExecuteSqlRawAsync(
                $"""SELECT setval(pg_get_serial_sequence('"{table}"', '{column}'), COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table}" """,
                cancellationToken);
#pragma warning restore EF1002
        }
    }

    /// <summary>The file key ring (data/keys/key-*.xml) as rows of the database key ring, as the EF key repository stores them.</summary>
    private static async Task ImportKeyRingAsync(CodeRunnerDbContext target, string directory, TextWriter log, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory)) throw new DatabaseCopyException($"The key ring directory {directory} does not exist.");
        var files = Directory.GetFiles(directory, "*.xml").Order(StringComparer.Ordinal).ToList();
        foreach (var file in files)
        {
            var element = XElement.Load(file);
            if (element.Name.LocalName != "key") throw new DatabaseCopyException($"{file} is not a Data Protection key file.");
            target.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = Path.GetFileNameWithoutExtension(file), Xml = element.ToString(SaveOptions.DisableFormatting) });
        }
        await target.SaveChangesAsync(cancellationToken);
        target.ChangeTracker.Clear();
        log.WriteLine($"imported the key ring: {files.Count} keys from {directory}");
    }
}
