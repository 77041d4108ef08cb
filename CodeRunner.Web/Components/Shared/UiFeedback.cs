using CodeRunner.Core.Common;
using CodeRunner.Web.Localization;
using MudBlazor;

namespace CodeRunner.Web.Components.Shared;

/// <summary>
/// The one way a page runs an action and tells the person how it went (issue 9, item 8). Instead of
/// <c>try { ... } catch (CodeRunnerError e) { error = ... }</c> in every page:
/// <code>
/// @inject UiFeedback Feedback
/// if (await Feedback.RunAsync(() => Snippets.DeleteAsync(user, id), L["Deleted"])) await ReloadAsync();
/// var created = await Feedback.RunAsync(() => Keys.CreateAsync(user, name));   // Outcome&lt;T&gt;: created.Succeeded, created.Value
/// var message = await Feedback.TryAsync(() => Accounts.ChangeAsync(...));       // forms: null, or the sentence for an inline MudAlert
/// </code>
/// Only <see cref="CodeRunnerError"/> (an expected refusal: validation, permission, quota, conflict, not found) is
/// caught and translated through <see cref="ErrorMessages"/>; anything else is a bug and goes on to the error boundary.
/// </summary>
public sealed class UiFeedback(ISnackbar snackbar, ErrorMessages errors)
{
    /// <summary>Runs <paramref name="action"/>; a refusal is shown as an error toast, success as <paramref name="successMessage"/> (if any).</summary>
    public async Task<bool> RunAsync(Func<Task> action, string? successMessage = null)
    {
        var outcome = await RunAsync(async () => { await action(); return true; }, successMessage);
        return outcome.Succeeded;
    }

    /// <summary>As <see cref="RunAsync(Func{Task}, string?)"/>, keeping the action's result.</summary>
    public async Task<Outcome<T>> RunAsync<T>(Func<Task<T>> action, string? successMessage = null)
    {
        try
        {
            var value = await action();
            if (successMessage is not null) Success(successMessage);
            return new Outcome<T>(true, value, null);
        }
        catch (CodeRunnerError error)
        {
            var message = errors.Describe(error);
            Error(message);
            return new Outcome<T>(false, default, message);
        }
    }

    /// <summary>The inline variant for forms: runs <paramref name="action"/> and returns null, or the translated
    /// refusal for the page to show next to the form (no toast).</summary>
    public async Task<string?> TryAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (CodeRunnerError error)
        {
            return errors.Describe(error);
        }
    }

    public void Success(string message) => snackbar.Add(message, Severity.Success);

    public void Error(string message) => snackbar.Add(message, Severity.Error);
}

/// <summary>What <see cref="UiFeedback.RunAsync{T}"/> did: the value on success, the translated message on a refusal.</summary>
public readonly record struct Outcome<T>(bool Succeeded, T? Value, string? Error);
