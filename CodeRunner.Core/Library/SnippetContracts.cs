using CodeRunner.Core.Common;

namespace CodeRunner.Core.Library;

/// <summary>What a user can set on a snippet; tags are free text ("a, B ,c" → "a,b,c").</summary>
public sealed record SnippetEdit
{
    public string Title { get; init; } = "";
    public string? Description { get; init; }
    public string Code { get; init; } = "";
    public bool IsPublic { get; init; }
    public string? Tags { get; init; }
    public string? EnvironmentName { get; init; }
}

/// <summary>A snippet as lists and the REST API show it, with its owner's name.</summary>
public sealed record SnippetView(
    int Id, string OwnerId, string OwnerName, string Title, string? Description, string Code, string Language,
    bool IsPublic, IReadOnlyList<string> Tags, string? EnvironmentName, DateTime CreatedAt, DateTime UpdatedAt)
{
    public bool IsOwnedBy(UserRef user) => OwnerId == user.Id;
}

/// <summary>Search text matches title, description, tags and code; Tag filters on one exact tag.</summary>
public sealed record SnippetQuery(string? Search = null, string? Tag = null, int Page = 1, int PageSize = 20);

/// <summary>The rules of a snippet's fields, shared by the service and the UI hints. The code's size limit is Execution:MaxCodeBytes.</summary>
public static class SnippetRules
{
    public const int MaxTitleLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxTagsLength = 500;
    public const int MaxTagLength = 32;
    public const int MaxEnvironmentNameLength = Environments.EnvironmentNames.MaxReferenceLength;

    /// <summary>"Numpy, plots ,numpy" → "numpy,plots": trimmed, lower-case, unique, in order.</summary>
    public static string NormalizeTags(string? tags) =>
        string.Join(',', SplitTags(tags));

    public static IReadOnlyList<string> SplitTags(string? tags) =>
        (tags ?? "").Split([',', '，', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.ToLowerInvariant())
            .Where(t => t.Length > 0)
            .Distinct()
            .ToList();
}
