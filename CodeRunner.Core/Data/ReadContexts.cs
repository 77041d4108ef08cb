using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Data;

/// <summary>
/// The one way reads reach the database: every read operation opens a context of its own (<c>await using var db =
/// reads.Open();</c>), which tracks nothing and is gone when the read is. Why not the scoped context: a Blazor circuit is
/// one DI scope that lives as long as the tab, so the components of a page (layout, page, grids, statistics) that load
/// at the same time would share it, and a DbContext takes one operation at a time ("A second operation was started on
/// this context instance", seen on PostgreSQL, whose I/O really overlaps); a context that lives that long would also
/// keep serving stale tracked rows. Mutations keep the scoped context: their checks and writes are one unit of work.
/// </summary>
public sealed class ReadContexts(IDbContextFactory<CodeRunnerDbContext> factory)
{
    public CodeRunnerDbContext Open()
    {
        var db = factory.CreateDbContext();
        db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        return db;
    }
}
