using System.Text;

namespace CodeRunner.Web.Components.Pages.Ai;

/// <summary>
/// One streamed assistant answer as the panel shows it: tokens are appended on the reader's thread and the panel is asked
/// to render the first token at once, then at most every <c>renderInterval</c>, so a fast model cannot flood the circuit.
/// Stop cancels the request and keeps what arrived; a failure is kept in <see cref="Error"/> (the circuit never sees it).
/// </summary>
public sealed class AssistantStream(TimeSpan renderInterval, Func<Task> render)
{
    private readonly StringBuilder text = new();
    private readonly CancellationTokenSource stop = new();
    private int renderScheduled;
    private long lastRenderTicks;

    public string Text
    {
        get
        {
            lock (text) return text.ToString();
        }
    }

    public bool IsRunning { get; private set; }
    public bool WasStopped { get; private set; }
    public Exception? Error { get; private set; }
    public bool Completed => !IsRunning && !WasStopped && Error is null;
    public int Renders => renders;
    private int renders;

    public async Task RunAsync(Func<CancellationToken, IAsyncEnumerable<string>> start)
    {
        IsRunning = true;
        try
        {
            await foreach (var token in start(stop.Token).WithCancellation(stop.Token))
            {
                lock (text) text.Append(token);
                RequestRender();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            WasStopped = true;
        }
        catch (Exception e)
        {
            Error = e;
        }
        finally
        {
            IsRunning = false;
            await RenderAsync();
        }
    }

    public void Stop()
    {
        if (IsRunning) stop.Cancel();
    }

    private void RequestRender()
    {
        if (Interlocked.Exchange(ref renderScheduled, 1) == 1) return;
        _ = RenderSoonAsync();
    }

    private async Task RenderSoonAsync()
    {
        var wait = renderInterval - TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Interlocked.Read(ref lastRenderTicks));
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        Volatile.Write(ref renderScheduled, 0);
        await RenderAsync();
    }

    private async Task RenderAsync()
    {
        Interlocked.Exchange(ref lastRenderTicks, DateTime.UtcNow.Ticks);
        Interlocked.Increment(ref renders);
        try
        {
            await render();
        }
        catch (ObjectDisposedException)
        {
            // The circuit is gone; the request is cancelled by the panel's disposal.
        }
    }
}
