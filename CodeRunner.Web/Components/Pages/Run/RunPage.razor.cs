using BlazorMonaco;
using BlazorMonaco.Editor;
using CodeRunner.Core.Common;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Web.Components.Shared;
using CodeRunner.Web.Execution;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace CodeRunner.Web.Components.Pages.Run;

/// <summary>
/// The run page: Monaco editor, live output streamed from <see cref="IExecutionService"/> through a
/// <see cref="RunOutputBuffer"/> (which decides when to render and what the browser keeps).
/// </summary>
public partial class RunPage : IAsyncDisposable
{
    // Unique per page instance: BlazorMonaco keys editors by id, so when one run page replaces another (a redirect
    // right after sign-in), disposing the old editor must not remove the new one.
    private readonly string EditorId = "run-editor-" + Guid.NewGuid().ToString("N")[..8];
    private static readonly int[] FontSizes = [12, 13, 14, 16, 18, 20, 24];

    [SupplyParameterFromQuery(Name = "execution")] public long? ExecutionId { get; set; }
    [SupplyParameterFromQuery(Name = "snippet")] public int? SnippetId { get; set; }
    /// <summary>"在编辑器中打开" on a community post: the post's program in the editor (not a snippet of the reader's).</summary>
    [SupplyParameterFromQuery(Name = "post")] public int? PostId { get; set; }

    private readonly CancellationTokenSource lifetime = new();
    private readonly RunOutputBuffer output = new();
    private StandaloneCodeEditor editor = default!;
    private RetryingErrorBoundary? editorBoundary;
    private ElementReference outputElement;
    private IJSObjectReference? module;
    private UserRef user = default!;
    private IReadOnlyList<EnvironmentChoice> environments = [];
    private string environmentName = EnvironmentNames.Base;
    private string? stdin;
    private string? inputLine;
    private int fontSize = 14;
    private string? initialCode;
    private bool editorReady;
    private bool starting;
    private IExecutionRun? run;
    private SnippetView? snippet;
    private string? openWarning;
    private long? lastExecutionId;
    private ExecutionOutcome? outcome;
    private string? errorMessage;

    private bool IsRunning => run is not null;
    private string StorageKey => $"coderunner.run.code.{user.Id}";

    protected override async Task OnInitializedAsync()
    {
        ThemeState.Changed += OnThemeChanged;
        user = await CurrentUser.RequireAsync();
        environments = await EnvironmentQueries.ListChoicesAsync(user);
        if (SnippetId is { } snippetId)
        {
            // Shown once the circuit is live (OnAfterRender): a toast from the prerender would be lost.
            var failure = await Feedback.TryAsync(async () =>
            {
                snippet = await Snippets.GetAsync(user, snippetId);
                initialCode = snippet.Code;
                PickEnvironment(snippet.EnvironmentName);
            });
            if (failure is not null) openWarning = L["SnippetOpenFailed", failure];
        }
        else if (PostId is { } postId)
        {
            var failure = await Feedback.TryAsync(async () =>
            {
                var post = await Posts.GetAsync(user, postId);
                initialCode = post.Code ?? "";
                PickEnvironment(post.EnvironmentName);
            });
            if (failure is not null) openWarning = L["SnippetOpenFailed", failure];
        }
        else if (ExecutionId is { } id)
        {
            errorMessage = await Feedback.TryAsync(async () =>
            {
                var detail = await Queries.GetAsync(user, id);
                initialCode = detail.Code;
                PickEnvironment(detail.EnvironmentName);
            });
        }
    }

