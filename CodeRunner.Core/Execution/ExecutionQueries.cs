using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Sandbox.Execution;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Execution;

/// <summary>Filter of the history list. Admins may set <see cref="AllUsers"/> to see everyone's runs.</summary>
public sealed record ExecutionFilter
{
    public string? Status { get; init; }
    public string? EnvironmentName { get; init; }
    public bool AllUsers { get; init; }
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = 20;
}

public sealed record ExecutionSummary(long Id, string UserId, string? UserName, string Status, int? ExitCode, long DurationMs,
    double PeakMemoryMb, string EnvironmentName, bool IsApiCall, DateTime CreatedAt, string CodePreview);

public sealed record ArtifactInfo(string Name, long SizeBytes, string ContentType)
{
    public bool IsImage => ContentType is "image/png" or "image/jpeg" or "image/gif" or "image/webp" or "image/bmp";
}

public sealed record ExecutionDetail(long Id, string UserId, string? UserName, string Code, string Output, bool OutputTruncated, string Status,
    int? ExitCode, long DurationMs, long CpuMs, double PeakMemoryMb, string EnvironmentName, bool IsApiCall, int? SnippetId,
    DateTime CreatedAt, DateTime? FinishedAt, IReadOnlyList<ArtifactInfo> Artifacts);

/// <summary>A kept artifact file, ready to be served.</summary>
public sealed record ArtifactFile(string FullPath, string Name, string ContentType, bool IsImage);

/// <summary>Reading runs: history list, one run, its artifacts. Owner or admin only.</summary>
public sealed class ExecutionQueries(ReadContexts reads)
{
    public async Task<PagedResult<ExecutionSummary>> ListAsync(UserRef actor, ExecutionFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var allUsers = filter.AllUsers && actor.IsAdmin;
        var query = db.CodeExecutions.AsNoTracking();
        if (!allUsers) query = query.Where(e => e.UserId == actor.Id);
        if (!string.IsNullOrEmpty(filter.Status)) query = query.Where(e => e.Status == filter.Status);
        if (!string.IsNullOrEmpty(filter.EnvironmentName)) query = query.Where(e => e.EnvironmentName == filter.EnvironmentName);

        return await PageAsync(db, query, filter.Page, filter.PageSize, cancellationToken);
    }

    /// <summary>One page of runs, newest first, as summaries: the history list and the admin run list.</summary>
    internal static async Task<PagedResult<ExecutionSummary>> PageAsync(CodeRunnerDbContext db, IQueryable<CodeExecution> query,
        int requestedPage, int requestedPageSize, CancellationToken cancellationToken)
    {
        var pageSize = PagedResult<ExecutionSummary>.ClampPageSize(requestedPageSize);
        var page = Math.Max(1, requestedPage);
        var total = await query.CountAsync(cancellationToken);
        var rows = await query
            .OrderByDescending(e => e.Id)
            .Skip(PagedResult<ExecutionSummary>.SkipFor(page, pageSize)).Take(pageSize)
            .Select(e => new
            {
                e.Id, e.UserId, UserName = db.Users.Where(u => u.Id == e.UserId).Select(u => u.UserName).FirstOrDefault(),
                e.Status, e.ExitCode, e.DurationMs, e.PeakMemoryMb, e.EnvironmentName, e.IsApiCall, e.CreatedAt,
                Code = e.Code.Substring(0, 200),
            })
            .ToListAsync(cancellationToken);
        var items = rows.Select(r => new ExecutionSummary(r.Id, r.UserId, r.UserName, r.Status, r.ExitCode, r.DurationMs, r.PeakMemoryMb,
            r.EnvironmentName, r.IsApiCall, r.CreatedAt, FirstLine(r.Code))).ToList();
        return new PagedResult<ExecutionSummary>(items, total, page, pageSize);
    }

    /// <summary>Environment names that appear in the actor's history (for the filter).</summary>
    public async Task<IReadOnlyList<string>> EnvironmentNamesAsync(UserRef actor, bool allUsers, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var query = db.CodeExecutions.AsNoTracking();
        if (!(allUsers && actor.IsAdmin)) query = query.Where(e => e.UserId == actor.Id);
        return await query.Select(e => e.EnvironmentName).Distinct().OrderBy(n => n).ToListAsync(cancellationToken);
    }

    public async Task<ExecutionDetail> GetAsync(UserRef actor, long id, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var row = await FindAsync(db, actor, id, cancellationToken);
        var userName = await db.Users.Where(u => u.Id == row.UserId).Select(u => u.UserName).FirstOrDefaultAsync(cancellationToken);
        return new ExecutionDetail(row.Id, row.UserId, userName, row.Code, row.Output, row.OutputTruncated, row.Status, row.ExitCode,
            row.DurationMs, row.CpuMs, row.PeakMemoryMb, row.EnvironmentName, row.IsApiCall, row.SnippetId, row.CreatedAt, row.FinishedAt,
            ListArtifacts(row.ArtifactDirectory));
    }

    /// <summary>One artifact file of a run the actor may see; NotFound for unsafe names and missing files.</summary>
    public async Task<ArtifactFile> GetArtifactAsync(UserRef actor, long id, string name, CancellationToken cancellationToken = default)
    {
        CodeExecution row;
        await using (var db = reads.Open()) row = await FindAsync(db, actor, id, cancellationToken);
        if (row.ArtifactDirectory is null || !IsSafeRelativeName(name)) throw new NotFoundError("artifact", name);
        var root = Path.GetFullPath(row.ArtifactDirectory);
        var path = Path.GetFullPath(Path.Combine(root, name));
        if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new NotFoundError("artifact", name);
        var file = new FileInfo(path);
        if (!file.Exists || file.LinkTarget is not null) throw new NotFoundError("artifact", name);
        var contentType = ArtifactCollector.ContentTypeOf(name);
        return new ArtifactFile(path, Path.GetFileName(name), contentType, new ArtifactInfo(name, file.Length, contentType).IsImage);
    }

    private static async Task<CodeExecution> FindAsync(CodeRunnerDbContext db, UserRef actor, long id, CancellationToken cancellationToken)
    {
        var row = await db.CodeExecutions.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        // Someone else's run looks the same as a missing one: ids are sequential and must not reveal activity.
        if (row is null || (row.UserId != actor.Id && !actor.IsAdmin)) throw new NotFoundError("execution", id);
        return row;
    }

    /// <summary>Files of an artifact dir (names relative to it, '/' separated), in name order.</summary>
    public static IReadOnlyList<ArtifactInfo> ListArtifacts(string? artifactDirectory)
    {
        if (artifactDirectory is null || !Directory.Exists(artifactDirectory)) return [];
        var root = Path.GetFullPath(artifactDirectory);
        return new DirectoryInfo(root).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => f.LinkTarget is null)
            .Select(f => new ArtifactInfo(Path.GetRelativePath(root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length, ArtifactCollector.ContentTypeOf(f.Name)))
            .OrderBy(a => a.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static bool IsSafeRelativeName(string name) =>
        name.Length is > 0 and <= 255
        && !name.StartsWith('/') && !name.Contains('\\') && !name.Contains('\0')
        && name.Split('/').All(part => part.Length > 0 && part != "." && part != ".." && !part.StartsWith('.'));

    internal static string FirstLine(string code)
    {
        var line = code.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return line.Length > 80 ? line[..80] + "…" : line;
    }
}
