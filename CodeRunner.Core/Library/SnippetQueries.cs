using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Library;

/// <summary>Read side of the library: my snippets, others' public ones, and both together for the REST API.</summary>
public sealed class SnippetQueries(ReadContexts reads)
{
    /// <summary>The actor's own snippets, newest change first.</summary>
    public Task<PagedResult<SnippetView>> MineAsync(UserRef actor, SnippetQuery query, CancellationToken cancellationToken = default) =>
        PageAsync(s => s.UserId == actor.Id, query, cancellationToken);

    /// <summary>Other users' public snippets, read-only.</summary>
    public Task<PagedResult<SnippetView>> PublicOfOthersAsync(UserRef actor, SnippetQuery query, CancellationToken cancellationToken = default) =>
        PageAsync(s => s.IsPublic && s.UserId != actor.Id, query, cancellationToken);

    /// <summary>Everything the actor may read: own snippets plus everyone's public ones.</summary>
    public Task<PagedResult<SnippetView>> AccessibleAsync(UserRef actor, SnippetQuery query, CancellationToken cancellationToken = default) =>
        PageAsync(s => s.UserId == actor.Id || s.IsPublic, query, cancellationToken);

    /// <summary>The distinct tags of the actor's snippets, for the tag filter.</summary>
    public async Task<IReadOnlyList<string>> MyTagsAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var rows = await db.Snippets.AsNoTracking().Where(s => s.UserId == actor.Id && s.Tags != "").Select(s => s.Tags).ToListAsync(cancellationToken);
        return rows.SelectMany(SnippetRules.SplitTags).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private async Task<PagedResult<SnippetView>> PageAsync(Expression<Func<Snippet, bool>> visible, SnippetQuery query, CancellationToken cancellationToken)
    {
        await using var db = reads.Open();
        var source = db.Snippets.AsNoTracking().Where(visible);
        var pageSize = PagedResult<SnippetView>.ClampPageSize(query.PageSize);
        var page = Math.Max(1, query.Page);
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim().ToLower();
            source = source.Where(s => s.Title.ToLower().Contains(term) || (s.Description != null && s.Description.ToLower().Contains(term))
                                       || s.Tags.Contains(term) || s.Code.ToLower().Contains(term));
        }
        if (!string.IsNullOrWhiteSpace(query.Tag))
        {
            var tag = "," + query.Tag.Trim().ToLowerInvariant() + ",";
            source = source.Where(s => ("," + s.Tags + ",").Contains(tag));
        }
        var total = await source.CountAsync(cancellationToken);
        var rows = await source.OrderByDescending(s => s.UpdatedAt).ThenByDescending(s => s.Id)
            .Skip(PagedResult<SnippetView>.SkipFor(page, pageSize)).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<SnippetView>(await ViewsAsync(db, rows, cancellationToken), total, page, pageSize);
    }

    internal static async Task<IReadOnlyList<SnippetView>> ViewsAsync(CodeRunnerDbContext db, IReadOnlyList<Snippet> rows, CancellationToken cancellationToken)
    {
        var ownerIds = rows.Select(r => r.UserId).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => ownerIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName ?? "", cancellationToken);
        return rows.Select(s => new SnippetView(s.Id, s.UserId, names.GetValueOrDefault(s.UserId, ""), s.Title, s.Description, s.Code, s.Language,
            s.IsPublic, SnippetRules.SplitTags(s.Tags), s.EnvironmentName, s.CreatedAt, s.UpdatedAt)).ToList();
    }
}
