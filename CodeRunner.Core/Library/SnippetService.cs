using CodeRunner.Core.Execution;
using Microsoft.Extensions.Options;
using System.Text;
using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Tiers;
using Microsoft.EntityFrameworkCore;

namespace CodeRunner.Core.Library;

/// <summary>A user's code library: create, edit, delete, copy public snippets, save from the run page.</summary>
public sealed class SnippetService(CodeRunnerDbContext db, ReadContexts reads, QuotaService quotas, TierLimitGate limitGate, AuditService audit, IOptions<ExecutionOptions> execution, TimeProvider clock)
{
    public async Task<Snippet> CreateAsync(UserRef actor, SnippetEdit edit, CancellationToken cancellationToken = default)
    {
        var normalized = Validate(edit);
        await using var gate = await limitGate.EnterAsync("snippets", actor.Id, cancellationToken);
        await EnsureBelowLimitAsync(actor, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var snippet = new Snippet { UserId = actor.Id, Title = "", Code = "", CreatedAt = now };
        Apply(normalized, snippet, now);
        db.Snippets.Add(snippet);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "snippet.create", "snippet", snippet.Id, new { snippet.Title, snippet.IsPublic }, cancellationToken: cancellationToken);
        return snippet;
    }

    public async Task<Snippet> UpdateAsync(UserRef actor, int id, SnippetEdit edit, CancellationToken cancellationToken = default)
    {
        var normalized = Validate(edit);
        var snippet = await FindOwnedAsync(actor, id, cancellationToken);
        Apply(normalized, snippet, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "snippet.update", "snippet", id, new { snippet.Title, snippet.IsPublic }, cancellationToken: cancellationToken);
        return snippet;
    }

