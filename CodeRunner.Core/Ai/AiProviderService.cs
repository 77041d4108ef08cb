using CodeRunner.Core.Audit;
using CodeRunner.Core.Common;
using CodeRunner.Core.Data;
using CodeRunner.Core.Tiers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRunner.Core.Ai;

/// <summary>A provider as pages see it: never the key, only whether there is one and its last 4 characters.</summary>
public sealed record AiProviderView(int Id, string Name, string Provider, string Model, string BaseUrl, bool HasApiKey, string? ApiKeyLast4,
    double Temperature, int MaxTokens, bool IsActive, bool IsTeamDefault, DateTime UpdatedAt);

/// <summary>What a create/update form sends. <see cref="ApiKey"/> null keeps the stored key; <see cref="ClearApiKey"/> removes it.</summary>
public sealed record AiProviderEdit
{
    public string Name { get; init; } = "";
    public string Provider { get; init; } = AiProviderKinds.OpenAI;
    /// <summary>Empty: the kind's default model.</summary>
    public string? Model { get; init; }
    /// <summary>Empty: the kind's default base URL.</summary>
    public string? BaseUrl { get; init; }
    public string? ApiKey { get; init; }
    public bool ClearApiKey { get; init; }
    public double Temperature { get; init; } = 0.2;
    public int MaxTokens { get; init; } = 2048;
}

/// <summary>The outcome of "测试连接": the model answered, how fast, and the first words of its answer.</summary>
public sealed record AiConnectionTestResult(string Model, long LatencyMs, string Reply);