    /// <summary>Selects the environment the code was saved or run with, when the user may still use it.</summary>
    private void PickEnvironment(string? name)
    {
        if (string.IsNullOrEmpty(name)) return;
        if (environments.Any(e => e.Name == name)) environmentName = name;
        else openWarning = L["EnvironmentUnavailable", name];
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/run.js");
            await module.InvokeVoidAsync("followOutput", outputElement);
            if (openWarning is not null) Feedback.Error(openWarning);
        }
    }

    private StandaloneEditorConstructionOptions EditorOptions(StandaloneCodeEditor _) => new()
    {
        Language = "python",
        AutomaticLayout = true,
        LineNumbers = "on",
        FontSize = fontSize,
        Minimap = new EditorMinimapOptions { Enabled = false },
        ScrollBeyondLastLine = false,
        TabSize = 4,
        InsertSpaces = true,
        Theme = ThemeState.MonacoTheme,
        Value = "",
    };

    private async Task OnEditorReadyAsync()
    {
        try
        {
            await SetUpEditorAsync();
        }
        catch (JSException exception)
        {
            // The editor went away while it was being set up (its page was replaced); the boundary re-creates it.
            Logger.LogWarning(exception, "Setting up the run page editor failed");
            editorReady = false;
        }
    }

    private async Task SetUpEditorAsync()
    {
        module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/run.js");
        var code = initialCode ?? await module.InvokeAsync<string?>("loadCode", StorageKey) ?? RunTemplates.All[0].Code;
        await editor.SetValue(code);
        if (initialCode is not null) await module.InvokeVoidAsync("saveCode", StorageKey, initialCode);
        await module.InvokeAsync<bool>("persistEditor", EditorId, StorageKey);
        await editor.AddCommand((int)KeyMod.CtrlCmd | (int)KeyCode.Enter, _ => InvokeAsync(RunAsync));
        // The OS preference may have arrived after the editor was constructed.
        await MonacoThemes.ApplyAsync(JS, ThemeState.MonacoTheme);
        if (int.TryParse(await module.InvokeAsync<string?>("getPreference", "coderunner.run.fontSize"), out var size) && FontSizes.Contains(size))
        {
            fontSize = size;
            await editor.UpdateOptions(new EditorUpdateOptions { FontSize = fontSize });
        }
        editorReady = true;
        StateHasChanged();
    }

    /// <summary>The app's light/dark switch (or the OS) changed: Monaco follows.</summary>
    private void OnThemeChanged() => _ = InvokeAsync(async () =>
    {
        try
        {
            await MonacoThemes.ApplyAsync(JS, ThemeState.MonacoTheme);
        }
        catch (JSException exception)
        {
            Logger.LogDebug(exception, "Monaco theme change failed");
        }
    });

    private async Task OnTemplateChosen(ChangeEventArgs args)
    {
        if (RunTemplates.Find(args.Value?.ToString() ?? "") is { } template)
        {
            await editor.SetValue(template.Code);
            if (template.Key == "Input" && string.IsNullOrEmpty(stdin)) stdin = "CodeRunner\n1\n2\n\n";
        }
    }

    private async Task OnFontSizeChanged(ChangeEventArgs args)
    {
        if (!int.TryParse(args.Value?.ToString(), out var size)) return;
        fontSize = size;
        await editor.UpdateOptions(new EditorUpdateOptions { FontSize = size });
        if (module is not null) await module.InvokeVoidAsync("setPreference", "coderunner.run.fontSize", size.ToString());
    }

    private async Task RunAsync()
    {
        if (IsRunning || starting || !editorReady) return;
        starting = true;
        errorMessage = null;
        try
        {
            var code = await editor.GetValue();
            var started = await Feedback.RunAsync(() => Executions.StartAsync(user,
                new ExecutionRequest { Code = code, EnvironmentName = environmentName, Stdin = string.IsNullOrEmpty(stdin) ? null : stdin },
                ExecutionOrigin.Web, lifetime.Token));
            if (started.Value is not { } current)
            {
                errorMessage = started.Error;
                return;
            }
            ClearOutput();
            run = current;
            lastExecutionId = current.ExecutionId;
            _ = ConsumeAsync(current);
        }
        finally
        {
            starting = false;
        }
    }

    private async Task ConsumeAsync(IExecutionRun current)
    {
        ExecutionOutcome? finished = null;
        try
        {
            await foreach (var runEvent in current.Events.ReadAllAsync())
            {
                if (runEvent is ExecutionOutput chunk && output.Enqueue(chunk) is { } delay) _ = RenderAfterAsync(delay);
            }
            finished = await current.Completion;
        }
        catch (Exception exception)
        {
            Logger.LogError(exception, "Execution {ExecutionId} failed on the run page", current.ExecutionId);
        }
        await current.DisposeAsync();
        if (lifetime.IsCancellationRequested) return;
        await InvokeAsync(() =>
        {
            output.Drain();
            outcome = finished;
            if (finished is null) errorMessage = L["RunFailed"];
            run = null;
            StateHasChanged();
        });
    }

    private async Task RenderAfterAsync(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero) await Task.Delay(delay);
        if (lifetime.IsCancellationRequested) return;
        try
        {
            await InvokeAsync(() =>
            {
                if (output.Drain()) StateHasChanged();
            });
        }
        catch (ObjectDisposedException)
        {
            // The circuit is gone; the run is being cancelled by DisposeAsync.
        }
    }

    private async Task SendLineAsync()
    {
        if (run is null) return;
        var line = inputLine ?? "";
        inputLine = "";
        output.EchoInput(line);
        try
        {
            await run.WriteStdinAsync(line + "\n");
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException or ObjectDisposedException)
        {
            Logger.LogDebug(exception, "stdin of execution {ExecutionId} is closed", run.ExecutionId);
        }
    }

    private void Stop() => run?.Cancel();

    private async Task OpenSaveDialogAsync()
    {
        if (!editorReady) return;
        var code = await editor.GetValue();
        var chosen = environments.FirstOrDefault(e => e.Name == environmentName);
        var label = chosen is null || chosen.IsBase ? L["BaseEnvironment"].Value : chosen.DisplayName;
        var result = await SaveToLibraryDialog.ShowAsync(Dialogs, L["SaveDialogTitle"], user, code, chosen is null || chosen.IsBase ? null : chosen.Name, label, snippet);
        if (result is { } saved) await OnSavedToLibraryAsync(saved);
    }

    private async Task OnSavedToLibraryAsync(SaveToLibraryDialog.Saved result)
    {
        snippet = await Snippets.GetAsync(user, result.Snippet.Id);
        Feedback.Success(L[result.Overwritten ? "SavedOverwrite" : "SavedNew", snippet.Title]);
        // From now on the editor's code is this snippet's: a reload opens it and the next save can overwrite it.
        if (SnippetId != snippet.Id) Navigation.NavigateTo($"/run?snippet={snippet.Id}", replace: true);
    }

    private void ClearOutput()
    {
        output.Clear();
        outcome = null;
    }

    private string ArtifactUrl(string name, bool download)
    {
        var escaped = string.Join('/', name.Split('/').Select(Uri.EscapeDataString));
        return $"runs/{lastExecutionId}/artifacts/{escaped}" + (download ? "?download=1" : "");
    }

    internal static string FormatMs(long ms) => ms < 1000 ? $"{ms} ms" : $"{ms / 1000.0:0.00} s";

    internal static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KB",
        _ => $"{bytes / 1024.0 / 1024.0:0.0} MB",
    };

    // ---- AI assistant hook (issue 13): AssistantPanel reads the editor and the last output, and writes back as one undo step. ----
    private string? AssistantLastOutput => IsRunning || outcome is null ? null : string.Concat(output.Segments.Select(s => s.Text));

    private async Task<string> GetEditorCodeAsync() => editorReady ? await editor.GetValue() : "";

    private async Task ApplyAssistantCodeAsync(string code)
    {
        if (!editorReady || module is null) return;
        await module.InvokeAsync<bool>("replaceCode", EditorId, code);
    }

    private async Task RerunFromAssistantAsync(string? environment)
    {
        if (environment is not null)
        {
            environments = await EnvironmentQueries.ListChoicesAsync(user);
            environmentName = environment;
        }
        await RunAsync();
    }
    // ---- end of AI assistant hook ----

    public async ValueTask DisposeAsync()
    {
        ThemeState.Changed -= OnThemeChanged;
        // Closing the tab ends the circuit: the run must not outlive it.
        lifetime.Cancel();
        if (run is not null) await run.DisposeAsync();
        if (module is not null)
        {
            try
            {
                await module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone already.
            }
        }
        lifetime.Dispose();
    }
}
