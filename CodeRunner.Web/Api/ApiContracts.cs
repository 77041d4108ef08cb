using CodeRunner.Core.Library;

namespace CodeRunner.Web.Api;

// The REST API's JSON shapes; property names are written snake_case (see AddCodeRunnerApi).

/// <summary>Body of POST /api/v1/execute: either code or snippet_id.</summary>
public sealed record ExecuteRequest(string? Code, int? SnippetId, string? Environment, string? Stdin);

public sealed record ExecuteResponse(
    long ExecutionId, string Status, string Stdout, string Stderr, int? ExitCode,
    long DurationMs, long CpuMs, double MemoryMb, bool Truncated);

public sealed record CodeSummary(
    int Id, string Title, string? Description, IReadOnlyList<string> Tags, string Language, string? Environment,
    bool IsPublic, string Owner, bool IsMine, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static CodeSummary From(SnippetView s, string actorId) =>
        new(s.Id, s.Title, s.Description, s.Tags, s.Language, s.EnvironmentName, s.IsPublic, s.OwnerName, s.OwnerId == actorId,
            DateTime.SpecifyKind(s.CreatedAt, DateTimeKind.Utc), DateTime.SpecifyKind(s.UpdatedAt, DateTimeKind.Utc));
}

public sealed record CodeDetail(
    int Id, string Title, string? Description, string Code, IReadOnlyList<string> Tags, string Language, string? Environment,
    bool IsPublic, string Owner, bool IsMine, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static CodeDetail From(SnippetView s, string actorId) =>
        new(s.Id, s.Title, s.Description, s.Code, s.Tags, s.Language, s.EnvironmentName, s.IsPublic, s.OwnerName, s.OwnerId == actorId,
            DateTime.SpecifyKind(s.CreatedAt, DateTimeKind.Utc), DateTime.SpecifyKind(s.UpdatedAt, DateTimeKind.Utc));
}

public sealed record CodePage(IReadOnlyList<CodeSummary> Items, int TotalCount, int Page, int PageSize);

/// <summary>Settings under "Api".</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";
    /// <summary>Requests per minute per API key (ASP.NET Core fixed-window limiter).</summary>
    public int RateLimitPerMinute { get; set; } = 60;
    /// <summary>Largest accepted request body.</summary>
    public long MaxBodyBytes { get; set; } = 256 * 1024;
}