    public async Task DeleteAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var snippet = await FindOwnedAsync(actor, id, cancellationToken);
        db.Snippets.Remove(snippet);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "snippet.delete", "snippet", id, new { snippet.Title }, cancellationToken: cancellationToken);
    }

    /// <summary>A snippet the actor may read: their own, a public one, or any for an admin. Others' private ones are "not found".</summary>
    public async Task<SnippetView> GetAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var snippet = await db.Snippets.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (snippet is null || (!snippet.IsPublic && snippet.UserId != actor.Id && !actor.IsAdmin)) throw new NotFoundError("snippet", id);
        return (await SnippetQueries.ViewsAsync(db, [snippet], cancellationToken))[0];
    }

    /// <summary>Copies someone's public snippet (or one's own) into the actor's library as a private snippet.</summary>
    public async Task<Snippet> CopyAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var source = await GetAsync(actor, id, cancellationToken);
        await using var gate = await limitGate.EnterAsync("snippets", actor.Id, cancellationToken);
        await EnsureBelowLimitAsync(actor, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var copy = new Snippet
        {
            UserId = actor.Id,
            Title = source.Title,
            Description = source.Description,
            Code = source.Code,
            Language = source.Language,
            IsPublic = false,
            Tags = string.Join(',', source.Tags),
            EnvironmentName = source.EnvironmentName,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Snippets.Add(copy);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "snippet.copy", "snippet", copy.Id, new { from = id, copy.Title }, cancellationToken: cancellationToken);
        return copy;
    }

    /// <summary>"Save to library" on the run page: a new private snippet, or overwrite the code (and environment) of one the actor owns.</summary>
    public async Task<Snippet> SaveFromRunAsync(UserRef actor, string title, string code, string? environmentName,
        int? overwriteSnippetId = null, CancellationToken cancellationToken = default)
    {
        if (overwriteSnippetId is not { } id)
            return await CreateAsync(actor, new SnippetEdit { Title = title, Code = code, EnvironmentName = environmentName }, cancellationToken);

        var existing = await FindOwnedAsync(actor, id, cancellationToken);
        return await UpdateAsync(actor, id, new SnippetEdit
        {
            Title = string.IsNullOrWhiteSpace(title) ? existing.Title : title,
            Description = existing.Description,
            Code = code,
            IsPublic = existing.IsPublic,
            Tags = existing.Tags,
            EnvironmentName = environmentName,
        }, cancellationToken);
    }

    /// <summary>How many snippets the actor has and may have (null = unlimited).</summary>
    public async Task<(int Count, int? Limit)> GetUsageAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var reading = reads.Open();
        return await UsageOnAsync(reading, actor, cancellationToken);
    }

    private async Task<(int Count, int? Limit)> UsageOnAsync(CodeRunnerDbContext context, UserRef actor, CancellationToken cancellationToken)
    {
        var count = await context.Snippets.CountAsync(s => s.UserId == actor.Id, cancellationToken);
        return (count, actor.IsAdmin ? null : quotas.LimitsFor(actor).MaxSnippets);
    }

    private async Task EnsureBelowLimitAsync(UserRef actor, CancellationToken cancellationToken)
    {
        var (count, limit) = await UsageOnAsync(db, actor, cancellationToken);
        if (limit is { } max && count >= max)
            throw new QuotaExceededError("library.limit_reached", $"The library holds at most {max} snippets on this tier.", max, count, DateTime.MaxValue);
    }

    private async Task<Snippet> FindOwnedAsync(UserRef actor, int id, CancellationToken cancellationToken)
    {
        var snippet = await db.Snippets.FindAsync([id], cancellationToken) ?? throw new NotFoundError("snippet", id);
        if (snippet.UserId == actor.Id || actor.IsAdmin) return snippet;
        // Someone else's private snippet does not exist as far as the actor can tell.
        if (!snippet.IsPublic) throw new NotFoundError("snippet", id);
        throw new ForbiddenError("Only the owner can change this snippet.");
    }

    private SnippetEdit Validate(SnippetEdit edit)
    {
        var title = (edit.Title ?? "").Trim();
        if (title.Length == 0) throw new ValidationError("library.title_required", "title", "A title is required.");
        if (title.Length > SnippetRules.MaxTitleLength)
            throw new ValidationError("library.title_too_long", "title", $"The title is longer than {SnippetRules.MaxTitleLength} characters.", SnippetRules.MaxTitleLength);
        var description = string.IsNullOrWhiteSpace(edit.Description) ? null : edit.Description.Trim();
        if (description?.Length > SnippetRules.MaxDescriptionLength)
            throw new ValidationError("library.description_too_long", "description", $"The description is longer than {SnippetRules.MaxDescriptionLength} characters.", SnippetRules.MaxDescriptionLength);
        var code = edit.Code ?? "";
        var maxCode = execution.Value.MaxCodeBytes;
        if (Encoding.UTF8.GetByteCount(code) > maxCode)
            throw new ValidationError("library.code_too_large", "code", $"The code is larger than {maxCode / 1024} KB.", maxCode / 1024);
        var tags = SnippetRules.SplitTags(edit.Tags);
        if (tags.Any(t => t.Length > SnippetRules.MaxTagLength))
            throw new ValidationError("library.tag_too_long", "tags", $"A tag is longer than {SnippetRules.MaxTagLength} characters.", SnippetRules.MaxTagLength);
        var joined = string.Join(',', tags);
        if (joined.Length > SnippetRules.MaxTagsLength)
            throw new ValidationError("library.tags_too_long", "tags", $"The tags are longer than {SnippetRules.MaxTagsLength} characters.", SnippetRules.MaxTagsLength);
        var environment = string.IsNullOrWhiteSpace(edit.EnvironmentName) ? null : edit.EnvironmentName.Trim();
        if (environment?.Length > SnippetRules.MaxEnvironmentNameLength)
            throw new ValidationError("library.environment_too_long", "environment", $"The environment name is longer than {SnippetRules.MaxEnvironmentNameLength} characters.", SnippetRules.MaxEnvironmentNameLength);
        return edit with { Title = title, Description = description, Code = code, Tags = joined, EnvironmentName = environment };
    }

    private static void Apply(SnippetEdit edit, Snippet snippet, DateTime now)
    {
        snippet.Title = edit.Title;
        snippet.Description = edit.Description;
        snippet.Code = edit.Code;
        snippet.IsPublic = edit.IsPublic;
        snippet.Tags = edit.Tags ?? "";
        snippet.EnvironmentName = edit.EnvironmentName;
        snippet.UpdatedAt = now;
    }
}
