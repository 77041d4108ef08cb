using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace CodeRunner.Web.Components.Shared;

/// <summary>
/// Keeps a JS-backed widget's failure (Monaco losing a race with the DOM while pages are swapped) inside the widget:
/// logs it, renders the error content, and re-creates the content a few times before leaving it to the user.
/// </summary>
public sealed class RetryingErrorBoundary : ErrorBoundary
{
    private int retries;

    [Inject] private ILogger<RetryingErrorBoundary> Logger { get; set; } = default!;

    [Parameter] public int MaxRetries { get; set; } = 2;

    protected override async Task OnErrorAsync(Exception exception)
    {
        Logger.LogWarning(exception, "A widget failed; retry {Retry} of {Max}", retries + 1, MaxRetries);
        if (retries++ >= MaxRetries) return;
        await Task.Delay(250);
        await InvokeAsync(Recover);     // OnErrorAsync is not awaited on the renderer's context
    }

    /// <summary>For a retry button in the error content.</summary>
    public void Retry()
    {
        retries = 0;
        Recover();
    }
}
