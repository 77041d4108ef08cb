using BlazorMonaco;
using BlazorMonaco.Editor;
using BootstrapBlazor.Components;
using CodeRunner.Core.Common;
using CodeRunner.Core.Environments;
using CodeRunner.Core.Execution;
using CodeRunner.Core.Library;
using CodeRunner.Sandbox.Execution;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using CodeRunner.Web.Components.Shared;

namespace CodeRunner.Web.Components.Pages.Run;

/// <summary>
/// The run page: Monaco editor, live output streamed from <see cref="IExecutionService"/>. Output arrives on a
/// background reader and is rendered at most every <see cref="RenderInterval"/> (the first chunk at once), in
/// bounded segments so a re-render only sends the newest text.
/// </summary>
public partial class RunPage : IAsyncDisposable
{
    // Unique per page instance: BlazorMonaco keys editors by id, so when one run page replaces another (a redirect
    // right after sign-in), disposing the old editor must not remove the new one.
    private readonly string EditorId = "run-editor-" + Guid.NewGuid().ToString("N")[..8];
    public const int MaxBrowserChars = 200_000;
    private const int SegmentChars = 4096;
    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);
    private static readonly int[] FontSizes = [12, 13, 14, 16, 18, 20, 24];

    [SupplyParameterFromQuery(Name = "execution")] public long? ExecutionId { get; set; }
    [SupplyParameterFromQuery(Name = "snippet")] public int? SnippetId { get; set; }

    private sealed record Segment(string CssClass, string Text);

    private readonly CancellationTokenSource lifetime = new();
    private readonly List<RunOutput> pending = [];
    private readonly List<Segment> segments = [];
    private StandaloneCodeEditor editor = default!;
    private RetryingErrorBoundary? editorBoundary;
    private ElementReference outputElement;
    private IJSObjectReference? module;
    private UserRef user = default!;
    private IReadOnlyList<EnvironmentChoice> environments = [];
    private string environmentName = ExecutionService.BaseEnvironment;
    private string? stdin;
    private string? inputLine;
    private int fontSize = 14;
    private string theme = "vs";
    private string? initialCode;
    private bool editorReady;
    private bool starting;
    private IExecutionRun? run;
    private SnippetView? snippet;
    private string? openWarning;
    private SaveToLibraryDialog saveDialog = default!;
    private long? lastExecutionId;
    private ExecutionOutcome? outcome;
    private string? errorMessage;
    private int displayedChars;
    private bool browserTruncated;
    private int flushScheduled;
    private DateTime lastFlushUtc = DateTime.MinValue;

    private bool IsRunning => run is not null;
    private string StorageKey => $"coderunner.run.code.{user.Id}";

    protected override async Task OnInitializedAsync()
    {
        user = await CurrentUser.RequireAsync();
        environments = await EnvironmentService.ListChoicesAsync(user);
        if (SnippetId is { } snippetId)
        {
            try
            {
                snippet = await Snippets.GetAsync(user, snippetId);
                initialCode = snippet.Code;
                PickEnvironment(snippet.EnvironmentName);
            }
            catch (CodeRunnerError error)
            {
                openWarning = L["SnippetOpenFailed", Errors.Describe(error)];
            }
        }
        else if (ExecutionId is { } id)
        {
            try
            {
                var detail = await Queries.GetAsync(user, id);
                initialCode = detail.Code;
                PickEnvironment(detail.EnvironmentName);
            }
            catch (CodeRunnerError error)
            {
                errorMessage = Errors.Describe(error);
            }
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
            if (openWarning is not null) await Toast.Warning(L["Title"], openWarning, autoHide: true);
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

        var savedTheme = await module.InvokeAsync<string?>("getPreference", "coderunner.run.theme");
        theme = savedTheme is "vs" or "vs-dark" ? savedTheme : await module.InvokeAsync<bool>("prefersDark") ? "vs-dark" : "vs";
        if (theme != "vs") await BlazorMonaco.Editor.Global.SetTheme(theme);
        if (int.TryParse(await module.InvokeAsync<string?>("getPreference", "coderunner.run.fontSize"), out var size) && FontSizes.Contains(size))
        {
            fontSize = size;
            await editor.UpdateOptions(new EditorUpdateOptions { FontSize = fontSize });
        }
        editorReady = true;
        StateHasChanged();
    }

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

    private async Task OnThemeChanged(ChangeEventArgs args)
    {
        theme = args.Value?.ToString() == "vs-dark" ? "vs-dark" : "vs";
        await BlazorMonaco.Editor.Global.SetTheme(theme);
        if (module is not null) await module.InvokeVoidAsync("setPreference", "coderunner.run.theme", theme);
    }

    private async Task RunAsync()
    {
        if (IsRunning || starting || !editorReady) return;
        starting = true;
        errorMessage = null;
        try
        {
            var code = await editor.GetValue();
            var started = await Executions.StartAsync(user,
                new ExecutionRequest { Code = code, EnvironmentName = environmentName, Stdin = string.IsNullOrEmpty(stdin) ? null : stdin },
                ExecutionOrigin.Web, lifetime.Token);
            ClearOutput();
            run = started;
            lastExecutionId = started.ExecutionId;
            _ = ConsumeAsync(started);
        }
        catch (CodeRunnerError error)
        {
            errorMessage = Errors.Describe(error);
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
                if (runEvent is not RunOutput output) continue;
                lock (pending) pending.Add(output);
                RequestFlush();
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
            Drain();
            outcome = finished;
            if (finished is null) errorMessage = L["RunFailed"];
            run = null;
            StateHasChanged();
        });
    }

    /// <summary>Renders new output now if the last render is older than the interval, else once the interval is up.</summary>
    private void RequestFlush()
    {
        if (Interlocked.Exchange(ref flushScheduled, 1) == 1) return;
        _ = FlushSoonAsync();
    }

    private async Task FlushSoonAsync()
    {
        var wait = RenderInterval - (DateTime.UtcNow - lastFlushUtc);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        Volatile.Write(ref flushScheduled, 0);
        if (lifetime.IsCancellationRequested) return;
        try
        {
            await InvokeAsync(() =>
            {
                lastFlushUtc = DateTime.UtcNow;
                if (Drain()) StateHasChanged();
            });
        }
        catch (ObjectDisposedException)
        {
            // The circuit is gone; the run is being cancelled by DisposeAsync.
        }
    }

    /// <summary>Moves pending output into the rendered segments, up to the browser cap. Renderer thread only.</summary>
    private bool Drain()
    {
        RunOutput[] batch;
        lock (pending)
        {
            if (pending.Count == 0) return false;
            batch = [.. pending];
            pending.Clear();
        }
        foreach (var output in batch)
            Append(output.Stream == OutputStream.Stdout ? "out-stdout" : "out-stderr", output.Text);
        return true;
    }

    private void Append(string cssClass, string text)
    {
        if (browserTruncated || text.Length == 0) return;
        var room = MaxBrowserChars - displayedChars;
        if (text.Length > room)
        {
            text = text[..room];
            browserTruncated = true;
        }
        displayedChars += text.Length;
        while (text.Length > 0)
        {
            var last = segments.Count > 0 ? segments[^1] : null;
            if (last is not null && last.CssClass == cssClass && last.Text.Length < SegmentChars)
            {
                var take = Math.Min(text.Length, SegmentChars - last.Text.Length);
                segments[^1] = last with { Text = last.Text + text[..take] };
                text = text[take..];
            }
            else
            {
                var take = Math.Min(text.Length, SegmentChars);
                segments.Add(new Segment(cssClass, text[..take]));
                text = text[take..];
            }
        }
    }

    private async Task SendLineAsync()
    {
        if (run is null) return;
        var line = inputLine ?? "";
        inputLine = "";
        Append("out-stdin", line + "\n");
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
        saveDialog.Open(code, chosen is null || chosen.IsBase ? null : chosen.Name, label, snippet);
    }

    private async Task OnSavedToLibraryAsync((Snippet Saved, bool Overwritten) result)
    {
        snippet = await Snippets.GetAsync(user, result.Saved.Id);
        await Toast.Success(L["Title"], L[result.Overwritten ? "SavedOverwrite" : "SavedNew", snippet.Title], autoHide: true);
        // From now on the editor's code is this snippet's: a reload opens it and the next save can overwrite it.
        if (SnippetId != snippet.Id) Navigation.NavigateTo($"/run?snippet={snippet.Id}", replace: true);
    }

    private void ClearOutput()
    {
        lock (pending) pending.Clear();
        segments.Clear();
        displayedChars = 0;
        browserTruncated = false;
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
    private string? AssistantLastOutput => IsRunning || outcome is null ? null : string.Concat(segments.Select(s => s.Text));

    private async Task<string> GetEditorCodeAsync() => editorReady ? await editor.GetValue() : "";

    private async Task ApplyAssistantCodeAsync(string code)
    {
        if (!editorReady) return;
        var range = await (await editor.GetModel()).GetFullModelRange();
        await editor.PushUndoStop();
        await editor.ExecuteEdits("ai-assistant", [new IdentifiedSingleEditOperation { Range = range, Text = code, ForceMoveMarkers = true }], (List<BlazorMonaco.Selection>?)null);
        await editor.PushUndoStop();
    }

    private async Task RerunFromAssistantAsync(string? environment)
    {
        if (environment is not null)
        {
            environments = await EnvironmentService.ListChoicesAsync(user);
            environmentName = environment;
        }
        await RunAsync();
    }
    // ---- end of AI assistant hook ----

    public async ValueTask DisposeAsync()
    {
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
