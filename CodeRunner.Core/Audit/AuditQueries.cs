using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Audit;

public sealed record AuditQuery(string? Search = null, string? Status = null, int Page = 1, int PageSize = 20);

/// <summary>Reads the audit log. Admins only.</summary>
public sealed class AuditQueries(CodeRunnerDbContext db)
{
    public async Task<PagedResult<AuditLog>> SearchAsync(UserRef actor, AuditQuery query, CancellationToken cancellationToken = default)
    {
        if (!actor.IsAdmin) throw new ForbiddenError();
        var rows = db.AuditLogs.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            rows = rows.Where(a => a.Action.Contains(term) || (a.UserName != null && a.UserName.Contains(term)) || (a.ResourceId != null && a.ResourceId == term));
        }
        if (!string.IsNullOrWhiteSpace(query.Status)) rows = rows.Where(a => a.Status == query.Status);
        var pageSize = PagedResult<AuditLog>.ClampPageSize(query.PageSize);
        var page = Math.Max(1, query.Page);
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderByDescending(a => a.Id).Skip(PagedResult<AuditLog>.SkipFor(page, pageSize)).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<AuditLog>(items, total, page, pageSize);
    }
}
