using CodeRunner.Core.Execution;

namespace CodeRunner.Web.Execution;

/// <summary>What a piece of the run page's output is: the program's stdout or stderr, or a line the person typed.</summary>
public enum OutputKind { Stdout, Stderr, Stdin }

/// <summary>A run of consecutive output of one kind, at most <see cref="RunOutputBuffer.SegmentChars"/> long.</summary>
public sealed record OutputSegment(OutputKind Kind, string Text)
{
    public string CssClass => Kind switch { OutputKind.Stderr => "out-stderr", OutputKind.Stdin => "out-stdin", _ => "out-stdout" };
}

/// <summary>
/// The run page's output between the sandbox and the browser. The sandbox reader <see cref="Enqueue"/>s chunks on its
/// own thread; the page renders at most every <see cref="RenderInterval"/> (the first chunk at once) by calling
/// <see cref="Drain"/> on the renderer thread. Text is kept in bounded segments so a re-render only diffs the newest
/// one, and the browser never holds more than <see cref="BrowserCap"/> characters (the rest is dropped and
/// <see cref="BrowserTruncated"/> says so; the full output is in the run's history).
/// </summary>
public sealed class RunOutputBuffer(TimeProvider clock, int browserCap = RunOutputBuffer.DefaultBrowserCap, int segmentChars = RunOutputBuffer.SegmentChars)
{
    public const int DefaultBrowserCap = 200_000;
    public const int SegmentChars = 4096;
    public static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(50);

    private readonly List<(OutputKind Kind, string Text)> pending = [];
    private readonly List<OutputSegment> segments = [];
    private DateTimeOffset lastFlush = DateTimeOffset.MinValue;
    private int flushScheduled;

    public RunOutputBuffer() : this(TimeProvider.System) { }

    public int BrowserCap => browserCap;
    public IReadOnlyList<OutputSegment> Segments => segments;
    public int DisplayedChars { get; private set; }
    public bool BrowserTruncated { get; private set; }
    public bool IsEmpty => segments.Count == 0;

    /// <summary>Queues a chunk from the sandbox (any thread). Returns the delay after which the caller should render,
    /// or null when a render is already scheduled and will pick this chunk up.</summary>
    public TimeSpan? Enqueue(ExecutionOutput output)
    {
        lock (pending) pending.Add((output.IsStderr ? OutputKind.Stderr : OutputKind.Stdout, output.Text));
        if (Interlocked.Exchange(ref flushScheduled, 1) == 1) return null;
        var wait = RenderInterval - (clock.GetUtcNow() - lastFlush);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>Moves queued chunks into the segments (renderer thread). False when there was nothing new.</summary>
    public bool Drain()
    {
        Volatile.Write(ref flushScheduled, 0);
        lastFlush = clock.GetUtcNow();
        (OutputKind Kind, string Text)[] batch;
        lock (pending)
        {
            if (pending.Count == 0) return false;
            batch = [.. pending];
            pending.Clear();
        }
        foreach (var (kind, text) in batch) Append(kind, text);
        return true;
    }

    /// <summary>Shows a line the person sent to the program's stdin (renderer thread).</summary>
    public void EchoInput(string line) => Append(OutputKind.Stdin, line + "\n");

    public void Clear()
    {
        lock (pending) pending.Clear();
        segments.Clear();
        DisplayedChars = 0;
        BrowserTruncated = false;
    }

    private void Append(OutputKind kind, string text)
    {
        if (BrowserTruncated || text.Length == 0) return;
        var room = browserCap - DisplayedChars;
        if (text.Length > room)
        {
            text = text[..room];
            BrowserTruncated = true;
        }
        DisplayedChars += text.Length;
        while (text.Length > 0)
        {
            var last = segments.Count > 0 ? segments[^1] : null;
            if (last is not null && last.Kind == kind && last.Text.Length < segmentChars)
            {
                var take = Math.Min(text.Length, segmentChars - last.Text.Length);
                segments[^1] = last with { Text = last.Text + text[..take] };
                text = text[take..];
            }
            else
            {
                var take = Math.Min(text.Length, segmentChars);
                segments.Add(new OutputSegment(kind, text[..take]));
                text = text[take..];
            }
        }
    }
}