/// <summary>
/// Users' AI providers (≤ <see cref="AiOptions.MaxProvidersPerUser"/>, one active) and the team's default provider (admins only).
/// Keys are encrypted before they reach the DbContext and never come back out of this service except to call the provider.
/// </summary>
public sealed class AiProviderService(
    CodeRunnerDbContext db,
    ReadContexts reads,
    AiKeyProtector keys,
    TierLimitGate limitGate,
    AuditService audit,
    AiConnectionTester tester,
    IOptions<AiOptions> options,
    TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxModelLength = 100;
    public const int MaxBaseUrlLength = 500;
    public const int MaxApiKeyLength = 500;
    public const int MaxMaxTokens = 32768;

    public int MaxProvidersPerUser => options.Value.MaxProvidersPerUser;

    public async Task<IReadOnlyList<AiProviderView>> ListAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var rows = await db.AiProviderConfigs.AsNoTracking().Where(p => p.UserId == actor.Id).OrderBy(p => p.Id).ToListAsync(cancellationToken);
        return rows.Select(ToView).ToList();
    }

    public async Task<AiProviderView> CreateAsync(UserRef actor, AiProviderEdit edit, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var gate = await limitGate.EnterAsync("ai-providers", actor.Id, cancellationToken);
        var mine = await db.AiProviderConfigs.Where(p => p.UserId == actor.Id).ToListAsync(cancellationToken);
        var max = options.Value.MaxProvidersPerUser;
        if (mine.Count >= max)
            throw new QuotaExceededError("ai.provider_limit_reached", $"At most {max} AI providers per user.", max, mine.Count, DateTime.MaxValue);

        var row = new AiProviderConfig { UserId = actor.Id, Name = "", Provider = "", Model = "", CreatedAt = now, IsActive = mine.Count == 0 };
        Apply(row, edit, now);
        db.AiProviderConfigs.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "ai.provider.create", "ai_provider", row.Id, AuditDetails(row), cancellationToken: cancellationToken);
        return ToView(row);
    }

    public async Task<AiProviderView> UpdateAsync(UserRef actor, int id, AiProviderEdit edit, CancellationToken cancellationToken = default)
    {
        var row = await FindOwnedAsync(actor, id, cancellationToken);
        Apply(row, edit, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "ai.provider.update", "ai_provider", row.Id, AuditDetails(row), cancellationToken: cancellationToken);
        return ToView(row);
    }

    public async Task DeleteAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var row = await FindOwnedAsync(actor, id, cancellationToken);
        db.AiProviderConfigs.Remove(row);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "ai.provider.delete", "ai_provider", id, new { row.Name, row.Provider }, cancellationToken: cancellationToken);
    }

    /// <summary>Makes <paramref name="id"/> the user's only active provider (<paramref name="active"/> false: none, so the team default serves).</summary>
    public async Task SetActiveAsync(UserRef actor, int id, bool active, CancellationToken cancellationToken = default)
    {
        var row = await FindOwnedAsync(actor, id, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (active)
            await db.AiProviderConfigs.Where(p => p.UserId == row.UserId && p.Id != id && p.IsActive)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.IsActive, false).SetProperty(p => p.UpdatedAt, now), cancellationToken);
        await db.AiProviderConfigs.Where(p => p.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.IsActive, active).SetProperty(p => p.UpdatedAt, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await audit.RecordAsync(actor, active ? "ai.provider.activate" : "ai.provider.deactivate", "ai_provider", id, new { row.Name }, cancellationToken: cancellationToken);
    }

    /// <summary>The team's default provider, or null. Everyone may see that it exists; only admins see its key hint.</summary>
    public async Task<AiProviderView?> GetTeamDefaultAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        await using var db = reads.Open();
        var row = await db.AiProviderConfigs.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == null, cancellationToken);
        if (row is null) return null;
        var view = ToView(row);
        return actor.IsAdmin ? view : view with { ApiKeyLast4 = null };
    }

    /// <summary>Creates or replaces the team's default provider. Admins only.</summary>
    public async Task<AiProviderView> SetTeamDefaultAsync(UserRef actor, AiProviderEdit edit, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var gate = await limitGate.EnterAsync("ai-team-default", "", cancellationToken);
        var row = await db.AiProviderConfigs.FirstOrDefaultAsync(p => p.UserId == null, cancellationToken);
        if (row is null)
        {
            row = new AiProviderConfig { UserId = null, Name = "", Provider = "", Model = "", CreatedAt = now, IsActive = true };
            db.AiProviderConfigs.Add(row);
        }
        Apply(row, edit, now);
        await db.SaveChangesAsync(cancellationToken);
        await audit.RecordAsync(actor, "ai.team_default.set", "ai_provider", row.Id, AuditDetails(row), cancellationToken: cancellationToken);
        return ToView(row);
    }

    public async Task ClearTeamDefaultAsync(UserRef actor, CancellationToken cancellationToken = default)
    {
        RequireAdmin(actor);
        var removed = await db.AiProviderConfigs.Where(p => p.UserId == null).ExecuteDeleteAsync(cancellationToken);
        if (removed > 0) await audit.RecordAsync(actor, "ai.team_default.clear", "ai_provider", null, cancellationToken: cancellationToken);
    }

    /// <summary>"测试连接" on one of the actor's providers (or, for admins, the team default: <paramref name="id"/> of that row).</summary>
    public async Task<AiConnectionTestResult> TestAsync(UserRef actor, int id, CancellationToken cancellationToken = default)
    {
        var row = await db.AiProviderConfigs.AsNoTracking().FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (row is null || (row.UserId is null ? !actor.IsAdmin : row.UserId != actor.Id)) throw new NotFoundError("ai_provider", id);
        return await tester.TestAsync(actor, Resolve(row), cancellationToken);
    }

    /// <summary>The provider that serves <paramref name="actor"/>: their active one, else the team default, else a clear error.</summary>
    internal async Task<ResolvedProvider> ResolveForAsync(UserRef actor, CancellationToken cancellationToken)
    {
        var row = await db.AiProviderConfigs.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == actor.Id && p.IsActive, cancellationToken)
                  ?? await db.AiProviderConfigs.AsNoTracking().FirstOrDefaultAsync(p => p.UserId == null, cancellationToken)
                  ?? throw new ConflictError("ai.no_provider", "No AI provider is configured: add one in AI settings or ask an admin for a team default.");
        return Resolve(row);
    }

    private ResolvedProvider Resolve(AiProviderConfig row)
    {
        var kind = AiProviderKinds.Find(row.Provider) ?? AiProviderKinds.Find(AiProviderKinds.Custom)!;
        var apiKey = row.EncryptedApiKey is null ? null : keys.Unprotect(row.EncryptedApiKey);
        var baseUrl = new Uri(EndpointOf(row.BaseUrl ?? kind.DefaultBaseUrl ?? ""));
        return new ResolvedProvider(row.Id, kind, row.Model, baseUrl, apiKey, row.Temperature, row.MaxTokens, row.UserId is null);
    }

    /// <summary>The connector appends "chat/completions" to the base URL; a trailing slash keeps its last segment (/v1).</summary>
    private static string EndpointOf(string baseUrl) => baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/";

    private void Apply(AiProviderConfig row, AiProviderEdit edit, DateTime now)
    {
        var name = (edit.Name ?? "").Trim();
        if (name.Length == 0) throw new ValidationError("ai.name_required", "name", "A name is required.");
        if (name.Length > MaxNameLength) throw new ValidationError("ai.name_too_long", "name", $"The name is longer than {MaxNameLength} characters.", MaxNameLength);
        var kind = AiProviderKinds.Find(edit.Provider) ?? throw new ValidationError("ai.provider_unknown", "provider", $"Unknown provider kind '{edit.Provider}'.");

        var model = string.IsNullOrWhiteSpace(edit.Model) ? kind.DefaultModel : edit.Model.Trim();
        if (string.IsNullOrEmpty(model)) throw new ValidationError("ai.model_required", "model", "A model is required.");
        if (model.Length > MaxModelLength || model.Any(char.IsControl))
            throw new ValidationError("ai.model_invalid", "model", $"The model name is invalid or longer than {MaxModelLength} characters.", MaxModelLength);

        var baseUrl = string.IsNullOrWhiteSpace(edit.BaseUrl) ? kind.DefaultBaseUrl : edit.BaseUrl.Trim();
        if (string.IsNullOrEmpty(baseUrl)) throw new ValidationError("ai.base_url_required", "baseUrl", "This provider kind needs a base URL.");
        if (baseUrl.Length > MaxBaseUrlLength || !Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new ValidationError("ai.base_url_invalid", "baseUrl", "The base URL must be an http(s) URL without credentials, query or fragment.");

        if (double.IsNaN(edit.Temperature) || edit.Temperature < 0 || edit.Temperature > 2)
            throw new ValidationError("ai.temperature_invalid", "temperature", "The temperature must be between 0 and 2.");
        if (edit.MaxTokens < 1 || edit.MaxTokens > MaxMaxTokens)
            throw new ValidationError("ai.max_tokens_invalid", "maxTokens", $"Max tokens must be between 1 and {MaxMaxTokens}.", MaxMaxTokens);

        var apiKey = edit.ApiKey?.Trim();
        if (!string.IsNullOrEmpty(apiKey))
        {
            if (apiKey.Length > MaxApiKeyLength || apiKey.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
                throw new ValidationError("ai.api_key_invalid", "apiKey", "The API key contains spaces or control characters, or is too long.");
            row.EncryptedApiKey = keys.Protect(apiKey);
            row.ApiKeyHint = AiKeyProtector.HintOf(apiKey);
        }
        else if (edit.ClearApiKey)
        {
            row.EncryptedApiKey = null;
            row.ApiKeyHint = null;
        }
        if (row.EncryptedApiKey is null && kind.RequiresApiKey)
            throw new ValidationError("ai.api_key_required", "apiKey", $"{kind.DisplayName} needs an API key.");

        row.Name = name;
        row.Provider = kind.Id;
        row.Model = model;
        row.BaseUrl = baseUrl;
        row.Temperature = edit.Temperature;
        row.MaxTokens = edit.MaxTokens;
        row.UpdatedAt = now;
    }

    private async Task<AiProviderConfig> FindOwnedAsync(UserRef actor, int id, CancellationToken cancellationToken)
    {
        var row = await db.AiProviderConfigs.FindAsync([id], cancellationToken);
        // The team default is not anyone's row; admins change it through the team default methods.
        if (row is null || row.UserId is null || row.UserId != actor.Id) throw new NotFoundError("ai_provider", id);
        return row;
    }

    private static void RequireAdmin(UserRef actor)
    {
        if (!actor.IsAdmin) throw new ForbiddenError("Only admins configure the team's default AI provider.");
    }

    private static object AuditDetails(AiProviderConfig row) =>
        new { row.Name, row.Provider, row.Model, row.BaseUrl, hasApiKey = row.EncryptedApiKey is not null, row.Temperature, row.MaxTokens };

    private static AiProviderView ToView(AiProviderConfig row) =>
        new(row.Id, row.Name, row.Provider, row.Model, row.BaseUrl ?? "", row.EncryptedApiKey is not null, row.ApiKeyHint,
            row.Temperature, row.MaxTokens, row.IsActive, row.UserId is null, row.UpdatedAt);
}
