using CodeRunner.Core.Environments;
using System.Text;
using System.Text.RegularExpressions;
using CodeRunner.Core.Common;
using CodeRunner.Core.Library;

namespace CodeRunner.Core.Community;

/// <summary>The limits of community input, shared by the services, the EF model and the UI hints.</summary>
public static partial class CommunityRules
{
    public const int MaxTitleLength = 200;
    public const int MaxContentLength = 20_000;
    public const int ExcerptLength = 200;
    public const int MaxTags = 5;
    public const int MaxTagLength = 32;
    public const int MaxTagsLength = MaxTags * (MaxTagLength + 1);
    public const int MaxCommentLength = 5_000;
    public const int MaxFullNameLength = 100;
    public const int MaxBioLength = 500;
    public const int MaxSearchLength = 100;

    /// <summary>Languages a post's program may declare; the sandbox runs Python.</summary>
    public static readonly IReadOnlyList<string> CodeLanguages = ["python"];

    [GeneratedRegex(@"^[\p{L}\p{N}_+#.\-]+$")]
    private static partial Regex TagPattern();

    /// <summary>"Python, 数据 ,python" → ["python", "数据"]; refuses too many, too long or odd-character tags.</summary>
    public static IReadOnlyList<string> ValidateTags(string? tags)
    {
        var list = SnippetRules.SplitTags(tags);
        if (list.Count > MaxTags) throw new ValidationError("community.too_many_tags", "tags", $"At most {MaxTags} tags.", MaxTags);
        foreach (var tag in list)
        {
            if (tag.Length > MaxTagLength)
                throw new ValidationError("community.tag_too_long", "tags", $"A tag is longer than {MaxTagLength} characters.", MaxTagLength);
            if (!TagPattern().IsMatch(tag))
                throw new ValidationError("community.tag_invalid", "tags", "Tags use letters, digits and _ + # . - only.", tag);
        }
        return list;
    }

    public static string ValidateTitle(string? title)
    {
        var trimmed = (title ?? "").Trim();
        if (trimmed.Length == 0) throw new ValidationError("community.title_required", "title", "A title is required.");
        if (trimmed.Length > MaxTitleLength)
            throw new ValidationError("community.title_too_long", "title", $"The title is longer than {MaxTitleLength} characters.", MaxTitleLength);
        return trimmed;
    }

    public static string ValidateContent(string? content)
    {
        var text = (content ?? "").Trim();
        if (text.Length == 0) throw new ValidationError("community.content_required", "content", "The post needs a body.");
        if (text.Length > MaxContentLength)
            throw new ValidationError("community.content_too_long", "content", $"The body is longer than {MaxContentLength} characters.", MaxContentLength);
        return text;
    }

    public static string ValidateComment(string? content)
    {
        var text = (content ?? "").Trim();
        if (text.Length == 0) throw new ValidationError("community.comment_required", "content", "The comment is empty.");
        if (text.Length > MaxCommentLength)
            throw new ValidationError("community.comment_too_long", "content", $"The comment is longer than {MaxCommentLength} characters.", MaxCommentLength);
        return text;
    }

    /// <summary>An empty program is no program; otherwise its size (Execution:MaxCodeBytes) and language are checked.</summary>
    public static (string? Code, string Language) ValidateCode(string? code, string? language, int maxCodeBytes)
    {
        if (string.IsNullOrWhiteSpace(code)) return (null, CodeLanguages[0]);
        if (Encoding.UTF8.GetByteCount(code) > maxCodeBytes)
            throw new ValidationError("community.code_too_large", "code", $"The code is larger than {maxCodeBytes / 1024} KB.", maxCodeBytes / 1024);
        var lang = string.IsNullOrWhiteSpace(language) ? CodeLanguages[0] : language.Trim().ToLowerInvariant();
        if (!CodeLanguages.Contains(lang)) throw new ValidationError("community.language_unsupported", "language", $"Language {lang} is not supported.", lang);
        return (code, lang);
    }

    public static string? ValidateEnvironmentName(string? name)
    {
        var trimmed = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        if (trimmed?.Length > EnvironmentNames.MaxReferenceLength)
            throw new ValidationError("library.environment_too_long", "environment", $"The environment name is longer than {EnvironmentNames.MaxReferenceLength} characters.", EnvironmentNames.MaxReferenceLength);
        return trimmed;
    }
}
