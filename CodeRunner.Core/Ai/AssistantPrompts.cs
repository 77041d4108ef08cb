using System.Text;
using Microsoft.SemanticKernel.ChatCompletion;

namespace CodeRunner.Core.Ai;

/// <summary>What the assistant is asked to do.</summary>
public enum AssistantAction { Generate, Fix, ExplainCode, ExplainError, Optimize }

/// <summary>
/// One assistant request from the run page. <see cref="Prompt"/> is what the user typed (required for generate, an optional
/// note otherwise); <see cref="Code"/> is the editor's content; <see cref="ErrorOutput"/> the last run's error output.
/// <see cref="Language"/> is the UI culture the answer should be written in.
/// </summary>
public sealed record AssistantRequest(AssistantAction Action, string? Prompt, string? Code, string? ErrorOutput, string Language = "zh-CN");

/// <summary>Builds the chat for each action. Plain and deterministic, so tests can read exactly what a provider receives.</summary>
public static class AssistantPrompts
{
    public static string ActionName(AssistantAction action) => action switch
    {
        AssistantAction.Generate => "generate",
        AssistantAction.Fix => "fix",
        AssistantAction.ExplainCode => "explain_code",
        AssistantAction.ExplainError => "explain_error",
        _ => "optimize",
    };

    public static ChatHistory Build(AssistantRequest request)
    {
        var chinese = request.Language.StartsWith("zh", StringComparison.OrdinalIgnoreCase);
        var history = new ChatHistory(
            "You are the Python assistant of CodeRunner, a web page where people write and run Python programs. "
            + "Programs run in a sandbox without network access; input comes only from stdin. "
            + "When your answer contains a program, give the complete program (never a fragment or a diff) in exactly one ```python code block. "
            + (chinese ? "Write your explanations in Simplified Chinese." : "Write your explanations in English."));

        var message = new StringBuilder();
        switch (request.Action)
        {
            case AssistantAction.Generate:
                message.AppendLine("Write a complete, runnable Python program for this task:").AppendLine(request.Prompt);
                if (!string.IsNullOrWhiteSpace(request.Code))
                    message.AppendLine().AppendLine("The editor currently contains this program, which you may reuse or replace:").Append(Fenced(request.Code, "python"));
                break;
            case AssistantAction.Fix:
                message.AppendLine("This program fails. Find the cause, then give the complete corrected program and a short explanation of what was wrong.")
                    .AppendLine().AppendLine("Program:").Append(Fenced(request.Code, "python"))
                    .AppendLine().AppendLine("Error output of its last run:").Append(Fenced(request.ErrorOutput, "text"));
                break;
            case AssistantAction.ExplainCode:
                message.AppendLine("Explain what this program does, step by step, for someone learning Python. Do not rewrite it.")
                    .AppendLine().Append(Fenced(request.Code, "python"));
                break;
            case AssistantAction.ExplainError:
                message.AppendLine("Explain this error in plain words: what it means, which line causes it and how to fix it.")
                    .AppendLine().AppendLine("Error output:").Append(Fenced(request.ErrorOutput, "text"));
                if (!string.IsNullOrWhiteSpace(request.Code)) message.AppendLine().AppendLine("Program:").Append(Fenced(request.Code, "python"));
                break;
            case AssistantAction.Optimize:
                message.AppendLine("Make this program faster and clearer without changing what it prints. Give the complete improved program, then list the changes.")
                    .AppendLine().Append(Fenced(request.Code, "python"));
                break;
        }
        if (request.Action != AssistantAction.Generate && !string.IsNullOrWhiteSpace(request.Prompt))
            message.AppendLine().AppendLine("The user adds:").AppendLine(request.Prompt);
        history.AddUserMessage(message.ToString());
        return history;
    }

    /// <summary>A fenced block whose fence is longer than any backtick run inside, so the content cannot close it early.</summary>
    public static string Fenced(string? content, string language)
    {
        content ??= "";
        var longest = 0;
        var run = 0;
        foreach (var c in content)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        var fence = new string('`', Math.Max(3, longest + 1));
        return $"{fence}{language}\n{content.TrimEnd('\n')}\n{fence}\n";
    }
}
