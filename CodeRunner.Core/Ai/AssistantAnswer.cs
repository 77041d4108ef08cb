using System.Text.RegularExpressions;

namespace CodeRunner.Core.Ai;

/// <summary>Reads a (Markdown) assistant answer: the program it proposes, if any.</summary>
public static partial class AssistantAnswer
{
    /// <summary>
    /// The program in the answer: the largest fenced block labelled python/py (or unlabelled), without its fences; null when
    /// the answer has no complete block (an answer still streaming has its last fence open and yields nothing yet).
    /// </summary>
    public static string? ExtractCode(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown)) return null;
        string? best = null;
        foreach (Match match in FencedBlock().Matches(markdown.Replace("\r\n", "\n")))
        {
            var language = match.Groups["lang"].Value.Trim().ToLowerInvariant();
            if (language is not ("" or "python" or "py" or "python3")) continue;
            var code = match.Groups["code"].Value;
            if (best is null || code.Length > best.Length) best = code;
        }
        return best is null ? null : best.TrimEnd('\n') + "\n";
    }

    // A fence of 3+ backticks, an optional language, the code, and a closing fence of the same length at a line start.
    [GeneratedRegex(@"^(?<fence>`{3,})[ \t]*(?<lang>[A-Za-z0-9_+-]*)[^\n]*\n(?<code>.*?)^\k<fence>[ \t]*$", RegexOptions.Multiline | RegexOptions.Singleline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex FencedBlock();
}
